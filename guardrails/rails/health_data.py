"""Input rail: health data for the employer role.

An employer (or casemanager on the employer's behalf) may not ask about, and may not record, a
diagnosis, complaints, doctor visits, limitations, treatments or private causes (source 002, lines
795-801); pasting such details to have them processed is refused too. A request for an intake
script with health questions is served without those questions (PARTIAL). Permission questions
("Mag ik vragen naar de medicatie?") are answered. Rules in ``policies/rules.yaml``
(rail ``input.health_data``).
"""

from __future__ import annotations

import functools
import re

from guardrails.health import find_health, get_lexicon
from guardrails.rails.base import Analysis, Hit, IntentRail, register
from guardrails.types import Action, Decision, Evidence

# "..., met vragen over klachten, diagnose en medicatie" -> cut the clause.
_TOPIC_CLAUSE = re.compile(
    r",?\s*(?:met|inclusief|incl\.?|en ook|en|plus)\s+(?:(?:de|een|enkele|wat|ook|specifieke)\s+)?"
    r"(?:vragen|vraag)\s+(?:over|naar|rond|om)\s+[^.?!\n]*",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1)
def _generic_words() -> re.Pattern:
    """The lexicon's script topics as whole words, with a following list separator."""
    words = sorted(get_lexicon().spec.script_topics, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b(?:\s*(?:,|en|of)\s*)?", re.IGNORECASE)


def strip_health_topics(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove the health topics from a request so the allowed part can be served.

    Args:
        text: The (already PII-redacted) request.

    Returns:
        The rewritten request and the removed spans (offsets in ``text``).
    """
    removed: list[tuple[int, int]] = []
    for m in _TOPIC_CLAUSE.finditer(text):
        clause = m.group(0)
        if _generic_words().search(clause) or find_health(clause):
            removed.append((m.start(), m.end()))
    if not removed:
        spans = [(m.start(), m.end()) for m in _generic_words().finditer(text)]
        spans += [(h.start, h.end) for h in find_health(text)]
        removed = sorted(spans)
    out, pos = [], 0
    for s, e in removed:
        if s < pos:
            continue
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    rewritten = re.sub(r"\s{2,}", " ", "".join(out)).strip()
    rewritten = re.sub(r"\s+([,.?!])", r"\1", rewritten)
    return rewritten, removed


@register("health_data")
class HealthDataRail(IntentRail):
    """Refuse requests for or about an employee's health data from the employer role."""

    def hit_decision(self, hit: Hit, a: Analysis, text: str) -> Decision:
        """PARTIAL hits carry the rewritten request (the allowed part)."""
        if hit.rule.action is Action.PARTIAL and hit.rule.rewrite == "strip_health_topics":
            rewritten, removed = strip_health_topics(text)
            evidence = tuple(
                Evidence(start=s, end=e, label=hit.rule.id, score=1.0, detector=self.name) for s, e in removed
            )
            return self.decide(hit.rule, evidence=evidence, text=rewritten)
        return super().hit_decision(hit, a, text)
