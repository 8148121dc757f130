"""The extractive answer: whole sentences from the retrieved passages, the best one first.

Rules (issue 11): the first line answers; a list item comes with its lead-in; no fragments; no
sentence that shares no content word with the question; footnote markers and footnote text that the
PDF conversion glued into the text are removed. The composer returns plain data (text and quotes);
the application turns the quotes into citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.text import tokenize

MAX_SUPPORT = 3          # supporting sentences after the first line
MAX_PASSAGES = 3
MIN_WORDS = 6

# "werknemer.2 Het inschakelen" -> "werknemer. Het inschakelen" (a footnote number after a full stop)
_FOOTNOTE_MARK = re.compile(r"(?<![Aa]rt)(?<=[a-z\)’'])\.(\d{1,2})(?=\s+(?:\d{1,2})?[A-Z•(]|\s*$)")
# "... voorkomen.16 16 Arbeidsomstandighedenwet-", "1Eigen regiemodel: ...": a footnote's own text
_FOOTNOTE_TEXT = re.compile(r"^\d{1,2}\s*[A-Z][a-z]")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'‘“(A-Z0-9À-Ý])")
_BULLET = re.compile(r"\s*[•☐☑☒▪◦]\s*")


@dataclass(frozen=True)
class Unit:
    """A quotable unit: a sentence, or a list item together with its lead-in."""

    text: str
    position: int
    sentence: int = 0         # index of the source sentence it comes from
    lead: str = ""            # for a list item: the lead-in ("... achtereenvolgens:")
    body: str = ""            # for a list item: the item itself


@dataclass
class Quote:
    passage: int              # index into the passages given to :func:`compose`
    text: str


@dataclass
class Composition:
    first: str                # the first line (already carries its citation number)
    support: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)

    @property
    def text(self) -> str:
        if not self.support:
            return self.first
        return self.first + "\n\nUit de bronnen:\n" + "\n".join(f"- {s}" for s in self.support)


def clean(text: str) -> str:
    """Passage text without glued footnote numbers and with single spaces."""
    text = _FOOTNOTE_MARK.sub(".", text)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """The cleaned source sentences of a passage (a list stays inside its sentence)."""
    return [x.strip() for x in _SENT_SPLIT.split(clean(text)) if x.strip()]


def units(text: str) -> list[Unit]:
    """Sentences and list items (with their lead-in) of a passage, in order."""
    out: list[Unit] = []
    pos = 0
    for si, sent in enumerate(sentences(text)):
        parts = _BULLET.split(sent)
        if len(parts) == 1:
            out.append(Unit(sent, pos, si))
            pos += 1
            continue
        lead = parts[0].strip()
        items = [p.strip(" ;,") for p in parts[1:] if p.strip(" ;,")]
        if lead and not lead.endswith(":") and len(lead.split()) >= MIN_WORDS:
            out.append(Unit(lead, pos, si))  # a whole sentence before an unannounced list
            pos += 1
            lead = ""
        for item in items:
            body = item[0].lower() + item[1:] if lead.endswith(":") and item[:1].isupper() else item
            body = body.rstrip(".")
            text_ = f"{lead} {body}".strip() if lead else body
            out.append(Unit(text_ + ".", pos, si, lead, body))
            pos += 1
    return out


def _line(group: list[Unit]) -> str:
    """One answer line: a sentence, or a lead-in with the chosen items of its list."""
    if len(group) == 1 or not group[0].lead:
        return group[0].text
    return f"{group[0].lead} " + "; ".join(u.body for u in group) + "."


def is_fragment(u: Unit) -> bool:
    """Too short, a footnote, or not starting like a sentence."""
    words = u.text.split()
    if len(words) < MIN_WORDS or _FOOTNOTE_TEXT.match(u.text):
        return True
    first = u.text[0]
    return not (first.isupper() or first.isdigit() or first in "\"'‘“(")


def compose(question: str, passages: list[tuple[str, int]], *, max_support: int = MAX_SUPPORT) -> Composition | None:
    """An answer from ``passages`` ((text, rank) in rank order) or None when no sentence fits the question.

    Sentences are scored by the share of the question's stems they hold, with a bonus for the
    passage's rank and an early position; the best one is the first line.
    """
    qtok = set(tokenize(question, expand=True)) | set(re.findall(r"\b\d{1,3}\b", question))
    if not qtok:
        return None
    scored = []
    for pi, (text, rank) in enumerate(passages[:MAX_PASSAGES + 2]):
        for u in units(text):
            if is_fragment(u):
                continue
            stoks = set(tokenize(u.text)) | set(re.findall(r"\b\d{1,3}\b", u.text))
            hits = len(qtok & stoks)
            if hits == 0:
                continue
            score = hits / len(qtok) + 0.25 / (rank + 1) - 0.01 * u.position
            scored.append((score, pi, u))
    if not scored:
        return None
    scored.sort(key=lambda x: -x[0])
    chosen: list[tuple[int, Unit]] = []
    seen: set[str] = set()
    for _, pi, u in scored:
        if u.text in seen:
            continue
        if len({p for p, _ in chosen} | {pi}) > MAX_PASSAGES:
            continue
        chosen.append((pi, u))
        seen.add(u.text)
        if len(chosen) >= 1 + max_support:
            break
    # items of one list become one line (lead-in once); citation numbers in order of first use
    groups: list[tuple[int, list[Unit]]] = []
    for pi, u in chosen:
        for gpi, g in groups:
            if gpi == pi and u.lead and g[0].lead == u.lead and g[0].sentence == u.sentence:
                g.append(u)
                break
        else:
            groups.append((pi, [u]))
    numbers: dict[int, int] = {}
    for pi, _ in groups:
        numbers.setdefault(pi, len(numbers) + 1)
    lines = []
    for pi, g in groups:
        g.sort(key=lambda u: u.position)
        lines.append(f"{_line(g)} [{numbers[pi]}]")
    quotes = []
    for pi, n in sorted(numbers.items(), key=lambda x: x[1]):
        used = sorted({u.sentence for p, g in groups if p == pi for u in g})
        sents = sentences(passages[pi][0])
        window = sents[max(0, used[0] - 1): used[-1] + 2]
        quotes.append(Quote(pi, _clip(" ".join(window), 900)))
    return Composition(lines[0], lines[1:], quotes)


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
