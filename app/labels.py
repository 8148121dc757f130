"""Dutch labels of the codes users see (decisions, categories, roles, kinds, rail types, stages),
defined once for the UI, the reviewer's view and the Dutch CSV export."""

from __future__ import annotations

from guardrails.types import CATEGORY_NL
from vocab import ROLE_NL

__all__ = ["ACTION_NL", "CATEGORY_NL", "DECISION_NL", "KIND_NL", "RAIL_TYPE_NL", "ROLE_NL", "STAGE_NL"]

DECISION_NL = {"answer": "antwoord", "refuse": "geweigerd", "not_found": "niet gevonden"}
KIND_NL = {"chat": "chat", "intake_script": "gespreksscript", "checkpoint": "controlepunt (bewaartermijn)"}
ACTION_NL = {"allow": "toegestaan", "redact": "afgeschermd", "partial": "deels geweigerd", "block": "geweigerd",
             "escalate": "gemarkeerd voor reviewer"}
RAIL_TYPE_NL = {
    "injection": "omzeilpoging", "intent": "bedoeling van de vraag", "health_data": "gezondheidsvragen werkgever",
    "pii": "persoonsgegevens", "health": "gezondheidstermen", "judgement": "medisch oordeel",
    "citation": "bronvermelding", "medical_judgement": "medisch oordeel", "delegation": "taakdelegatie",
}
STAGE_NL = {"input": "invoer", "retrieval": "bronnen", "output": "antwoord"}
