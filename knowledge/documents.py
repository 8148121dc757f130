"""The knowledge base: manifest, source documents and section-aware chunking."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.cleaning import CLEANING_VERSION, Line, clean_lines, join_lines, lines_for_span

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on the corpora

KNOWLEDGE_DIR = Path(__file__).resolve().parent
SOURCES_DIR = KNOWLEDGE_DIR / "sources"
MANIFEST = KNOWLEDGE_DIR / "manifest.yaml"
CHUNKING_VERSION = "5"
CARDS = KNOWLEDGE_DIR / "cards.yaml"


class CardSpec(BaseModel):
    """A knowledge card: a core rule pointing at its source lines (see cards.yaml)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    doc: str
    lines: str = Field(pattern=r"^\d+-\d+$")
    title: str
    keywords: str = ""

    @property
    def span(self) -> tuple[int, int]:
        a, b = self.lines.split("-")
        return int(a), int(b)


def load_cards(path: Path = CARDS) -> list[CardSpec]:
    """Load and validate the knowledge cards (ids unique, documents known)."""
    cards = [CardSpec(**c) for c in (yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or [])]
    ids = [c.id for c in cards]
    if len(ids) != len(set(ids)):
        raise SourceError("duplicate knowledge-card ids")
    known = {d.id for d in load_manifest().documents}
    for c in cards:
        if c.doc not in known:
            raise SourceError(f"knowledge card {c.id}: unknown document {c.doc}")
    return cards


class SourceError(RuntimeError):
    """A source file is missing, unreadable or does not match the manifest."""


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: int
    id: str
    heading: str
    match: str = ""
    keep_whole: bool = False


class DocumentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^\d{3}$")
    file: str
    title: str
    short: str
    publisher: str
    year: str
    kind: str
    heading_regex: str | None = None
    drop_lines: list[int] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(default_factory=list)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentSpec]

    def doc(self, doc_id: str) -> DocumentSpec:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise KeyError(doc_id)


@lru_cache(maxsize=4)
def load_manifest(path: Path = MANIFEST) -> Manifest:
    """Load and validate the manifest (ids unique)."""
    manifest = Manifest(**yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER))
    ids = [d.id for d in manifest.documents]
    if len(ids) != len(set(ids)):
        raise SourceError("duplicate document ids in manifest")
    return manifest


