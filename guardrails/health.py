"""Dutch health-data lexicon matcher (gezondheidsgegevens), robust against evasion.

The lexicon lives in ``guardrails/lexicon/health_nl.yaml`` (by category). Text is matched in its
normalised form (:mod:`guardrails.normalize`), so "k4nker", "b.u.r.n-o.u.t", "Rüg\u200bklachten" and
compounds ("rugklachten", "knieoperatie", "borstkanker") are found; offsets are reported in the
ORIGINAL text and always cover whole words.

Health data are a special category of personal data (AVG art. 9). The employer may not ask about or
record a diagnosis, complaints, doctor visits, limitations, treatments or private causes (source
002, lines 795-801), which is why the employer-facing rails use this matcher.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from guardrails.normalize import normalize_for_matching, normalize_with_map, span_to_original

logger = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).resolve().parent / "lexicon" / "health_nl.yaml"
GENERIC = "generic"
_W = "a-z0-9"


@dataclass(frozen=True)
class HealthMatch:
    """One health term found in a text.

    Attributes:
        start: Start offset in the original text (whole word).
        end: End offset (exclusive) in the original text.
        term: The lexicon term (normalised) that matched, not the user's spelling.
        category: Lexicon category, e.g. ``medication`` or ``body_parts``.
    """

    start: int
    end: int
    term: str
    category: str


class _Category(BaseModel):
    model_config = ConfigDict(extra="forbid")
    placeholder: str
    mode: str = Field(pattern="^(prefix|infix|word)$")
    terms: list[str]


class _BodyParts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    placeholder: str
    parts: list[str]
    complaints: list[str]
    exclude: list[str] = []
    phrases: list[str] = []


class _Lexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    placeholder_default: str
    categories: dict[str, _Category]
    body_parts: _BodyParts
    generic: list[str]
    topic_words: list[str]
    script_topics: list[str]
    not_health_after_cue: list[str]


class HealthLexicon:
    """Compiled lexicon. Use :func:`get_lexicon` for the shared instance."""

    def __init__(self, path: Path = LEXICON_PATH):
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.spec = _Lexicon.model_validate(raw)
        self.placeholders: dict[str, str] = {GENERIC: self.spec.placeholder_default}
        self._patterns: list[tuple[str, re.Pattern]] = []
        for name, cat in self.spec.categories.items():
            self.placeholders[name] = cat.placeholder
            groups: dict[str, list[str]] = {"prefix": [], "infix": [], "word": []}
            for term in cat.terms:
                mode = cat.mode
                if term.startswith("="):
                    mode, term = "word", term[1:]
                elif term.startswith("~"):
                    mode, term = "infix", term[1:]
                norm = normalize_for_matching(term)
                if not norm:
                    raise ValueError(f"empty lexicon term in {name}")
                if mode == "infix" and len(norm) < 6:
                    mode = "prefix"
                groups[mode].append(norm)
            for mode, terms in groups.items():
                if terms:
                    self._patterns.append((name, self._compile(terms, mode)))
        bp = self.spec.body_parts
        self.placeholders["body_parts"] = bp.placeholder
        parts = "|".join(sorted({re.escape(normalize_for_matching(p)) for p in bp.parts}, key=len, reverse=True))
        compl = "|".join(sorted({re.escape(normalize_for_matching(c)) for c in bp.complaints}, key=len, reverse=True))
        self._body_compound = re.compile(rf"(?<![{_W}])(?:{parts})(?:en|s|e)?(?:{compl})[{_W}]*")
        self._body_exclude = {normalize_for_matching(x) for x in bp.exclude}
        self._body_phrases = [re.compile(p.replace("{PART}", rf"(?:{parts})(?![{_W}])")) for p in bp.phrases]
        self._generic = self._compile([normalize_for_matching(g) for g in self.spec.generic], "prefix")

    @staticmethod
    def _compile(terms: list[str], mode: str) -> re.Pattern:
        alt = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
        if mode == "word":
            return re.compile(rf"(?<![{_W}])(?:{alt})(?![{_W}])")
        if mode == "prefix":
            return re.compile(rf"(?<![{_W}])(?:{alt})[{_W}]*")
        # No leading wildcard: "[a-z]*term" is quadratic on a long word; widened in _widen_norm.
        return re.compile(rf"(?:{alt})[{_W}]*")

    def find_normalized(self, norm: str, *, include_generic: bool = False) -> list[tuple[int, int, str, str]]:
        """Find terms in already-normalised text; spans refer to ``norm``."""
        found: list[tuple[int, int, str, str]] = []
        for name, pat in self._patterns:
            for m in pat.finditer(norm):
                start = m.start()
                while start > 0 and (norm[start - 1].isalnum()) and start > m.start() - 40:
                    start -= 1
                found.append((start, m.end(), norm[start:m.end()], name))
        for m in self._body_compound.finditer(norm):
            if m.group(0) not in self._body_exclude:
                found.append((m.start(), m.end(), m.group(0), "body_parts"))
        for pat in self._body_phrases:
            for m in pat.finditer(norm):
                found.append((m.start(), m.end(), m.group(0), "body_parts"))
        if include_generic:
            for m in self._generic.finditer(norm):
                found.append((m.start(), m.end(), m.group(0), GENERIC))
        # Longest match wins; no overlaps.
        found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
        out: list[tuple[int, int, str, str]] = []
        last_end = -1
        for item in found:
            if item[0] >= last_end:
                out.append(item)
                last_end = item[1]
        return out

    def find(self, text: str, *, include_generic: bool = False) -> list[HealthMatch]:
        """Find health terms in ``text``; offsets refer to the original text."""
        if not text:
            return []
        norm, index = normalize_with_map(text)
        matches = []
        for s, e, term, cat in self.find_normalized(norm, include_generic=include_generic):
            start, end = span_to_original(index, len(text), s, e)
            start, end = _widen_to_word(text, start, end)
            matches.append(HealthMatch(start, end, term, cat))
        # Widening can make neighbours overlap: merge them.
        merged: list[HealthMatch] = []
        for m in matches:
            if merged and m.start < merged[-1].end:
                prev = merged[-1]
                merged[-1] = HealthMatch(prev.start, max(prev.end, m.end), prev.term, prev.category)
            else:
                merged.append(m)
        return merged


def _widen_to_word(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend a span to whole words of the original text (letters, digits, hyphens, dots between letters)."""

    def inner(c: str) -> bool:
        return c.isalnum() or c in "-\u00ad\u200b\u200c\u200d"

    while start > 0 and inner(text[start - 1]):
        start -= 1
    while end < len(text) and inner(text[end]):
        end += 1
    return start, end


