"""HTTP hardening around the Gradio app: same-origin only, no API map, one middleware list.

* :class:`SameOriginMiddleware`: a request with an ``Origin`` header from another origin (another
  port on localhost counts as another origin) is refused with 403 before it reaches the app.
  Browsers send ``Origin`` on every cross-origin request, so a page elsewhere can neither read
  the app's answers nor act with the user's cookies. Requests without ``Origin`` (curl, top-level
  navigation, the app's own same-origin GETs) pass.
* :func:`web_middleware`: the middleware list for ``Blocks.launch(app_kwargs={"middleware": ...})``
  (inside Gradio's CORS layer); the same-origin guard is added outside it by ``app.ui.app.TdaBlocks``.

* :class:`LoginPageMiddleware`: the app's own login page at ``/`` for a caller without a session
  (the form posts to Gradio's ``/login``, so the throttled auth callback and its cookies stay as
  they are) and ``/tda/session`` (204 with a session, 401 without), which the page script asks
  before a chat message is sent.

The API map Gradio embeds in every page (also the login page) is emptied by ``app.ui.app.TdaBlocks``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def own_origin(scope) -> str | None:
    """``scheme://host[:port]`` of the request as addressed (its ``Host`` header)."""
    host = _header(scope, b"host")
    if not host:
        return None
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return f"{scheme}://{host}".lower()


def same_origin(origin: str, scope) -> bool:
    """True when ``origin`` is the origin the request was sent to."""
    own = own_origin(scope)
    if own is None:
        return False
    try:
        o, s = urlsplit(origin.lower()), urlsplit(own)
    except ValueError:
        return False
    default = {"http": 80, "https": 443}
    return (o.scheme, o.hostname, o.port or default.get(o.scheme)) == (s.scheme, s.hostname,
                                                                       s.port or default.get(s.scheme))


class SameOriginMiddleware:
    """Pure ASGI middleware: a request (or websocket) with a foreign ``Origin`` gets 403.

    It must not only strip CORS headers: Gradio's own CORS middleware sits outside this one and
    allows every loopback origin, so the only safe answer to a foreign origin is no answer.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope.get("type")
        origin = _header(scope, b"origin") if kind in ("http", "websocket") else None
        if not origin or same_origin(origin, scope):
            await self.app(scope, receive, send)
            return
        logger.warning("cross-origin %s refused", scope.get("method") or "websocket")
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = "Verzoek van een andere herkomst geweigerd.".encode()
        await send({"type": "http.response.start", "status": 403, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


SESSION_EXPIRED = "Uw sessie is verlopen; log opnieuw in. Uw tekst is bewaard."


def _cookies(scope) -> dict[str, str]:
    raw = _header(scope, b"cookie")
    if not raw:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def session_user(scope) -> str | None:
    """The user name of the caller's Gradio session (its access-token cookie), or None.

    ``scope["app"]`` is the Gradio ``App`` (set by Starlette before the middleware runs); its
    ``tokens`` map the cookie values of live sessions to user names (``/logout`` removes them).
    """
    app = scope.get("app")
    tokens = getattr(app, "tokens", None)
    cookie_id = getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or cookie_id is None:
        return None
    cookies = _cookies(scope)
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        token = cookies.get(name)
        if token and token in tokens:
            return tokens[token]
    return None


def _auth_required(scope) -> bool:
    app = scope.get("app")
    return getattr(app, "auth", None) is not None or getattr(app, "auth_dependency", None) is not None


async def _send(send, status: int, body: bytes, content_type: bytes, extra: list | None = None,
                head_only: bool = False) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")] + list(extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else body})


class LoginPageMiddleware:
    """Pure ASGI middleware: the login page and the session probe.

    * ``GET``/``HEAD /`` without a live session (and with auth on): the page ``render(message, nonce)``
      returns (``message`` is the login-page text of the Blocks, with a lockout notice for a locked
      client address), under a strict Content-Security-Policy with a per-response nonce.
    * ``GET /tda/session``: 204 with a live session, else 401 with the Dutch message.

    Everything else passes unchanged; ``/login`` and ``/logout`` stay Gradio's.
    """

    def __init__(self, app, render: Callable[[str | None, str], str] | None = None):
        self.app = app
        self.render = render

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path") or "", scope.get("method") or "GET"
        if path == "/tda/session" and method in ("GET", "HEAD"):
            if session_user(scope) is not None or not _auth_required(scope):
                await _send(send, 204, b"", b"text/plain; charset=utf-8")
            else:
                body = json.dumps({"detail": SESSION_EXPIRED}).encode()
                await _send(send, 401, body, b"application/json", head_only=method == "HEAD")
            return
        if (path == "/" and method in ("GET", "HEAD") and self.render is not None and _auth_required(scope)
                and session_user(scope) is None):
            app = scope.get("app")
            blocks = app.get_blocks() if hasattr(app, "get_blocks") else None
            message = getattr(blocks, "auth_message", None)
            nonce = secrets.token_urlsafe(16)
            body = self.render(message, nonce).encode()
            csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                   "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                   "frame-ancestors 'none'")
            await _send(send, 200, body, b"text/html; charset=utf-8",
                        [(b"content-security-policy", csp.encode()), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"no-referrer")], head_only=method == "HEAD")
            return
        await self.app(scope, receive, send)


def web_middleware(downloads=None, assistant=None, pool=None, login_page=None) -> list:
    """Middleware inside Gradio's own (``launch(app_kwargs={"middleware": ...})``): the client
    address, the load status (``/tda/status``), then the downloads. :class:`SameOriginMiddleware` goes outside Gradio's CORS layer
    (``app.ui.app.TdaBlocks.server_app``). ``login_page`` (``render(message, nonce) -> html``) turns on
    :class:`LoginPageMiddleware` (after the client address, which the lockout notice needs)."""
    from starlette.middleware import Middleware

    from app.downloads import DownloadMiddleware
    from app.throttle import ClientAddressMiddleware

    from app.loader import StatusMiddleware

    stack = [Middleware(ClientAddressMiddleware)]
    if login_page is not None:
        stack.append(Middleware(LoginPageMiddleware, render=login_page))
    if assistant is not None:
        stack.append(Middleware(StatusMiddleware, assistant=assistant, pool=pool))
    if downloads is not None:
        stack.append(Middleware(DownloadMiddleware, store=downloads))
    return stack
