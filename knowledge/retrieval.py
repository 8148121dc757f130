"""Hybrid retrieval: BM25 (Dutch stems) and dense vectors (Chroma), fused by weighted reciprocal rank.

The weights, the fusion method and the not-found threshold are settings, chosen by measurement
(``python -m evals.bench_retrieval``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

import numpy as np

from app.settings import Settings
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


class HybridRetriever:
    """Fuses BM25 and dense rankings over one :class:`KnowledgeIndex`."""

    def __init__(self, index: KnowledgeIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings

    def search(self, query: str, k: int | None = None, *, mode: str = "hybrid") -> list[Passage]:
        """Top ``k`` passages for ``query``; ``mode`` is "hybrid", "bm25" or "dense" (for benchmarks)."""
        s = self.settings
        k = k or s.top_k
        if not query.strip():
            return []
        n = len(self.index.chunks)
        bm = self.index.bm25_scores(query) if mode in ("hybrid", "bm25") else np.zeros(n, dtype=np.float32)
        de = self.index.dense_scores(query) if mode in ("hybrid", "dense") else np.zeros(n, dtype=np.float32)
        if mode == "bm25":
            fused = bm.astype(np.float64)
        elif mode == "dense":
            fused = de.astype(np.float64)
        elif s.fusion == "rrf":
            fused = np.zeros(n, dtype=np.float64)
            for i, r in _ranks(bm, s.candidates).items():
                fused[i] += s.bm25_weight / (s.rrf_k + r + 1)
            for i, r in _ranks(de, s.candidates).items():
                fused[i] += s.dense_weight / (s.rrf_k + r + 1)
        else:  # weighted sum of max-normalised scores
            bmn = bm / bm.max() if bm.max() > 0 else bm
            den = np.clip(de, 0, None)
            den = den / den.max() if den.max() > 0 else den
            fused = s.bm25_weight * bmn + s.dense_weight * den
        order = [int(i) for i in np.argsort(-fused, kind="stable")[:k] if fused[i] > 0]
        qtok = set(tokenize(query))
        out = []
        for i in order:
            c = self.index.chunks[i]
            ctok = set(self.index._tokens[i])
            coverage = len(qtok & ctok) / len(qtok) if qtok else 0.0
            out.append(Passage(i, c.source, c.title, c.section, c.heading, (c.line_start, c.line_end), c.text,
                               float(fused[i]), float(bm[i]), float(de[i]), coverage))
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
        dense = max((p.dense for p in passages[:3]), default=0.0)
        return float(0.45 * covered + 0.35 * vocab_share + 0.2 * max(0.0, dense))
