"""Input rail: requests outside the delegation or the user's role.

Non-delegable tasks of NVAB Bijlage 4 (source 002, lines 1344-1376) and the RSC's stricter list
(source 001, lines 949-961), combining taakdelegatie with werkgeversregie (source 000, lines
288-292), and an employer-side casemanager acting where only UWV or the bedrijfsarts may (source
003, lines 1309-1317). Rules in ``policies/rules.yaml`` (rail ``input.delegation``).
"""

from guardrails.rails.base import IntentRail, register


@register("delegation")
class DelegationRail(IntentRail):
    """Refuse to do tasks reserved to the bedrijfsarts, UWV or another role."""
