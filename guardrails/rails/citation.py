"""Output rail: every answer carries at least one citation of the sources.

The count comes from the pipeline (``Guardrails.check_output(..., citations=n)``), passed through
``ctx.extras["citations"]``.
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
        extras = getattr(ctx, "extras", None) or {}
        citations = int(extras.get("citations", 0) or 0)
        if text and text.strip() and citations < self.minimum:
            return self.decide(self.rule)
        return self.allow()
