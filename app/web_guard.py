"""HTTP hardening around the Gradio app: same-origin only, no API map, one middleware list.

* :class:`SameOriginMiddleware`: a request with an ``Origin`` header from another origin (another
  port on localhost counts as another origin) is refused with 403 before it reaches the app.
  Browsers send ``Origin`` on every cross-origin request, so a page elsewhere can neither read
  the app's answers nor act with the user's cookies. Requests without ``Origin`` (curl, top-level
  navigation, the app's own same-origin GETs) pass.
* :func:`web_middleware`: the middleware list for ``Blocks.launch(app_kwargs={"middleware": ...})``
  (inside Gradio's CORS layer); the same-origin guard is added outside it by ``app.ui.app.TdaBlocks``.

The API map Gradio embeds in every page (also the login page) is emptied by ``app.ui.app.TdaBlocks``.
"""

from __future__ import annotations

import logging
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


def web_middleware(downloads=None, assistant=None, pool=None) -> list:
    """Middleware inside Gradio's own (``launch(app_kwargs={"middleware": ...})``): the client
    address, the load status (``/tda/status``), then the downloads. :class:`SameOriginMiddleware` goes outside Gradio's CORS layer
    (``app.ui.app.TdaBlocks.server_app``)."""
    from starlette.middleware import Middleware

    from app.downloads import DownloadMiddleware
    from app.throttle import ClientAddressMiddleware

    from app.loader import StatusMiddleware

    stack = [Middleware(ClientAddressMiddleware)]
    if assistant is not None:
        stack.append(Middleware(StatusMiddleware, assistant=assistant, pool=pool))
    if downloads is not None:
        stack.append(Middleware(DownloadMiddleware, store=downloads))
    return stack
