"""Output rail: no judgement phrasing in a reply, for any role.

A reply that states a diagnosis, a prognosis or recovery time, what the employee can still do,
chances, or a treatment advice is blocked (source 001, lines 217-221). Patterns are in
``policies/rules.yaml`` (rule ``output.no_judgement``); normative source quotes ("de bedrijfsarts
stelt de prognose") do not match.
"""

from guardrails.rails.base import IntentRail, register


@register("judgement")
class JudgementOutputRail(IntentRail):
    """Block replies that contain a medical judgement."""

    stages = ("output",)
    use_history = False
