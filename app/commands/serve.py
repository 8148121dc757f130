"""``tda serve [--host 127.0.0.1] [--port 7860]``: the Gradio app, behind a login."""

from __future__ import annotations

import asyncio
import logging
import os
import time

# Gradio recomputes an analytics summary with pandas over up to 10 000 past events after EVERY
# finished event (GRADIO_ANALYTICS_CACHE_FREQUENCY=1): a cost that grows with uptime and load.
# It only feeds the API page's timing figures, so refresh it rarely and keep fewer events.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "2000")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    """Add the ``serve`` verb to the CLI."""
    parser = subparsers.add_parser("serve", help="de webapp starten (login vereist)")
    parser.add_argument("--host", default="127.0.0.1", help="adres om op te luisteren (standaard 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="poort (standaard 7860)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="gelijktijdig verwerkte verzoeken per handler (standaard 4)")
    parser.add_argument("--workers", type=int, default=None,
                        help="werkprocessen voor chatbeurten (standaard: aantal kernen min 1; 0 = in het webproces)")
    parser.set_defaults(func=run)


def in_running_loop(fn):
    """``fn()`` called inside a running event loop that is closed afterwards.

    Outside a running loop, ``gradio.utils.safe_get_lock``/``safe_get_stop_event`` create a new
    event loop on every call and set it as the current one, never closing the loop it replaces:
    building, queueing and launching the Blocks left seven of them behind, each reported as
    "ResourceWarning: unclosed event loop". Inside a running loop they only create the
    ``asyncio.Lock``/``Event``, which bind to the server's own loop when first used (Python >= 3.10).
    """

    async def call():
        return fn()

    return asyncio.run(call())


def run(args) -> int:
    """Serve the login page at once; load the assistant (building the index if needed) meanwhile."""
    start = time.perf_counter()
    from app.auth import UserStore
    from app.loader import AssistantLoader
    from app.settings import load_settings

    settings = load_settings()
    from app.audit.store import private_dir

    private_dir(settings.data_dir)  # 0700 before anything is written into it
    users = UserStore.for_data_dir(settings.data_dir)
    users.ensure_initial_users(print_fn=lambda line: print(line, flush=True))
    audit = False
    if settings.audit_enabled:
        from app.audit import AuditLog

        audit = AuditLog.open(settings)  # before the app serves: every turn is recorded

    def ready(seconds: float) -> None:
        print(f"Assistent geladen in {time.perf_counter() - start:.1f} s na de start.", flush=True)

    # The models load after the login page serves: both are CPU work on the same cores, and the
    # page is what the user waits for first.
    from app.commands.progress import progress_bar

    # A bar on stderr while the index is built (nothing when the stored index is reused).
    loader = AssistantLoader(settings, audit=audit, on_ready=ready,
                             progress=progress_bar("kennisindex bouwen", "passage"))
    from app.workers import TurnPool, default_workers

    workers = default_workers() if args.workers is None else max(0, args.workers)
    pool = TurnPool(settings, workers, loader) if workers else None
    from app.ui import TdaUI

    ui = TdaUI(loader, users, turns=pool)

    def build_and_launch():
        demo = ui.build()
        # A fixed status rate: "auto" pushes queue estimates to every client after every job (O(n^2)).
        demo.queue(default_concurrency_limit=max(1, args.concurrency), status_update_rate=2.0)
        demo.launch(server_name=args.host, server_port=args.port, inbrowser=False, quiet=True,
                    prevent_thread_lock=True, **ui.launch_kwargs())
        return demo

    demo = in_running_loop(build_and_launch)
    print(f"Inlogpagina klaar in {time.perf_counter() - start:.1f} s: open http://{args.host}:{args.port} "
          "(de assistent laadt op de achtergrond; de index wordt gebouwd als die ontbreekt)", flush=True)
    loader.start()
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the workers too
    try:
        if pool is not None:  # the workers start once this process has loaded: the first answer comes sooner
            try:
                loader.wait()
                pool.start()
            except Exception:  # noqa: BLE001 - reported by the loader; every turn fails closed
                pass
        demo.block_thread()
    finally:
        demo.close(verbose=False)
        if pool is not None:
            pool.close()
    return 0
