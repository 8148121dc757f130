"""One logging setup for the console (the ``tda`` commands and the chat workers).

Only tda's own loggers may write below WARNING (and only with ``--verbose``): libraries are set to
WARNING, and a filter on the console handler holds back their lower records too, because some
lower their own logger's level when they are imported (``bm25s`` sets DEBUG at import, which is
how "DEBUG bm25s: Building index from tokens" reached the console).
"""

from __future__ import annotations

import logging
import sys

PROJECT_PACKAGES = ("app", "knowledge", "guardrails", "evals", "prompts", "__main__")
LIBRARY_LOGGERS = (
    "bm25s", "chromadb", "deduce", "docdeid", "presidio-analyzer", "presidio-anonymizer", "presidio_analyzer",
    "sentence_transformers", "transformers", "huggingface_hub", "torch", "spacy", "httpx", "httpcore",
    "urllib3", "gradio", "gradio_client", "uvicorn", "uvicorn.error", "uvicorn.access", "asyncio",
    "multipart", "python_multipart", "PIL", "matplotlib", "filelock", "sqlalchemy", "langchain",
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LibraryFilter(logging.Filter):
    """Pass WARNING and above from every logger, lower levels only from tda's own packages."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.partition(".")[0] in PROJECT_PACKAGES


def setup_logging(verbose: bool = False) -> logging.Handler | None:
    """Configure the root logger: one stderr handler, tda at DEBUG or WARNING, libraries at WARNING.

    Like :func:`logging.basicConfig`, the root logger is left alone when someone else configured
    it first (pytest's capture handlers, an application embedding tda); the libraries are quieted
    either way.

    Args:
        verbose: DEBUG for tda's own loggers (``tda -v``); otherwise WARNING.

    Returns:
        The console handler, or None when the root logger was configured elsewhere.
    """
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_tda_console", False)), None)
    if handler is None:
        if root.handlers:
            return None
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(LibraryFilter())
        handler._tda_console = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    return handler
