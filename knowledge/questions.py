"""The question corpus (doc2query): questions in users' words, each pointing at the source lines that answer it.

Files: ``knowledge/questions/*.yaml``, each a list of passages::

    - doc: "002"
      lines: 120-128
      questions:
        - Mag ik als casemanager zelf vragen wat iemand mankeert?
        - ...

The corpus is split 80/20 by a stable hash (SHA-256 of the normalised question): the ``train``
part shapes retrieval (question index, fine-tuned embeddings, fusion weights); the ``test`` part
is only measured. Validate with ``python -m knowledge.questions [FILE ...]``.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on the corpora

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
TEST_SHARE = 20  # percent


@dataclass(frozen=True)
class Question:
    """One question with the source range that answers it and its split."""

    text: str
    doc: str
    start: int
    end: int
    file: str
    split: str

    @property
    def ranges(self) -> list[tuple[str, int, int]]:
        return [(self.doc, self.start, self.end)]


def normalise(text: str) -> str:
    """Lower case, no diacritics, single spaces: the key for the split and for duplicates."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", text).strip()


def split_of(text: str) -> str:
    """``train`` or ``test``, fixed forever by the hash of the normalised text."""
    h = int(hashlib.sha256(normalise(text).encode("utf-8")).hexdigest(), 16)
    return "test" if h % 100 < TEST_SHARE else "train"


def fold_of(text: str) -> str:
    """For a train question: ``fit`` (trains the embeddings) or ``dev`` (15 %, tunes fusion and thresholds)."""
    h = int(hashlib.sha256(("dev:" + normalise(text)).encode("utf-8")).hexdigest(), 16)
    return "dev" if h % 100 < 15 else "fit"


class CorpusError(ValueError):
    """A question file does not follow the schema."""


def doc_lengths() -> dict[str, int]:
    """Number of lines of each source document (for validating line references)."""
    from knowledge.documents import load_manifest, source_lines

    return {d.id: len(source_lines(d.id)) for d in load_manifest().documents}


def source_range(doc: object, lines: object, lengths: dict[str, int]) -> tuple[str, int, int]:
    """``("002", 120, 128)`` from a doc id and ``"120-128"``; ValueError saying what is wrong."""
    doc_id = str(doc).zfill(3)
    if doc_id not in lengths:
        raise ValueError(f"unknown doc {doc!r}")
    m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", str(lines).strip())
    if not m:
        raise ValueError("lines must look like 120-128")
    a, b = int(m.group(1)), int(m.group(2))
    if not 1 <= a <= b <= lengths[doc_id]:
        raise ValueError(f"lines {a}-{b} outside doc {doc_id} (1-{lengths[doc_id]})")
    return doc_id, a, b


def files_digest(directory: Path) -> str:
    """Content hash of the YAML files of a corpus directory (part of index and model fingerprints)."""
    h = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.yaml")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def parse_file(path: Path, lengths: dict[str, int] | None = None) -> list[Question]:
    """The questions of one file; raises :class:`CorpusError` naming the entry at fault."""
    lengths = lengths or doc_lengths()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or []
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{path.name}: must be a list of passages")
    out: list[Question] = []
    for i, entry in enumerate(data):
        where = f"{path.name} entry {i + 1}"
        if not isinstance(entry, dict) or set(entry) - {"doc", "lines", "questions"}:
            raise CorpusError(f"{where}: expected keys doc, lines, questions")
        try:
            doc, a, b = source_range(entry.get("doc", ""), entry.get("lines", ""), lengths)
        except ValueError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        qs = entry.get("questions")
        if not isinstance(qs, list) or not qs:
            raise CorpusError(f"{where}: questions must be a non-empty list")
        for q in qs:
            if not isinstance(q, str) or len(q.strip()) < 8:
                raise CorpusError(f"{where}: question too short or not a string: {q!r}")
            out.append(Question(q.strip(), doc, a, b, path.name, split_of(q)))
    return out


@lru_cache(maxsize=2)
def _load(directory: str) -> tuple[Question, ...]:
    lengths = doc_lengths()
    seen: dict[str, Question] = {}
    out = []
    for path in sorted(Path(directory).glob("*.yaml")):
        for q in parse_file(path, lengths):
            key = normalise(q.text)
            if key in seen:  # the same question twice: keep the first (its range is the one indexed)
                continue
            seen[key] = q
            out.append(q)
    return tuple(out)


def load_questions(directory: Path = QUESTIONS_DIR, split: str | None = None) -> list[Question]:
    """All questions (de-duplicated), or only those of ``split`` ("train" / "test")."""
    qs = list(_load(str(directory)))
    return [q for q in qs if split is None or q.split == split]


def corpus_digest(directory: Path = QUESTIONS_DIR) -> str:
    """Content hash of the question files (part of the index and model fingerprints)."""
    return files_digest(directory)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or sorted(QUESTIONS_DIR.glob("*.yaml"))
    lengths = doc_lengths()
    total, ok = 0, True
    for path in paths:
        try:
            qs = parse_file(path, lengths)
        except CorpusError as exc:
            print(f"ERROR {exc}")
            ok = False
            continue
        passages = {(q.doc, q.start, q.end) for q in qs}
        few = sum(1 for p in passages if sum(1 for q in qs if (q.doc, q.start, q.end) == p) < 5)
        print(f"{path.name}: {len(qs)} questions, {len(passages)} passages, {few} with fewer than 5")
        total += len(qs)
    print(f"total {total} questions")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
