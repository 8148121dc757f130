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

KNOWLEDGE_DIR = Path(__file__).resolve().parent
SOURCES_DIR = KNOWLEDGE_DIR / "sources"
MANIFEST = KNOWLEDGE_DIR / "manifest.yaml"
CHUNKING_VERSION = "4"


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
    manifest = Manifest(**yaml.safe_load(path.read_text(encoding="utf-8")))
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

    @property
    def index_text(self) -> str:
        """What is indexed: the heading is part of it."""
        return f"{self.short} | {self.section} {self.heading}\n{self.text}"

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
    for spec in load_manifest().documents:
        raw = read_source(spec, sources_dir)
        lines = clean_lines(raw, drop_lines=tuple(spec.drop_lines))
        seq = 0
        for section in detect_sections(spec, raw):
            new = chunk_section(section, lines, spec, target=target, maximum=maximum, seq_start=seq)
            seq += len(new)
            chunks.extend(new)
    return chunks


def knowledge_version() -> str:
    return f"clean{CLEANING_VERSION}-chunk{CHUNKING_VERSION}"
