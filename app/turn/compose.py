"""Composition: the answer text and its citations from the passages of a turn.

An answer card's direct answer when one matches the question, else the extractive answer (the best
sentence first, then supporting quotes); optionally phrased by an LLM, which falls back to the
extractive text on any failure. Every citation quotes the text it supports.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from app.reply import Citation
from guardrails.types import Action, Decision
from knowledge.documents import load_manifest, source_lines
from knowledge.retrieval import Passage

log = logging.getLogger(__name__)

LLM_UNAVAILABLE = ("Het taalmodel was niet beschikbaar of gaf geen bruikbaar antwoord; u ziet het antwoord "
                   "uit de bronnen.")
LLM_BLOCKED = "Het antwoord van het taalmodel is door de controles tegengehouden; u ziet het antwoord uit de bronnen."


@lru_cache(maxsize=512)
def quote(doc: str, start: int, end: int, limit: int = 600) -> str:
    """Verbatim quote of source lines (whitespace collapsed), cut at ``limit`` characters."""
    try:
        lines = source_lines(doc)[start - 1:end]
    except Exception:
        return ""
    text = re.sub(r"\s+", " ", " ".join(lines)).replace("\ufffd", "").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def title(doc: str) -> str:
    try:
        return load_manifest().doc(doc).title
    except KeyError:
        return doc


def clip(text: str, limit: int = 700) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def compose_answer(question: str, role: str, passages: list[Passage], *, cards=None,
                   card_threshold: float = 0.0) -> tuple[str, list[Citation], list[Decision]]:
    """(text, citations, decisions) from ``passages`` (each with its own, redacted, text)."""
    from knowledge.compose import compose

    decisions: list[Decision] = []
    citations: list[Citation] = []
    first = ""
    match = None
    if cards is not None:
        try:
            match = cards.match(question, role, passages, card_threshold)
        except Exception:
            log.warning("answer-card match failed; extractive answer", exc_info=True)
    if match is not None:
        src = match.card.sources[0]
        text = quote(src.doc, src.start, src.end, limit=900)
        if text:
            section = next((f"{p.section} {p.heading}".strip() for p in passages
                            if p.source == src.doc and p.lines[0] <= src.end and p.lines[1] >= src.start), "")
            citations.append(Citation(src.doc, title(src.doc), section, (src.start, src.end), text))
            first = f"{match.card.answer} [1]"
            decisions.append(Decision(
                rail="compose.answer_card", action=Action.ALLOW,
                reason=f"antwoordkaart {match.card.id} (score {match.score:.2f}, drempel {card_threshold:.2f})"))
    comp = compose(question, [(p.text, rank) for rank, p in enumerate(passages)], max_support=2 if first else 3)
    lines: list[str] = []
    if comp is not None:
        renumber = {}
        for n, q in enumerate(comp.quotes, start=1):
            p = passages[q.passage]
            plines = (int(p.lines[0]), int(p.lines[1]))
            if first and any(p.source == s.doc and plines[0] <= s.end and plines[1] >= s.start
                             for s in match.card.sources[:1]):
                renumber[n] = 1  # the card's own source: cited once, as [1]
                continue
            renumber[n] = len(citations) + 1
            citations.append(Citation(p.source, p.title, f"{p.section} {p.heading}".strip(), plines, q.text))
        for line in ([comp.first] + comp.support):
            lines.append(re.sub(r"\[(\d+)\]$", lambda m: f"[{renumber[int(m.group(1))]}]", line))
    if first:
        text = first + ("\n\nUit de bronnen:\n" + "\n".join(f"- {ln}" for ln in lines[:2]) if lines else "")
    elif lines:
        text = lines[0] + ("\n\nUit de bronnen:\n" + "\n".join(f"- {ln}" for ln in lines[1:]) if len(lines) > 1 else "")
    else:
        text = ""
    return text, citations, decisions


def llm_answer(llm, guardrails, question: str, role: str, passages: list[Passage], ctx):
    """``(text, citations)`` phrased by the LLM and passed by the output rails, or ``(None, notice)``."""
    from app.llm import LLMUnavailable

    passage_dicts = [p.to_dict() for p in passages]
    try:
        text = llm.compose(question, passage_dicts, role)
    except LLMUnavailable:
        return None, LLM_UNAVAILABLE
    except Exception:
        log.warning("LLM backend error; falling back")
        return None, LLM_UNAVAILABLE
    try:
        cited = llm.cited_passages(text, passage_dicts) or passage_dicts
    except Exception:
        cited = passage_dicts
    citations = [Citation(pd["source"], pd.get("title", title(pd["source"])),
                          f"{pd.get('section', '')} {pd.get('heading', '')}".strip(),
                          tuple(pd["lines"]), clip(pd.get("text", ""))) for pd in cited]
    check = guardrails.check_output(text, ctx, origin="llm", cites=[c.source for c in citations])
    if check.blocked:
        return None, LLM_BLOCKED
    return (text, citations), None
