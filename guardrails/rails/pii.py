"""PII rail (input, retrieval and output stages): Presidio redaction from ``guardrails.pii``.

Identifiers are replaced by tags such as ``<NL_BSN>`` before any later rail, the log or the reply
sees them; the privacy of the employee is always respected (source 000, lines 472-474). Health
terms are handled by the health rail (per role), so redaction here excludes HEALTH_DATA. A failed
detection raises, which the pipeline turns into a BLOCK (fail closed). ``entities`` (rails.yaml,
per stage and per text origin) limits the recognizers, e.g. to patterns for source text.
"""

from __future__ import annotations

import logging

from guardrails.rails.base import BaseRail, register
from guardrails.types import Action, Decision, Evidence, TurnContext

logger = logging.getLogger(__name__)
_RULES = {"input": "pii.redact", "retrieval": "pii.redact_retrieval", "output": "pii.redact_output"}


class PiiRedactionFailed(RuntimeError):
    """Presidio could not analyse the text."""


@register("pii")
class PiiRail(BaseRail):
    """Redact personal identifiers."""

    stages = ("input", "retrieval", "output")

    def __init__(self, policy, *, stage: str, **params):
        super().__init__(policy, stage=stage, **params)
        self.rule = policy.rule(_RULES[stage])

    def check(self, text: str, ctx: TurnContext) -> Decision:
        """Redact PII in ``text``; REDACT with the rewritten text and evidence, else ALLOW."""
        if not text or not text.strip():
            return self.allow()
        from guardrails.pii import redact  # lazy: Presidio loads on first use

        result = redact(text, entities=self.param("entities", ctx), include_health=False)
        if getattr(result, "failed", False):
            raise PiiRedactionFailed("PII detection failed")
        spans = list(getattr(result, "spans", []) or [])
        if not spans:
            return self.allow()
        evidence = tuple(
            Evidence(start=int(s.start), end=int(s.end), label=str(getattr(s, "entity", "PII")),
                     score=float(getattr(s, "score", 1.0) or 1.0), detector=str(getattr(s, "detector", "presidio")))
            for s in spans
        )
        return self.decide(self.rule, action=Action.REDACT, evidence=evidence, text=result.text)
