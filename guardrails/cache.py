"""Where derived data shared between data dirs lives: deduce's lookup tables in a fast format and
trained intent models by fingerprint. Everything in it can be deleted; it is rebuilt from the
files in the repository and the installed packages."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$TDA_CACHE_DIR``, else ``$XDG_CACHE_HOME/tda``, else ``~/.cache/tda``."""
    if os.environ.get("TDA_CACHE_DIR"):
        return Path(os.environ["TDA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tda"


def private_cache_dir(path: Path | None = None) -> Path:
    """The cache directory (created 0700); ``path`` None means :func:`default_cache_dir`."""
    path = Path(path) if path else default_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
