"""Which answer card, if any, answers a question directly.

Only cards whose source overlaps one of the top two retrieved passages (chosen on the dev fold) are candidates: a card
never answers a question whose evidence retrieval did not find first. Among them, a card scores
the sum of: the best cosine similarity of the question to the card's train variants (stored in the
question index), the cosine similarity to the card's answer, twice the stem overlap (Jaccard) with
the answer and the variants, less 0.1 per rank of the overlapping passage. The threshold is chosen
on the dev fold (``python -m app.bench.answers``) and is a setting.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answers import AnswerCard, load_cards
from knowledge.text import tokenize



@dataclass(frozen=True)
class CardMatch:
    card: AnswerCard
    score: float
    variant: str


log = logging.getLogger(__name__)
ANSWER_VECTORS_FILE = "card_answers.npz"


def _answer_vectors(index, cards: dict[str, AnswerCard]) -> dict[str, np.ndarray]:
    """Embeddings of the cards' answers, from ``<data_dir>/index/card_answers.npz`` when it matches
    the model and the answers, else computed in one batch (seconds) and stored for the next start."""
    ids = sorted(cards)
    h = hashlib.sha256(str(index.settings.embedding_model).encode())
    for cid in ids:
        h.update(b"\0" + cid.encode() + b"\0" + cards[cid].answer.encode())
    key = h.hexdigest()
    path = Path(index.settings.data_dir) / "index" / ANSWER_VECTORS_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) == key and list(data["ids"]) == ids:
                return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(ids, data["vectors"])}
    except (OSError, KeyError, ValueError):
        pass
    vectors = index.embed_texts([cards[cid].answer for cid in ids])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".card-answers-", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(key), ids=np.array(ids), vectors=vectors)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only data dir: computed again at the next start
        log.warning("card answer vectors not stored: %s", exc)
    return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(ids, vectors)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class CardMatcher:
    """Nearest answer card for a question, among the cards of the passages retrieval found."""

    def __init__(self, index, cards: list[AnswerCard] | None = None, top_n: int = 2) -> None:
        self.index = index
        self.top_n = top_n
        self.cards = {c.id: c for c in (cards if cards is not None else load_cards())}
        rows = [(i, e) for i, e in enumerate(index.question_entries) if e.get("card") in self.cards]
        self.card_ids = [e["card"] for _, e in rows]
        self.variants = [e["text"] for _, e in rows]
        self.vectors = np.zeros((0, 1), dtype=np.float32)
        if rows and index.questions is not None:
            got = index.questions.get(ids=[f"q{i:05d}" for i, _ in rows], include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"]))
            self.vectors = np.asarray([by_id[f"q{i:05d}"] for i, _ in rows], dtype=np.float32)
        self._rows_of: dict[str, list[int]] = {}
        for j, cid in enumerate(self.card_ids):
            self._rows_of.setdefault(cid, []).append(j)
        self._answer_tokens = {cid: set(tokenize(c.answer + " " + " ".join(c.train_questions())))
                               for cid, c in self.cards.items()}
        self._answer_vectors: dict[str, np.ndarray] = {}
        if self.cards:
            self._answer_vectors = _answer_vectors(index, self.cards)

    def _answer_vector(self, cid: str) -> np.ndarray:
        vec = self._answer_vectors.get(cid)
        if vec is None:
            vec = self._answer_vectors[cid] = self.index.query_vector(self.cards[cid].answer)
        return vec

    def candidates(self, query: str, role: str, passages) -> list[CardMatch]:
        """Cards for ``role`` whose source is among the top three ``passages``, best first."""
        top = list(passages)[:self.top_n]
        if not top:
            return []
        qvec = self.index.query_vector(query)
        qtok = set(tokenize(query))
        sims = self.vectors @ qvec if len(self.variants) else np.zeros(0)
        out = []
        for cid, card in self.cards.items():
            if role not in card.roles:
                continue
            rank = next((r for r, p in enumerate(top) if any(
                p.source == s.doc and p.lines[0] <= s.end and p.lines[1] >= s.start for s in card.sources)), None)
            if rank is None:
                continue
            rows = self._rows_of.get(cid, [])
            best_j = max(rows, key=lambda j: sims[j]) if rows else None
            s1 = float(sims[best_j]) if best_j is not None else 0.0
            s2 = float(self._answer_vector(cid) @ qvec)
            s3 = _jaccard(qtok, self._answer_tokens[cid])
            score = s1 + s2 + 2 * s3 - 0.1 * rank
            out.append(CardMatch(card, score, self.variants[best_j] if best_j is not None else ""))
        return sorted(out, key=lambda m: -m.score)

    def match(self, query: str, role: str, passages, threshold: float) -> CardMatch | None:
        """The best card above ``threshold`` (see :meth:`candidates`), or None."""
        cands = self.candidates(query, role, passages)
        return cands[0] if cands and cands[0].score >= threshold else None