def read_source(spec: DocumentSpec, sources_dir: Path = SOURCES_DIR) -> str:
    """Read one source file; a missing or unreadable file raises SourceError naming it."""
    path = sources_dir / spec.file
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"bronbestand ontbreekt: {path}") from exc
    except OSError as exc:
        raise SourceError(f"bronbestand onleesbaar: {path} ({exc})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"bronbestand is geen UTF-8-tekst: {path}") from exc


def source_lines(doc_id: str) -> list[str]:
    """The original lines of a source file (index 0 = line 1)."""
    spec = load_manifest().doc(doc_id)
    return read_source(spec).split("\n")


def sources_digest(sources_dir: Path = SOURCES_DIR) -> str:
    """Content hash of the manifest and every source file."""
    h = hashlib.sha256(MANIFEST.read_bytes())
    for spec in load_manifest().documents:
        h.update(spec.id.encode())
        h.update(read_source(spec, sources_dir).encode())
    return h.hexdigest()


@dataclass
class Section:
    doc: str
    id: str
    heading: str
    start: int            # first original line
    end: int              # last original line (inclusive)
    keep_whole: bool = False


def detect_sections(spec: DocumentSpec, raw: str) -> list[Section]:
    """Sections of one document: numbered articles by regex, or the manifest table (verified)."""
    raw_lines = raw.split("\n")
    n = len(raw_lines)
    starts: list[tuple[int, str, str, bool]] = []
    if spec.heading_regex:
        rx = re.compile(spec.heading_regex)
        chapter = ""
        for i, text in enumerate(raw_lines, start=1):
            m = rx.match(text.replace("\ufffd", " "))
            if not m:
                continue
            number, title = m.group(1), re.sub(r"\s+", " ", m.group(2)).strip()
            if "." not in number:
                chapter = title
                starts.append((i, number, title, False))
            else:
                starts.append((i, number, f"{chapter} — artikel {number}" if chapter else f"artikel {number}", False))
    else:
        for s in spec.sections:
            if s.match:
                window = " ".join(raw_lines[max(0, s.line - 3): s.line + 2]).lower()
                if s.match.lower() not in window:
                    raise SourceError(
                        f"{spec.file}: heading '{s.match}' not found near line {s.line}; manifest out of date"
                    )
            starts.append((s.line, s.id, s.heading, s.keep_whole))
    starts.sort()
    sections = []
    for k, (line, sid, heading, whole) in enumerate(starts):
        end = starts[k + 1][0] - 1 if k + 1 < len(starts) else n
        sections.append(Section(spec.id, sid, heading, line, end, whole))
    return sections


@dataclass
class Chunk:
    """One retrievable passage with its provenance."""

    id: str
    source: str
    title: str
    short: str
    section: str
    heading: str
    line_start: int
    line_end: int
    text: str              # cleaned passage text (what is quoted)
    extra: str = ""        # knowledge-card keywords (indexed, never quoted)

    @property
    def index_text(self) -> str:
        """What is indexed: the heading (and a card's keywords) are part of it."""
        extra = f"\n{self.extra}" if self.extra else ""
        return f"{self.short} | {self.section} {self.heading}\n{self.text}{extra}"

    def to_dict(self) -> dict:
        return asdict(self)


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'‘“(•☑☒A-Z0-9À-Ý])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a running text."""
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def chunk_section(section: Section, lines: list[Line], spec: DocumentSpec, *, target: int, maximum: int,
                  seq_start: int) -> list[Chunk]:
    """Split one section into chunks of about ``target`` characters at sentence ends."""
    body = [ln for ln in lines if section.start <= ln.no <= section.end]
    if not body:
        return []
    text, offsets = join_lines(body)
    pieces: list[tuple[int, int]] = []
    if section.keep_whole or len(text) <= maximum:
        pieces.append((0, len(text)))
    else:
        cur_start, cur_end = None, None
        for a, b in split_sentences(text):
            if cur_start is None:
                cur_start, cur_end = a, b
                continue
            if b - cur_start > target and cur_end - cur_start >= target // 3:
                pieces.append((cur_start, cur_end))
                cur_start = a
            cur_end = b
        if cur_start is not None:
            # a short tail is merged into the previous piece
            if pieces and cur_end - cur_start < target // 3:
                pieces[-1] = (pieces[-1][0], cur_end)
            else:
                pieces.append((cur_start, cur_end))
        # hard cut of any piece still above the maximum (no sentence ends, e.g. tables)
        cut: list[tuple[int, int]] = []
        for a, b in pieces:
            while b - a > maximum:
                split = text.rfind(" ", a + target, a + maximum)
                split = split if split > a else a + maximum
                cut.append((a, split))
                a = split + 1
            cut.append((a, b))
        pieces = cut
    chunks = []
    for k, (a, b) in enumerate(pieces):
        first, last = lines_for_span(offsets, a, b)
        chunks.append(Chunk(
            id=f"{spec.id}-{seq_start + k:04d}", source=spec.id, title=spec.title, short=spec.short,
            section=section.id, heading=section.heading, line_start=first, line_end=last,
            text=text[a:b].strip(),
        ))
    return chunks


def build_chunks(*, target: int = 700, maximum: int = 1400, sources_dir: Path = SOURCES_DIR) -> list[Chunk]:
    """Clean and chunk every document of the manifest."""
    chunks: list[Chunk] = []
    cleaned: dict[str, tuple[list[Line], list[Section]]] = {}
    for spec in load_manifest().documents:
        raw = read_source(spec, sources_dir)
        lines = clean_lines(raw, drop_lines=tuple(spec.drop_lines))
        sections = detect_sections(spec, raw)
        cleaned[spec.id] = (lines, sections)
        seq = 0
        for section in sections:
            new = chunk_section(section, lines, spec, target=target, maximum=maximum, seq_start=seq)
            new = [c for c in new if len(c.text) >= 80 or "." in c.section]  # a bare chapter title is no passage
            for c in new:
                c.id = f"{spec.id}-{seq:04d}"
                seq += 1
            chunks.extend(new)
    for k, card in enumerate(load_cards()):
        spec = load_manifest().doc(card.doc)
        lines, sections = cleaned[card.doc]
        a, b = card.span
        body = [ln for ln in lines if a <= ln.no <= b]
        if not body:
            raise SourceError(f"knowledge card {card.id}: no text at {card.doc}:{card.lines}")
        text, _ = join_lines(body)
        section = next((s for s in reversed(sections) if s.start <= a), sections[0])
        chunks.append(Chunk(
            id=f"card-{k:03d}", source=card.doc, title=spec.title, short=spec.short, section=section.id,
            heading=card.title, line_start=body[0].no, line_end=body[-1].no, text=text, extra=card.keywords,
        ))
    return chunks


def knowledge_version() -> str:
    return f"clean{CLEANING_VERSION}-chunk{CHUNKING_VERSION}"
