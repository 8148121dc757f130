"""Embeddings of index texts, kept between builds and data dirs.

Building the index embeds about seven thousand chunks and questions: about a minute on two
cores, paid again by every new data dir, every rebuild after a settings change and every test
that builds its own index. The vectors only depend on the model and the text, so they are kept
in one SQLite file per model in the shared cache directory (``embeddings-<model>.sqlite``) and
only texts not seen before are embedded. Deleting the file costs one slow build, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_LOCK = threading.Lock()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by text for one model, in ``directory/embeddings-<model>.sqlite``.

    Args:
        directory: The shared cache directory (created).
        model: The model's identity (``knowledge.embeddings.model_digest``): a new model, or
            new weights, is a new file.
    """

    def __init__(self, directory: Path | str, model: str) -> None:
        self.directory = Path(directory)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model)
        self.path = self.directory / f"embeddings-{safe}.sqlite"
        self.model = model

    def _connect(self) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        return conn

    def embed(self, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for ``texts`` (one row each): from the cache, the rest from ``compute`` (then stored).

        A cache that cannot be read or written is skipped: everything is computed.
        """
        texts = list(texts)
        keys = [_key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        try:
            with _LOCK, self._connect() as conn:
                for start in range(0, len(keys), 500):
                    part = keys[start:start + 500]
                    rows = conn.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})",
                                        part).fetchall()
                    for key, dim, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        if vec.shape == (dim,):
                            found[key] = vec
        except sqlite3.Error as exc:
            log.warning("embedding cache unreadable (%s); embedding everything", exc)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vecs = np.asarray(compute([texts[i] for i in missing]), dtype=np.float32)
            new = {keys[i]: vecs[j] for j, i in enumerate(missing)}
            found.update(new)
            try:
                with _LOCK, self._connect() as conn:
                    conn.executemany("INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                                     [(k, int(v.shape[0]), v.astype(np.float32).tobytes()) for k, v in new.items()])
            except sqlite3.Error as exc:
                log.warning("embedding cache not written (%s)", exc)
        log.info("embeddings: %d from the cache, %d computed", len(texts) - len(missing), len(missing))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys])