@functools.lru_cache(maxsize=1)
def get_lexicon() -> HealthLexicon:
    """Return the shared, compiled lexicon (loaded once)."""
    return HealthLexicon()


def find_health(text: str, *, include_generic: bool = False) -> list[HealthMatch]:
    """Find health data in ``text``.

    Args:
        text: Any text (user input, passage or reply).
        include_generic: Also report the generic vocabulary ("diagnose", "klachten") with category
            ``generic``; off by default because those words are not health data on their own.

    Returns:
        Non-overlapping matches sorted by position, offsets in the original text.
    """
    return get_lexicon().find(text or "", include_generic=include_generic)


def placeholder_for(category: str) -> str:
    """Return the neutral Dutch placeholder that replaces a term of ``category``."""
    lex = get_lexicon()
    return lex.placeholders.get(category, lex.spec.placeholder_default)


def redact_health(text: str, matches: list[HealthMatch] | None = None, *, placeholder: str | None = None) -> str:
    """Replace health terms with neutral placeholders ("[medicatie]", "[aandoening]").

    Args:
        text: Text to redact.
        matches: Matches to use (default: :func:`find_health` on ``text``).
        placeholder: One placeholder for every match instead of the per-category ones.

    Returns:
        The redacted text.
    """
    if matches is None:
        matches = find_health(text)
    out = []
    pos = 0
    for m in sorted(matches, key=lambda m: m.start):
        if m.start < pos:
            continue
        out.append(text[pos : m.start])
        out.append(placeholder or placeholder_for(m.category))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
