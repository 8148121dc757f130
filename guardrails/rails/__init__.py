"""Rails: one rail per file, registered by type name with ``@register`` (see ``base.py``).

Importing this package imports every rail module, which fills :data:`RAIL_TYPES`.
"""

from guardrails.rails import (  # noqa: F401  (imported for their @register side effect)
    citation,
    health,
    health_data,
    intent,
    injection,
    judgement,
    pii,
)
from guardrails.rails.base import RAIL_TYPES, BaseRail, IntentRail, register

__all__ = ["RAIL_TYPES", "BaseRail", "IntentRail", "register"]
