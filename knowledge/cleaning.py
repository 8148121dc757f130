"""Cleaning of the PDF-extraction artefacts, keeping a map back to the original line numbers.

The source files are plain text taken from PDFs. What is removed or repaired (see the domain notes):

- repeated navigation blocks ("Snel naar... INHOUD ... Geraadpleegde bronnen") in 003 and 004;
- running headers (all-capital lines repeated through a document) and bare page numbers;
- lines that hold only a URL (footnote URL blocks that split sentences), markdown link residue;
- heading tails moved onto a line of their own (listed per document in the manifest);
- hyphenation across lines ("case-" + "manager"), footnote numbers glued to words ("artsen14");
- private-use glyphs: the lost check/cross icons of 003 (U+F0FE ☑, U+F0FD ☒), bullets, U+FFFD.

The result is a list of :class:`Line` objects: cleaned text plus the original 1-based line number, so
that every chunk can cite the lines of the file as shipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

CLEANING_VERSION = "4"

# Private-use glyphs left by Wingdings/Symbol fonts.
GLYPHS = {
    "\uf0fe": "☑ ",   # check box: allowed
    "\uf0fd": "☒ ",   # crossed box: not allowed
    "\uf0b7": "• ",
    "\uf0a7": "• ",
    "\uf0d8": "• ",
    "\uf0e0": "→ ",
    "\ufffd": " ",
}

_URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:#|https?://)[^)]*\)")
_INLINE_URL = re.compile(r"\s*\(?https?://\S+\)?")
# A footnote number glued to a word: "artsen14", "Taakdelegatie2", "delegeren;33".
_GLUED_FOOTNOTE = re.compile(r"(?<=[a-zà-ÿ]{3})(\d{1,2})(?=[\s,.;:)]|$)|(?<=[;:])(\d{1,2})(?=\s|$)")
_PAGE_HEADER = re.compile(r"^\s*\d{1,3}\s{3,}\S")
_NAV_START = re.compile(r"^\s*Snel naar", re.IGNORECASE)
_NAV_END = re.compile(r"geraadpleegde", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One kept line: cleaned text and its 1-based line number in the original file."""

    no: int
    text: str


def normalise_glyphs(text: str) -> str:
    """Replace private-use glyphs, control characters and odd spaces."""
    for glyph, repl in GLYPHS.items():
        text = text.replace(glyph, repl)
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif 0xE000 <= ord(ch) <= 0xF8FF:
            out.append(" ")  # any other private-use glyph carries no text
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        else:
            out.append(ch)
    return re.sub(r"[ \u00a0]{2,}", " ", "".join(out)).strip()


def _is_caps_header(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and not any(c.islower() for c in letters)


def _header_key(text: str) -> str:
    """Running headers carry a page number ("6 OPLEIDINGEN/..."): compare them without digits."""
    return re.sub(r"[\d\s]+", " ", normalise_glyphs(text)).strip()


def _navigation_ranges(raw: list[str]) -> list[tuple[int, int]]:
    """0-based inclusive index ranges of "Snel naar..." navigation blocks."""
    ranges = []
    i = 0
    while i < len(raw):
        if _NAV_START.match(raw[i]):
            end = None
            for j in range(i + 1, min(i + 120, len(raw))):
                if _NAV_END.search(raw[j]):
                    end = j
                    # "8 | Geraadpleegde" + "bronnen" on the next non-blank line
                    for k in range(j + 1, min(j + 3, len(raw))):
                        if raw[k].strip():
                            if raw[k].strip().lower().startswith("bronnen"):
                                end = k
                            break
                    break
            if end is None:
                end = i
            # the running header and page number just above the block belong to it
            start = i
            for k in range(i - 1, max(i - 5, -1), -1):
                s = raw[k].strip()
                if not s:
                    continue
                if _PAGE_NUMBER.match(s) or _is_caps_header(s):
                    start = k
                    continue
                break
            ranges.append((start, end))
            i = end + 1
        else:
            i += 1
    return ranges


def clean_lines(raw_text: str, *, drop_lines: tuple[int, ...] = ()) -> list[Line]:
    """Clean one document; returns the kept lines with their original line numbers."""
    raw = raw_text.split("\n")
    drop = {n - 1 for n in drop_lines}
    for start, end in _navigation_ranges(raw):
        drop.update(range(start, end + 1))
    caps_counts = Counter(_header_key(s) for s in raw if _is_caps_header(s.strip()))
    lines: list[Line] = []
    for idx, original in enumerate(raw):
        if idx in drop:
            continue
        text = normalise_glyphs(original)
        if not text or _URL_LINE.match(text) or _PAGE_NUMBER.match(text):
            continue
        if _is_caps_header(text) and "|" not in text and (
                caps_counts[_header_key(text)] > 1 or _PAGE_HEADER.match(original)):
            continue  # running header (repeated, or "6     OPLEIDINGEN/..." with its page number)
        text = _MD_LINK.sub(r"\1", text)
        text = _INLINE_URL.sub("", text).strip()
        text = _GLUED_FOOTNOTE.sub("", text)
        if not text or _PAGE_NUMBER.match(text):  # e.g. a footnote number whose URL was removed
            continue
        lines.append(Line(idx + 1, text))
    return lines


def join_lines(lines: list[Line]) -> tuple[str, list[tuple[int, int]]]:
    """Join lines into running text, undoing hyphenation across line ends.

    Returns the text and a list of ``(char_offset, line_no)`` pairs: the line that starts at
    each offset, so any span of the text maps back to original line numbers.
    """
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    for i, line in enumerate(lines):
        text = line.text
        if parts:
            prev = parts[-1]
            if prev.endswith("-") and len(prev) > 1 and prev[-2].islower() and text[:1].islower() \
                    and not re.match(r"(en|of|tot)\b", text):
                # "case-" + "manager" -> "casemanager"
                parts[-1] = prev[:-1]
                pos -= 1
                sep = ""
            else:
                sep = " "
            parts.append(sep)
            pos += len(sep)
        offsets.append((pos, line.no))
        parts.append(text)
        pos += len(text)
    return "".join(parts), offsets


def lines_for_span(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Original first and last line numbers of the text span ``[start, end)``."""
    first = offsets[0][1]
    last = offsets[0][1]
    for off, no in offsets:
        if off <= start:
            first = no
        if off < end:
            last = no
        else:
            break
    return first, last
