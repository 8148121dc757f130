"""Downloads bound to the login session that made them (audit exports, intake scripts).

Gradio serves returned files to any logged-in user who knows the URL (``/gradio_api/file=...``), and
keeps them in a shared cache. Exports of the audit log hold personal data, so they go elsewhere:

* :class:`DownloadStore` writes each export into a private directory per session
  (``<root>/<session digest>/``, 0700, files 0600), under a random 32-byte token. A download is
  served only to a request that carries the same Gradio session cookie as the request that made
  it, and whose user still has a role that may download it. The file is deleted right after it has
  been served, or after ``ttl_s`` (10 minutes) when nobody fetched it. The store empties its root
  when it is created (old exports of an earlier run are never served).
* :class:`DownloadMiddleware` is a pure ASGI middleware that serves ``GET /tda/download/<token>``
  before Gradio sees the request.

Session cookies are Gradio's ``access-token-*`` cookies; only their SHA-256 digests are kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

ROUTE = "/tda/download/"
TTL_S = 10 * 60.0
_COOKIE_PREFIX = "access-token"


def session_digests(cookies: dict[str, str]) -> frozenset[str]:
    """Digests of the Gradio session cookies among ``cookies`` (name -> value)."""
    return frozenset(hashlib.sha256(v.encode()).hexdigest() for k, v in cookies.items()
                     if k.startswith(_COOKIE_PREFIX) and v)


@dataclass
class _Entry:
    path: Path
    filename: str
    media_type: str
    sessions: frozenset[str]
    user: str
    roles: tuple[str, ...]
    created: float


class DownloadStore:
    """Private, session-bound, short-lived download files.

    Args:
        root: directory for the files (created 0700; emptied now).
        role_of: ``user -> role or None``, checked again at download time.
        ttl_s: seconds an unfetched file is kept.
        clock: time source (tests).
    """

    def __init__(self, root: str | os.PathLike, role_of: Callable[[str], str | None], *, ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic):
        self.root = Path(root)
        self.role_of = role_of
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)

    def create(self, *, cookies: dict[str, str], user: str, roles: Iterable[str], filename: str,
               media_type: str, write: Callable[[object], None], binary: bool = False) -> str:
        """Write a file for this session with ``write(file)`` and return its download URL path.

        ``file`` is a UTF-8 text file, or a binary file when ``binary`` is True (a DOCX, for example).

        Raises:
            PermissionError: the request carries no session cookie to bind the file to.
        """
        sessions = session_digests(cookies)
        if not sessions:
            raise PermissionError("geen sessie om de download aan te koppelen")
        self.sweep()
        token = secrets.token_urlsafe(32)
        folder = self.root / sorted(sessions)[0][:16]
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{token}.tmp"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
                write(fh)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        with self._lock:
            self._entries[token] = _Entry(path, filename, media_type, sessions, user, tuple(roles), self.clock())
        return ROUTE + token

    def take(self, token: str, cookies: dict[str, str]) -> tuple[bytes, str, str] | None:
        """``(content, filename, media_type)`` for the session that made ``token``, and delete it.

        Returns None (and keeps the file for its owner) when the token is unknown or expired, the
        request has another session, or the user's role may no longer download it.
        """
        self.sweep()
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if not (entry.sessions & session_digests(cookies)) or self.role_of(entry.user) not in entry.roles:
                logger.warning("download refused: token of another session or role")
                return None
            del self._entries[token]
        try:
            data = entry.path.read_bytes()
        finally:
            entry.path.unlink(missing_ok=True)
        return data, entry.filename, entry.media_type

    def sweep(self) -> int:
        """Delete files older than ``ttl_s``; returns how many."""
        now = self.clock()
        with self._lock:
            old = [t for t, e in self._entries.items() if now - e.created > self.ttl_s]
            entries = [self._entries.pop(t) for t in old]
        for e in entries:
            e.path.unlink(missing_ok=True)
        return len(entries)

    def pending(self) -> int:
        """Number of files waiting to be fetched."""
        with self._lock:
            return len(self._entries)


def _cookies(scope) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return {}
    return {k: m.value for k, m in jar.items()}


class DownloadMiddleware:
    """Pure ASGI middleware serving ``GET /tda/download/<token>`` from a :class:`DownloadStore`."""

    def __init__(self, app, store: DownloadStore):
        self.app = app
        self.store = store

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope.get("type") != "http" or not path.startswith(ROUTE):
            await self.app(scope, receive, send)
            return
        if scope.get("method") != "GET":          # a download is consumed: no HEAD probes
            await _plain(send, 405, "Methode niet toegestaan.")
            return
        got = self.store.take(path[len(ROUTE):], _cookies(scope))
        if got is None:
            await _plain(send, 404, "Deze download bestaat niet (meer) of hoort bij een andere sessie. "
                                    "Maak de export opnieuw.")
            return
        data, filename, media_type = got
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", media_type.encode()), (b"content-length", str(len(data)).encode()),
            (b"content-disposition", disposition.encode()), (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff")]})
        await send({"type": "http.response.body", "body": data})


async def _plain(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
