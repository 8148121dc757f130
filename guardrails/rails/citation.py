"""Output rail: every answer carries at least one citation of the sources.

What a text cites is a field of the rail context (``ctx.cites``, set by
``Guardrails.check_output(..., cites=...)``): an answer cites its passages, a verbatim quote cites
the document it is quoted from.
"""

from __future__ import annotations

from guardrails.rails.base import BaseRail, register
from guardrails.types import Decision, TurnContext


@register("citation")
class CitationRail(BaseRail):
    """Block an answer without citations."""

    stages = ("output",)

    def __init__(self, policy, *, stage: str, **params):
        super().__init__(policy, stage=stage, **params)
        self.rule = policy.rule("output.citation_required")
        self.minimum = int(params.get("minimum", 1))

    def check(self, text: str, ctx: TurnContext) -> Decision:
        """BLOCK when fewer than ``minimum`` citations accompany a non-empty answer."""
        if text and text.strip() and len(ctx.cites) < self.minimum:
            return self.decide(self.rule)
        return self.allow()
