"""Input cleaning and normalisation against evasion.

Two jobs, kept apart on purpose:

* :func:`clean_input` makes raw user input *safe to process*: it decodes bytes, removes control and
  zero-width characters, cuts overly long input and says so in Dutch. The result is what the rest
  of the turn sees and what the user typed, minus invisible tricks.
* :func:`normalize_for_matching` produces a *matching form* for the rails and the health lexicon:
  lower case, no diacritics, leetspeak undone ("k4nker"), letters split by spaces or dots joined
  again ("b.u.r.n-o.u.t"), hyphens between letters dropped ("burn-out" == "burnout"), common
  Cyrillic/Greek look-alikes mapped to Latin. :func:`normalize_with_map` does the same and keeps,
  for every character of the matching form, the offset of the character it came from, so a match
  can be reported in the original text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# Zero-width and invisible formatting characters (all of Unicode category Cf is removed as well).
_INVISIBLE = {
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u061c",
    "\u115f",
    "\u1160",
    "\u17b4",
    "\u17b5",
    "\u180e",
    "\u3164",
    "\uffa0",
}
_KEEP_CONTROL = {"\n", "\t"}

# Look-alikes that NFKD does not fold (Cyrillic and Greek letters used to dodge filters).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
    }
)

# Leetspeak digits/symbols inside words.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "€": "e"}
# Tokens that legitimately mix digits and letters and must stay as they are.
_NO_LEET = re.compile(
    r"^(?:\d+(?:e|de|ste|x|ml|mg|kg|km|uur|u|jr|jaar|wk|mnd|cm|mm|g)?|[a-z]?\d+[a-z]?|wia|wga|avg|zw|b[0-9]|a[0-9])$"
)
# Short mixed tokens kept by _NO_LEET ("h1j", "3n", "v44k") and units that are never leetspeak.
_SHORT_LEET = re.compile(r"^[a-z]?\d+[a-z]?$")
_UNIT = re.compile(r"^\d+(?:e|de|ste|x|ml|mg|kg|km|uur|u|jr|jaar|wk|mnd|cm|mm|g)?$|^[ab][0-9]$")
_TOKEN = re.compile(r"[a-z0-9@$!|€]+")
# Runs of single letters separated by dots, spaces, dashes, underscores, asterisks ("b.u.r.n-o.u.t").
_SPLIT_RUN = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_*·•/]{1,2}[a-z](?![a-z0-9])){2,}")
_SEPARATORS = set(" .-_*·•/")
_HYPHEN_BETWEEN = re.compile(r"(?<=[a-z])[-‐‑‒–](?=[a-z])")


@dataclass
class CleanInput:
    """Result of :func:`clean_input`.

    Attributes:
        text: Safe text (control and zero-width characters removed, cut to ``max_chars``).
        notices: Dutch notices for the user (e.g. that the message was shortened).
        error: Dutch message when nothing usable remains; ``text`` is then empty.
    """

    text: str
    notices: list[str] = field(default_factory=list)
    error: str | None = None


def _is_invisible(ch: str) -> bool:
    if ch in _KEEP_CONTROL:
        return False
    if ch in _INVISIBLE:
        return True
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in ("\u2028", "\u2029")


def _looks_binary(data: bytes) -> bool:
    if not data:
        return False
    if b"\x00" in data[:4096]:
        return True
    sample = data[:4096]
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad / len(sample) > 0.1


def clean_input(raw: object, max_chars: int) -> CleanInput:
    """Make raw user input safe to process.

    Args:
        raw: What arrived: normally ``str``; ``bytes`` are decoded as UTF-8 (binary data is
            rejected); ``None`` and other types are rejected with a Dutch error.
        max_chars: Maximum length of the returned text; longer input is cut and a notice added.

    Returns:
        A :class:`CleanInput`. ``error`` is set (and ``text`` empty) when nothing usable remains.
    """
    notices: list[str] = []
    if raw is None:
        return CleanInput("", notices, "Uw bericht is leeg. Typ een vraag.")
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        if _looks_binary(data):
            return CleanInput("", notices, "Uw bericht bevat binaire gegevens en kan niet worden verwerkt.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return CleanInput("", notices, "Uw bericht is geen leesbare tekst (geen geldige UTF-8) en kan niet worden verwerkt.")
    elif isinstance(raw, str):
        text = raw
    else:
        return CleanInput("", notices, "Uw bericht heeft een onbekend formaat en kan niet worden verwerkt.")

    # Very long input: cut generously before the per-character pass (bounded work), then exactly.
    max_chars = max(1, int(max_chars))
    if len(text) > max_chars * 4 + 1000:
        text = text[: max_chars * 4 + 1000]
        cut_early = True
    else:
        cut_early = False

    if "\x00" in text and text.count("\x00") > max(8, len(text) // 20):
        return CleanInput("", notices, "Uw bericht bevat binaire gegevens en kan niet worden verwerkt.")

    text = unicodedata.normalize("NFC", text)
    removed = 0
    out = []
    for ch in text:
        if _is_invisible(ch):
            removed += 1
            continue
        if ch == "\r":
            continue
        out.append(ch)
    text = "".join(out)
    # Collapse runs of blank lines and trailing spaces; keep the user's line structure.
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if removed:
        notices.append("Onzichtbare tekens en stuurtekens zijn uit uw bericht verwijderd.")
    if not text:
        return CleanInput("", notices, "Uw bericht is leeg. Typ een vraag.")
    if not any(c.isalnum() for c in text):
        return CleanInput("", notices, "Uw bericht bevat geen leesbare tekst. Typ een vraag.")
    if cut_early or len(text) > max_chars:
        text = text[:max_chars].rstrip()
        notices.append(f"Uw bericht was te lang en is ingekort tot {max_chars} tekens.")
    return CleanInput(text, notices, None)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return the matching form of ``text`` and, per character, its offset in ``text``.

    Args:
        text: Any text (original offsets are kept).

    Returns:
        ``(norm, index)`` where ``norm[i]`` came from ``text[index[i]]``.
    """
    if not text:
        return "", []
    chars: list[str] = []
    idx: list[int] = []
    # 1. Invisible removal, compatibility decomposition, diacritics off, look-alikes, lower case.
    for i, ch in enumerate(text):
        if _is_invisible(ch):
            continue
        if ch.isspace():
            chars.append(" ")
            idx.append(i)
            continue
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            for low in c.lower().translate(_CONFUSABLES):
                if unicodedata.combining(low):
                    continue
                chars.append(low)
                idx.append(i)
    s = "".join(chars)

    # 2. Leetspeak inside tokens that contain letters ("k4nker", "d3pr3ssi3", "burn0ut"). Short
    # tokens such as "h1j" or "3n" look like codes and are only decoded when the message holds
    # at least one unambiguous leetspeak word ("1s h1j d3pr3ss13f").
    buf = list(s)
    short: list[re.Match] = []
    strong = 0
    for m in _TOKEN.finditer(s):
        tok = m.group(0)
        if not any(c.isalpha() for c in tok) or not any(c in _LEET for c in tok):
            continue
        if _NO_LEET.match(tok):
            if _SHORT_LEET.match(tok) and not _UNIT.match(tok):
                short.append(m)
            continue
        letters = sum(c.isalpha() for c in tok)
        if letters < 2:
            continue
        strong += 1
        for j, c in enumerate(tok):
            if c in _LEET:
                buf[m.start() + j] = _LEET[c]
    if strong:
        for m in short:
            for j, c in enumerate(m.group(0)):
                if c in _LEET:
                    buf[m.start() + j] = _LEET[c]
    s = "".join(buf)

    # 3. Letters split by separators are joined ("k a n k e r", "b.u.r.n-o.u.t"). When a run
    # uses dots (or other marks) inside words, a gap of spaces only is a word break
    # ("W.a.t i.s" -> "wat is").
    drop: set[int] = set()
    for m in _SPLIT_RUN.finditer(s):
        gaps = re.findall(r"[^a-z]+", m.group(0))
        marked = any(g.strip() for g in gaps)
        for j in range(m.start(), m.end()):
            if s[j] in _SEPARATORS:
                if marked and s[j] == " " and s[j - 1].isalpha() and s[j + 1].isalpha():
                    continue  # a lone space between two letters: word break
                drop.add(j)
    # 4. Hyphens between letters are dropped ("burn-out" -> "burnout").
    for m in _HYPHEN_BETWEEN.finditer(s):
        drop.add(m.start())
    # 5. Runs of spaces collapse to one.
    out_c: list[str] = []
    out_i: list[int] = []
    prev_space = True
    for j, c in enumerate(s):
        if j in drop:
            continue
        if c == " ":
            if prev_space:
                continue
            prev_space = True
        else:
            prev_space = False
        out_c.append(c)
        out_i.append(idx[j])
    while out_c and out_c[-1] == " ":
        out_c.pop()
        out_i.pop()
    return "".join(out_c), out_i


def normalize_for_matching(text: str) -> str:
    """Return the matching form of ``text`` (see the module docstring).

    Args:
        text: Any text.

    Returns:
        Lower-case text without diacritics, invisible characters, leetspeak or split letters.
    """
    return normalize_with_map(text or "")[0]


def span_to_original(index: list[int], text_len: int, start: int, end: int) -> tuple[int, int]:
    """Map a ``[start, end)`` span of the matching form back to the original text.

    Args:
        index: The offset map from :func:`normalize_with_map`.
        text_len: Length of the original text.
        start: Start in the matching form.
        end: End (exclusive) in the matching form.

    Returns:
        ``(start, end)`` in the original text.
    """
    if not index or start >= len(index):
        return text_len, text_len
    end = max(start + 1, min(end, len(index)))
    return index[start], min(text_len, index[end - 1] + 1)
