"""Load the assistant in the background, so the web app serves its login page at once.

``tda serve`` opens the audit log, starts an :class:`AssistantLoader` and launches the app. Until
the models are loaded, a chat turn shows "Assistent wordt geladen…" and then waits for the load;
no request fails meanwhile. When loading fails, every turn fails closed with a clear message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

LOADING_TEXT = "Assistent wordt geladen… uw vraag wordt beantwoord zodra dat klaar is (enkele seconden)."


class AssistantUnavailable(RuntimeError):
    """The assistant could not be loaded; turns are refused."""


class AssistantLoader:
    """Stands in for a :class:`app.assistant.Assistant` while it loads in a daemon thread.

    ``settings`` and ``audit`` are available at once; ``respond``, ``intake_script`` and every
    other attribute wait for the load to finish.

    Args:
        settings: The app's settings.
        audit: An open audit log, or ``False`` for none (passed to ``Assistant.load``).
        load: The loading function (``Assistant.load`` by default); called as
            ``load(settings, audit=audit, progress=progress)``.
        on_ready: Called with the seconds the load took, once it is done.
    """

    def __init__(self, settings, *, audit=None, load: Callable | None = None,
                 on_ready: Callable[[float], None] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.settings = settings
        self.audit = audit if audit is not False else None
        self._audit_arg = audit
        self._load = load
        self._on_ready = on_ready
        self._progress = progress
        self._done = threading.Event()
        self._assistant = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.seconds: float | None = None

    def start(self) -> "AssistantLoader":
        """Start loading (once); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tda-assistant-loader", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            load = self._load
            if load is None:
                from app.assistant import Assistant

                load = Assistant.load
            self._assistant = load(self.settings, audit=self._audit_arg, progress=self._progress)
        except BaseException as exc:  # noqa: BLE001 - reported to every caller instead
            self._error = exc
            log.error("loading the assistant failed: %s: %s", type(exc).__name__, exc)
        finally:
            self.seconds = time.perf_counter() - start
            self._done.set()
        if self._error is None and self._on_ready is not None:
            self._on_ready(self.seconds)

    @property
    def ready(self) -> bool:
        """True once the assistant is loaded (False while loading and after a failure)."""
        return self._done.is_set() and self._error is None

    @property
    def error(self) -> str | None:
        """A Dutch description of the load failure, or None."""
        if self._error is None:
            return None
        return f"De assistent kon niet worden geladen ({type(self._error).__name__}). Neem contact op met de beheerder."

    def wait(self, timeout: float | None = None):
        """The loaded assistant; raises :class:`AssistantUnavailable` on failure or timeout."""
        self.start()
        if not self._done.wait(timeout):
            raise AssistantUnavailable("De assistent wordt nog geladen; probeer het zo opnieuw.")
        if self._error is not None:
            raise AssistantUnavailable(self.error) from self._error
        return self._assistant

    def respond(self, *args, **kwargs):
        return self.wait().respond(*args, **kwargs)

    def intake_script(self, *args, **kwargs):
        return self.wait().intake_script(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.wait(), name)


STATUS_ROUTE = "/tda/status"


def status_of(assistant) -> str:
    """``ready``, ``loading`` or ``failed`` for an :class:`AssistantLoader` (any other object: ready)."""
    if not isinstance(assistant, AssistantLoader) or assistant.ready:
        return "ready"
    return "failed" if assistant.error else "loading"


class StatusMiddleware:
    """Pure ASGI middleware: ``GET /tda/status`` says whether the assistant is loaded.

    No login needed and nothing but the state: ``{"status": "loading" | "ready" | "failed"}``
    (HTTP 200 when ready, else 503), for health checks and for tests that wait for the models;
    with a worker pool also ``"workers": "loading" | "ready" | "failed"``.
    """

    def __init__(self, app, assistant, pool=None):
        self.app = app
        self.assistant = assistant
        self.pool = pool

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("path") != STATUS_ROUTE:
            await self.app(scope, receive, send)
            return
        import json

        state = status_of(self.assistant)
        data = {"status": state}
        if self.pool is not None:  # app.workers.TurnPool: turns in worker processes once "ready"
            data["workers"] = self.pool.state
        body = json.dumps(data).encode()
        await send({"type": "http.response.start", "status": 200 if state == "ready" else 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
