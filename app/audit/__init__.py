"""The audit log: every turn redacted, MACed into a keyed chain, anchored outside the database.

Modules, one job each:

- ``schema``: tables, record fields, canonical JSON.
- ``redaction``: what a record stores of a turn, redacted (raw text never reaches the database).
- ``keys``: the secret chain keys, kept outside the database (key file or ``TDA_AUDIT_KEY``).
- ``chain``: record MACs, the anchor file and the read-only verification.
- ``filters``: ``AuditFilter`` for queries and exports.
- ``export``: CSV/JSONL writing and the reviewer-only access check.
- ``store``: ``AuditLog``, which opens the database and appends, reads, purges and verifies.

Example:
    >>> log = AuditLog.open(settings)
    >>> rid = log.record_turn(user="u1", role="employer", session_id="s1",
    ...                       input_text="Mag ik vragen wat hij heeft?", reply=reply)
    >>> log.verify().ok
    True
"""

from app.audit.chain import DAMAGE_KINDS, Anchor, VerifyResult, record_mac
from app.audit.export import check_reviewer
from app.audit.filters import AuditFilter
from app.audit.keys import AuditKeyError, KeyRing
from app.audit.redaction import clear_redaction_cache, redact_text
from app.audit.schema import (
    CHECKPOINT_KIND,
    GENESIS_HASH,
    MAX_TEXT_CHARS,
    RECORD_FIELDS,
    REDACTION_FAILED,
    TURN_KINDS,
    canonical_json,
)
from app.audit.store import AuditError, AuditLog, default_url

__all__ = [
    "Anchor", "AuditError", "AuditFilter", "AuditKeyError", "AuditLog", "CHECKPOINT_KIND", "DAMAGE_KINDS",
    "GENESIS_HASH", "KeyRing", "MAX_TEXT_CHARS", "RECORD_FIELDS", "REDACTION_FAILED", "TURN_KINDS",
    "VerifyResult", "canonical_json", "check_reviewer", "clear_redaction_cache", "default_url", "record_mac",
    "redact_text",
]
