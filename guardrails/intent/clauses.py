"""Clauses of a compound message: "Wat mag ik vragen, en wat is volgens jou zijn diagnose?".

A request embedded after an allowed question is still a request. The intent rail classifies each
clause that is a question or request of its own (read with the clauses before it), and the
assistant answers the allowed clauses of a refused compound message and declines the rest.
"""

from __future__ import annotations

import re

# Sentence ends, and "en" before a new question or request ("..., en wat mankeert hij?").
CLAUSE_SPLIT = re.compile(r"(?<=[?.!])\s+|[,;]?\s+\b(?:en daarna|en verder|en (?=wat|welke|hoe|kun|kan|"
                          r"mag|is|heeft|geef|leg|stuur|vat|maak|beoordeel|verwijs|schrijf))\b\s*",
                          re.IGNORECASE)
# A clause that is a question or a request of its own (by its question mark or first word).
QUESTION = re.compile(r"\?\s*$|^(wat|welke|welk|hoe|waarom|wanneer|wie|waar|mag|mogen|kan|kun|kunnen|moet|"
                      r"moeten|is|zijn|geef|leg|noem|beschrijf|licht|stel|stuur|vat|maak|schrijf|beoordeel|"
                      r"verwijs|zet|vraag|regel|bel|mail|heeft|denk|klopt)\b", re.IGNORECASE)
MAX_CLAUSES = 6


def split_clauses(text: str) -> list[str]:
    """The clauses of ``text`` (one clause when it is not compound)."""
    parts = [c.strip(" ,;") for c in CLAUSE_SPLIT.split(text or "") if c and c.strip(" ,;")]
    return parts or [text]


def is_request(clause: str) -> bool:
    """Whether a clause is a question or request of its own."""
    return bool(QUESTION.search(clause.strip()))
