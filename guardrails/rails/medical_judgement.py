"""Input rail: the user asks the assistant for a medical judgement (all roles).

Diagnosis, interpretation of medication or symptoms, prognosis and recovery time, belastbaarheid
("kan hij nog ..."), treatment or medication advice, "is hij echt ziek", causes, and return-to-work
advice on medical grounds are reserved to the bedrijfsarts (source 001, lines 217-221; source 002,
lines 1369-1371). Asking what one may do is answered; only asking the assistant to judge is refused.
The rules and patterns are in ``policies/rules.yaml`` (rail ``input.medical_judgement``).
"""

from guardrails.rails.base import IntentRail, register


@register("medical_judgement")
class MedicalJudgementRail(IntentRail):
    """Refuse requests for a medical judgement; runs before the health-data rail (it takes precedence)."""
