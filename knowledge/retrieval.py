"""Hybrid retrieval: BM25 (Dutch stems) and dense vectors (Chroma), fused by weighted reciprocal rank.

The weights, the fusion method and the not-found threshold are settings, chosen by measurement
(``python -m app.bench.retrieval``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typing import Protocol

import numpy as np
import yaml

from knowledge.index import KnowledgeIndex
from knowledge.text import fold, tokenize

GAPS_FILE = Path(__file__).resolve().parent / "gaps.yaml"


@lru_cache(maxsize=1)
def _gaps() -> list[tuple[str, re.Pattern]]:
    data = yaml.safe_load(GAPS_FILE.read_text(encoding="utf-8")) or []
    return [(g["id"], re.compile(g["pattern"])) for g in data]


def uncovered_topic(query: str) -> str | None:
    """The id of a known gap in the sources that the question is about, if any."""
    folded = fold(query)
    for gid, rx in _gaps():
        if rx.search(folded):
            return gid
    return None


class RetrievalSettings(Protocol):
    """The retrieval settings this module reads (the application passes its settings in)."""

    fusion: str
    bm25_weight: float
    dense_weight: float
    question_dense_weight: float
    question_bm25_weight: float
    expanded_bm25_weight: float
    rrf_k: int
    candidates: int
    top_k: int


MODES = ("hybrid", "bm25", "dense", "expanded", "questions", "sources")


@dataclass
class Passage:
    """A retrieved chunk with its fused score and the evidence behind it."""

    chunk_index: int
    source: str
    title: str
    section: str
    heading: str
    lines: tuple[int, int]
    text: str
    score: float
    bm25: float
    dense: float
    coverage: float
    question: float = 0.0

    def to_dict(self) -> dict:
        return {"source": self.source, "title": self.title, "section": self.section, "heading": self.heading,
                "lines": [self.lines[0], self.lines[1]], "text": self.text, "score": round(self.score, 4)}


def _ranks(scores: np.ndarray, limit: int) -> dict[int, int]:
    order = np.argsort(-scores, kind="stable")[:limit]
    return {int(i): r for r, i in enumerate(order) if scores[i] > 0}


# Questions that ask for a quantity, a term or a date need one in the passage that answers them.
_QUANTITY_Q = re.compile(r"\b(hoeveel|hoe lang|hoe vaak|binnen hoeveel|in welke week|hoe hoog|welk bedrag|"
                         r"welk percentage|wat kost|hoeveel procent|tot wanneer|na hoeveel)\b")
_NUMBER = re.compile(r"\d|\b(een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|honderd|"
                     r"eens|jaarlijks|maandelijks|wekelijks|dagelijks|helft|kwart)\b")


def quantity_supported(query: str, passages: list["Passage"], index: KnowledgeIndex) -> bool:
    """False when the question asks for a number or term and no top passage states one near its topic."""
    folded = fold(query)
    if not _QUANTITY_Q.search(folded):
        return True
    qtok = set(tokenize(query))
    for p in passages[:3]:
        for sent in re.split(r"(?<=[.;:!?])\s+", p.text):
            if _NUMBER.search(fold(sent)) and len(qtok & set(tokenize(sent))) >= min(2, len(qtok)):
                return True
    return False


def _maxnorm(x: np.ndarray) -> np.ndarray:
    m = float(x.max()) if x.size else 0.0
    return x / m if m > 0 else x


class HybridRetriever:
    """Fuses four rankings over one :class:`KnowledgeIndex`.

    BM25 and dense similarity against the source chunks, and BM25 and dense similarity against the
    train questions of the question corpus (a chunk scores what its best-matching known question
    scores). Weights and fusion method are settings, chosen on a dev fold of the train split
    (``python -m app.bench.retrieval --sweep``).
    """

    def __init__(self, index: KnowledgeIndex, settings: RetrievalSettings) -> None:
        self.index = index
        self.settings = settings

    def signals(self, query: str, mode: str = "hybrid") -> dict[str, np.ndarray]:
        n = len(self.index.chunks)
        zero = np.zeros(n, dtype=np.float32)
        want = {  # mode "all" computes every signal (benchmark sweeps fuse them many times)
            "bm25": mode in ("hybrid", "bm25", "sources", "all"),
            "dense": mode in ("hybrid", "dense", "sources", "all"),
            "qdense": mode in ("hybrid", "questions", "all"),
            "qbm25": mode in ("hybrid", "questions", "all"),
            "xbm25": mode in ("hybrid", "questions", "all", "expanded"),
        }
        s = self.settings
        weights = self._weights()
        out = {}
        for name, fn in (("bm25", self.index.bm25_scores), ("dense", self.index.dense_scores),
                         ("qdense", self.index.question_dense_scores), ("qbm25", self.index.question_bm25_scores),
                         ("xbm25", self.index.expanded_bm25_scores)):
            out[name] = fn(query) if want[name] and (mode != "hybrid" or weights[name] > 0) else zero
        return out

    def _weights(self) -> dict[str, float]:
        s = self.settings
        return {"bm25": s.bm25_weight, "dense": s.dense_weight, "qdense": s.question_dense_weight,
                "qbm25": s.question_bm25_weight, "xbm25": s.expanded_bm25_weight}

    def fuse(self, sig: dict[str, np.ndarray], mode: str = "hybrid") -> np.ndarray:
        s = self.settings
        if mode in ("bm25", "dense"):
            return sig[mode].astype(np.float64)
        if mode == "expanded":
            return sig["xbm25"].astype(np.float64)
        weights = self._weights()
        if mode == "questions":  # the question corpus alone: known questions and expanded BM25
            weights = {"bm25": 0.0, "dense": 0.0, "qdense": 1.0, "qbm25": 0.3, "xbm25": 0.5}
        elif mode == "sources":
            weights = {**weights, "qdense": 0.0, "qbm25": 0.0, "xbm25": 0.0}
        n = len(self.index.chunks)
        fused = np.zeros(n, dtype=np.float64)
        if s.fusion == "rrf":
            for name, w in weights.items():
                if w > 0:
                    for i, r in _ranks(sig[name], s.candidates).items():
                        fused[i] += w / (s.rrf_k + r + 1)
            return fused
        for name, w in weights.items():
            if w > 0:
                x = np.clip(sig[name], 0, None)
                fused += w * (_maxnorm(x) if name in ("bm25", "qbm25", "xbm25") else x)
        return fused

    def search(self, query: str, k: int | None = None, *, mode: str = "hybrid") -> list[Passage]:
        """Top ``k`` passages for ``query``; ``mode`` is one of :data:`MODES` (the others are for benchmarks)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        k = k or self.settings.top_k
        if not query.strip():
            return []
        sig = self.signals(query, mode)
        fused = self.fuse(sig, mode)
        order = [int(i) for i in np.argsort(-fused, kind="stable")[:k] if fused[i] > 0]
        qtok = set(tokenize(query))
        out = []
        for i in order:
            c = self.index.chunks[i]
            ctok = set(self.index._tokens[i])
            coverage = len(qtok & ctok) / len(qtok) if qtok else 0.0
            out.append(Passage(i, c.source, c.title, c.section, c.heading, (c.line_start, c.line_end), c.text,
                               float(fused[i]), float(sig["bm25"][i]), float(sig["dense"][i]), coverage,
                               float(sig["qdense"][i])))
        return out

    def confidence(self, query: str, passages: list[Passage]) -> float:
        """How well the best passages cover the query: 0 (not at all) .. 1.

        Combines the share of the query's content stems found in the top passages (vocabulary the
        sources never use is a strong sign of an uncovered topic) with the best dense similarity.
        """
        qtok = [t for t in dict.fromkeys(tokenize(query))]
        if not qtok or not passages or uncovered_topic(query):
            return 0.0
        if not quantity_supported(query, passages, self.index):
            return 0.0
        known = [t for t in qtok if t in self.index._vocab]
        vocab_share = len(known) / len(qtok)
        top_tokens = set()
        for p in passages[:3]:
            top_tokens.update(self.index._tokens[p.chunk_index])
        covered = len([t for t in qtok if t in top_tokens]) / len(qtok)
        # the best of: similarity to the passage, and to a known question that the passage answers
        dense = max((max(p.dense, p.question) for p in passages[:3]), default=0.0)
        return float(0.45 * covered + 0.35 * vocab_share + 0.2 * max(0.0, dense))
