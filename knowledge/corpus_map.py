"""Maps the question corpus and the answer cards onto the chunks of the knowledge index.

A question points at source lines; its targets are the chunks that overlap those lines, the chunk
with the largest overlap first. Used to train the embeddings, to build the question index and to
score the benchmarks, so that "the right passage" means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from knowledge.answers import load_cards
from knowledge.documents import Chunk, build_chunks
from knowledge.questions import fold_of, load_questions

CHUNK_TARGET = 500
CHUNK_MAX = 1000


def overlap(chunk: Chunk, doc: str, a: int, b: int) -> int:
    """Number of lines a chunk shares with ``doc:a-b`` (0 when none)."""
    if chunk.source != doc:
        return 0
    return max(0, min(chunk.line_end, b) - max(chunk.line_start, a) + 1)


def targets_for(chunks: list[Chunk], ranges: list[tuple[str, int, int]]) -> list[int]:
    """Chunk indices overlapping any of the ranges, best overlap first (source chunks before cards)."""
    scored = []
    for i, c in enumerate(chunks):
        ov = max((overlap(c, d, a, b) for d, a, b in ranges), default=0)
        if ov:
            span = c.line_end - c.line_start + 1
            scored.append((-(ov / max(span, 1)), c.id.startswith("card"), -ov, i))
    return [i for *_, i in sorted(scored)]


@dataclass
class QuestionMap:
    chunks: list[Chunk]

    @classmethod
    def build(cls, chunks: list[Chunk] | None = None) -> "QuestionMap":
        if chunks is None:
            chunks = [c for c in build_chunks(target=CHUNK_TARGET, maximum=CHUNK_MAX) if not c.id.startswith("card")]
        return cls(chunks)

    def passage_text(self, i: int) -> str:
        return self.chunks[i].index_text

    def train_targets(self, folds: tuple[str, ...] = ("fit",)) -> list[tuple[str, list[int]]]:
        """(question, target chunk indices) for the train questions and card variants of ``folds``.

        The embeddings train on the ``fit`` fold only: the ``dev`` fold stays unseen, so the fusion
        weights and thresholds tuned on it are not tuned on questions the model has memorised.
        """
        out = []
        for q in load_questions(split="train"):
            t = targets_for(self.chunks, q.ranges)
            if t and fold_of(q.text) in folds:
                out.append((q.text, t))
        for card in load_cards():
            t = targets_for(self.chunks, card.ranges)
            if t:
                out.extend((v, t) for v in card.train_questions() if fold_of(v) in folds)
        return out

    @cached_property
    def _bm25(self):
        import bm25s

        from knowledge.text import tokenize

        self._tokens = [tokenize(c.index_text) for c in self.chunks]
        model = bm25s.BM25(k1=0.9, b=0.4)
        model.index(self._tokens, show_progress=False)
        self._vocab = {t for toks in self._tokens for t in toks}
        return model

    def hard_negative(self, question: str, targets: list[int]) -> int | None:
        """The best BM25 chunk for the question that is not one of its targets."""
        import numpy as np

        from knowledge.text import tokenize

        bm = self._bm25
        toks = [t for t in tokenize(question) if t in self._vocab]
        if not toks:
            return None
        scores = np.asarray(bm.get_scores(toks))
        bad = set(targets)
        for i in np.argsort(-scores, kind="stable")[:20]:
            if int(i) not in bad and scores[i] > 0:
                # a neighbour chunk of the same section is often a partial answer: skip it
                c, t = self.chunks[int(i)], self.chunks[targets[0]]
                if c.source == t.source and c.section == t.section:
                    continue
                return int(i)
        return None


def question_entries(chunks: list[Chunk]) -> list[dict]:
    """The question index: train questions and train card variants with their target chunks.

    Only the train split is indexed; test questions never reach the index, the embeddings or the
    fusion weights.
    """
    out = []
    for q in load_questions(split="train"):
        t = targets_for(chunks, q.ranges)
        if t:
            out.append({"text": q.text, "targets": t, "card": ""})
    for card in load_cards():
        t = targets_for(chunks, card.ranges)
        if t:
            out.extend({"text": v, "targets": t, "card": card.id} for v in card.train_questions())
    return out
