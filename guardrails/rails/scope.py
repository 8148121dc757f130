"""Input rail: clearly out-of-domain requests (recipes, poems, code) without any sick-leave vocabulary.

Deliberately narrow: a question that mentions the domain is never refused here; unanswerable
domain questions become ``not_found`` later, not a refusal (source 002, lines 76-81).
"""

from guardrails.rails.base import IntentRail, register


@register("scope")
class ScopeRail(IntentRail):
    """Refuse requests that have nothing to do with verzuim or taakdelegatie."""

    use_history = False
