"""Clauses of a compound message: "Wat mag ik vragen, en wat is volgens jou zijn diagnose?".

A request embedded after an allowed question is still a request. The intent rail classifies each
clause that is a question or request of its own (read with the clauses before it), and the
assistant answers the allowed clauses of a refused compound message and declines the rest.
"""

from __future__ import annotations

import dataclasses
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


# Serving part of a refused compound message: a clause is answered on its own only when it is a
# question of its own (these first words or a question mark) ...
ANSWERABLE = re.compile(r"\?\s*$|^(wat|welke|welk|hoe|waarom|wanneer|wie|waar|mag|mogen|kan|kun|kunnen|moet|"
                        r"moeten|is|zijn|geef|leg|noem|beschrijf|licht)\b", re.IGNORECASE)
# ... that does not point back at the others ("hoe lang gaat dat duren?", "wat is jouw oordeel?"):
# such a clause belongs to the refused part.
ANAPHORA = re.compile(r"\b(dat|dit|daar\w*|hij|zij|ze|hem|haar|jouw|je oordeel|vind je|denk je|volgens jou)\b",
                      re.IGNORECASE)
# Refusals whose allowed clauses may still be answered (never injection or out-of-scope).
PARTIAL_CATEGORIES = ("medical_judgement", "outside_delegation", "health_data")


def allowed_clauses(text: str, verdict, ctx, check, tokenize) -> list[str]:
    """Clauses of a blocked message that pass the rails on their own, in the context of the ones before.

    Only for refusals about medical judgement, delegation or health data, and only clauses that are
    questions or requests themselves: context such as "Hij heeft een hernia." never turns a refusal
    into a partial answer.

    Args:
        text: The cleaned message.
        verdict: Its (blocked) input verdict.
        ctx: The turn's rail context (role, history).
        check: The input rails, ``check(text, ctx) -> Verdict``.
        tokenize: The content words of a clause (a clause needs two).

    Returns:
        The clauses to answer; empty when the whole message is refused.
    """
    blocking = verdict.blocking
    if blocking is None or blocking.category is None or blocking.category.value not in PARTIAL_CATEGORIES:
        return []
    clauses = [c.strip(" ,;") for c in CLAUSE_SPLIT.split(text) if c and c.strip(" ,;")]
    if len(clauses) < 2 or len(clauses) > MAX_CLAUSES:
        return []
    allowed, any_blocked = [], False
    history = list(ctx.history)
    for clause in clauses:
        v = check(clause, dataclasses.replace(ctx, history=history))
        if v.blocked:
            any_blocked = True
        elif ANSWERABLE.search(clause) and len(tokenize(clause)) >= 2 and not ANAPHORA.search(clause):
            allowed.append(clause)
        history = history + [{"role": "user", "content": clause}]
    return allowed if allowed and any_blocked else []
