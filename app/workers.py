"""A pool of worker processes for chat turns, so that concurrent users do not queue behind one turn.

A turn is CPU work in Python (the rails, BM25, the composer) and holds the GIL; threads in one
process therefore answer one turn at a time. ``tda serve --workers N`` starts N processes
(``spawn``), each loading its own :class:`app.assistant.Assistant` with the same settings; every
worker records its own turns in the shared audit log (the log is safe for several processes:
one chain, appended under a database lock).

Until the workers are loaded, and whenever the pool is broken, turns are answered by the
assistant of the web process itself: the same pipeline, so nothing changes but the speed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)

_ASSISTANT = None  # the worker's own assistant (in the worker process)
MAX_RETRIES = 3     # a pool whose workers fail to load is started again this often
RETRY_DELAY_S = 5.0


def _init_worker(settings_data: dict) -> None:
    global _ASSISTANT
    from app.logging_setup import setup_logging

    setup_logging()  # the worker writes to the same console as the web process: as quiet
    from app.assistant import Assistant
    from app.settings import Settings

    parent = os.getppid()

    def watch_parent() -> None:  # a worker never outlives the web process (even after a SIGKILL)
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, name="tda-worker-watchdog", daemon=True).start()
    _ASSISTANT = Assistant.load(Settings(**settings_data))


def _ping() -> int:
    return os.getpid()


def _respond(message, role, history, session_id, user):
    return _ASSISTANT.respond(message, role=role, history=history, session_id=session_id, user=user)


def default_workers() -> int:
    """One worker per core beyond the first (the web process keeps one), at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


class TurnPool:
    """Answers chat turns in worker processes; falls back to ``local`` while loading or broken.

    Args:
        settings: The app's settings (passed to each worker).
        workers: Number of worker processes.
        local: The web process's own assistant (or :class:`app.loader.AssistantLoader`).
        timeout_s: Longest wait for one turn in a worker before the local assistant answers it.
    """

    def __init__(self, settings, workers: int, local, *, timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.workers = max(1, int(workers))
        self.local = local
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._ready = threading.Event()
        self._generation = 0
        self._failures = 0
        self.seconds: float | None = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> "TurnPool":
        """Start the workers in the background (returns at once)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            old, self._executor = self._executor, ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(self.settings.model_dump(mode="json"),))
            executor = self._executor
            self._ready.clear()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        threading.Thread(target=self._warm, args=(executor, generation), name="tda-pool-start", daemon=True).start()
        return self

    def _warm(self, executor: ProcessPoolExecutor, generation: int) -> None:
        start = time.perf_counter()
        try:
            # one task per worker at once makes the pool start all of them
            pids = {f.result() for f in [executor.submit(_ping) for _ in range(self.workers)]}
        except Exception as exc:  # noqa: BLE001 - the local assistant keeps answering
            with self._lock:
                current = generation == self._generation
                self._failures += 1
                retry = current and self._failures <= MAX_RETRIES
            log.error("worker pool did not start (%s)%s; turns are answered in the web process",
                      type(exc).__name__, "; retrying" if retry else "")
            if retry:
                time.sleep(RETRY_DELAY_S * self._failures)
                self.start()
            return
        with self._lock:
            if generation == self._generation:
                self.seconds = time.perf_counter() - start
                self._failures = 0
                self._ready.set()
                log.info("worker pool ready: %d processes (%s) in %.1f s", len(pids),
                         ",".join(map(str, sorted(pids))), self.seconds)

    def restart(self) -> None:
        """New workers (after the intent model changed); the local assistant answers meanwhile."""
        self.start()

    def close(self) -> None:
        """Stop the workers (a turn still running in one is answered by nobody: the web process
        is stopping too)."""
        with self._lock:
            executor, self._executor = self._executor, None
            self._ready.clear()
        if executor is not None:
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.join(5)

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        executor = self._executor
        return sorted((getattr(executor, "_processes", None) or {}).keys()) if executor else []

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def state(self) -> str:
        """``ready``, ``loading`` or ``failed`` (given up: the web process answers every turn)."""
        if self.ready:
            return "ready"
        return "failed" if self._failures > MAX_RETRIES else "loading"

    # -- turns -------------------------------------------------------------------------------
    def respond(self, message, role: str = "casemanager", history=None, *, session_id: str = "", user: str = ""):
        """One turn, in a worker when the pool is ready, else in the web process."""
        executor = self._executor if self.ready else None
        if executor is not None and isinstance(message, str):
            try:
                future = executor.submit(_respond, message, role, list(history or []), session_id, user)
                return future.result(timeout=self.timeout_s)
            except BrokenProcessPool:
                log.error("worker pool broken; restarting it, this turn is answered in the web process")
                self.restart()
            except Exception as exc:  # noqa: BLE001 - answered locally instead (same pipeline)
                log.error("worker turn failed (%s); answered in the web process", type(exc).__name__)
        return self.local.respond(message, role=role, history=history, session_id=session_id, user=user)
