"""Answer cards: a short, direct Dutch answer for the rules and facts people ask most.

Files: ``knowledge/answers/*.yaml``, each a list of cards::

    - id: werkgever-geen-diagnose
      roles: [employer]                 # who the card answers; omit for every role
      questions:                        # question variants in users' words
        - Mag ik vragen wat hij heeft?
      answer: >-
        Nee. Als werkgever mag u niet naar de diagnose vragen. U mag wel vragen ...
      sources:                          # the lines the answer rests on (cited with their quote)
        - {doc: "002", lines: 300-306}
      key_terms: [diagnose, werkgever]  # words of the answer that occur in the cited lines

A card never says what the sources do not: every key term occurs in the answer and in its cited
lines (``tests/knowledge/test_answers.py``). Question variants are split like the question corpus:
only the ``train`` variants are indexed; ``test`` variants are only measured.
Validate with ``python -m knowledge.answers``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from vocab import ROLES

from knowledge.questions import doc_lengths, files_digest, normalise, source_range, split_of

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on the corpora

ANSWERS_DIR = Path(__file__).resolve().parent / "answers"


@dataclass(frozen=True)
class CardSource:
    doc: str
    start: int
    end: int


@dataclass(frozen=True)
class AnswerCard:
    id: str
    roles: tuple[str, ...]
    questions: tuple[str, ...]
    answer: str
    sources: tuple[CardSource, ...]
    key_terms: tuple[str, ...]
    file: str

    def train_questions(self) -> list[str]:
        return [q for q in self.questions if split_of(q) == "train"]

    def test_questions(self) -> list[str]:
        return [q for q in self.questions if split_of(q) == "test"]

    @property
    def ranges(self) -> list[tuple[str, int, int]]:
        return [(s.doc, s.start, s.end) for s in self.sources]


class CardError(ValueError):
    """An answer-card file does not follow the schema."""


def parse_file(path: Path, lengths: dict[str, int] | None = None) -> list[AnswerCard]:
    lengths = lengths or doc_lengths()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or []
    except yaml.YAMLError as exc:
        raise CardError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise CardError(f"{path.name}: must be a list of cards")
    cards = []
    for i, c in enumerate(data):
        where = f"{path.name} card {i + 1}"
        if not isinstance(c, dict):
            raise CardError(f"{where}: not a mapping")
        unknown = set(c) - {"id", "roles", "questions", "answer", "sources", "key_terms"}
        if unknown:
            raise CardError(f"{where}: unknown keys {sorted(unknown)}")
        cid = str(c.get("id", ""))
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,80}", cid):
            raise CardError(f"{where}: id must be lower-case words joined by '-'")
        roles = tuple(c.get("roles") or ROLES)
        if set(roles) - set(ROLES):
            raise CardError(f"{where} ({cid}): unknown roles {sorted(set(roles) - set(ROLES))}")
        qs = c.get("questions")
        if not isinstance(qs, list) or len(qs) < 3 or not all(isinstance(q, str) and len(q) >= 8 for q in qs):
            raise CardError(f"{where} ({cid}): at least 3 question variants (strings) needed")
        answer = c.get("answer")
        if not isinstance(answer, str) or not 20 <= len(answer) <= 600:
            raise CardError(f"{where} ({cid}): answer must be a string of 20-600 characters")
        sources = []
        for s in c.get("sources") or []:
            if not isinstance(s, dict):
                raise CardError(f"{where} ({cid}): each source needs a known doc and lines like 120-128")
            try:
                sources.append(CardSource(*source_range(s.get("doc", ""), s.get("lines", ""), lengths)))
            except ValueError as exc:
                raise CardError(f"{where} ({cid}): {exc}") from None
        if not sources:
            raise CardError(f"{where} ({cid}): at least one source needed")
        terms = c.get("key_terms")
        if not isinstance(terms, list) or len(terms) < 2 or not all(isinstance(t, str) and t for t in terms):
            raise CardError(f"{where} ({cid}): at least 2 key_terms needed")
        cards.append(AnswerCard(cid, roles, tuple(q.strip() for q in qs), " ".join(answer.split()),
                                tuple(sources), tuple(terms), path.name))
    return cards


def cited_text(card: AnswerCard) -> str:
    """The source lines a card cites, joined (raw source text)."""
    from knowledge.documents import source_lines

    return " ".join(" ".join(source_lines(s.doc)[s.start - 1:s.end]) for s in card.sources)


def term_in(term: str, text: str) -> bool:
    """A key term occurs in a text: folded, hyphens and line breaks ignored, as a word prefix."""
    t = normalise(term).replace("-", "")
    body = re.sub(r"-\s+", "", normalise(text)).replace("-", "")
    return re.search(r"(?<![a-z0-9])" + re.escape(t), body) is not None


def check_card(card: AnswerCard) -> list[str]:
    """Problems with one card: key terms missing from the answer or from the cited lines."""
    problems = []
    cited = cited_text(card)
    for t in card.key_terms:
        if not term_in(t, card.answer):
            problems.append(f"{card.id}: key term {t!r} is not in the answer")
        if not term_in(t, cited):
            problems.append(f"{card.id}: key term {t!r} is not in the cited lines")
    return problems


@lru_cache(maxsize=2)
def _load(directory: str) -> tuple[AnswerCard, ...]:
    lengths = doc_lengths()
    cards: list[AnswerCard] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        cards.extend(parse_file(path, lengths))
    ids = [c.id for c in cards]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CardError(f"duplicate card ids: {sorted(dupes)}")
    return tuple(cards)


def load_cards(directory: Path = ANSWERS_DIR) -> list[AnswerCard]:
    return list(_load(str(directory)))


def cards_digest(directory: Path = ANSWERS_DIR) -> str:
    """Content hash of the answer-card files (part of the index fingerprint)."""
    return files_digest(directory)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or sorted(ANSWERS_DIR.glob("*.yaml"))
    lengths = doc_lengths()
    ok, n = True, 0
    for path in paths:
        try:
            cards = parse_file(path, lengths)
        except CardError as exc:
            print(f"ERROR {exc}")
            ok = False
            continue
        n += len(cards)
        for card in cards:
            for p in check_card(card):
                print(f"ERROR {path.name}: {p}")
                ok = False
        print(f"{path.name}: {len(cards)} cards")
    print(f"total {n} cards")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
