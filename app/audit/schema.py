"""The audit tables, the record fields and the canonical serialisation the chain MACs cover."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

GENESIS_HASH = "0" * 64
#: Written instead of a text when redaction fails: never the raw text.
REDACTION_FAILED = "<REDACTIE_MISLUKT>"
#: Texts longer than this are cut before redaction; the rest is dropped, never stored raw.
MAX_TEXT_CHARS = 20_000
CHECKPOINT_KIND = "checkpoint"
TURN_KINDS = ("chat", "intake_script")
EXPORT_FORMATS = ("csv", "jsonl")

metadata = MetaData()

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("username", Text, nullable=False),
    Column("role", String(64), nullable=False, index=True),
    Column("session_id", Text, nullable=False),
    Column("input_redacted", Text, nullable=False),
    Column("reply_redacted", Text, nullable=False),
    Column("decision", String(32), nullable=False, index=True),
    Column("category", String(64), nullable=True, index=True),
    Column("rule_ids", Text, nullable=False),      # canonical JSON list
    Column("rules", Text, nullable=False),         # canonical JSON list of dicts
    Column("citations", Text, nullable=False),     # canonical JSON list of dicts
    Column("decisions", Text, nullable=False),     # canonical JSON list of rail-trace dicts
    Column("notices", Text, nullable=False),       # canonical JSON list
    Column("timings_ms", Text, nullable=False),    # canonical JSON dict
    Column("app_version", String(64), nullable=False),
    Column("settings_digest", String(64), nullable=False),
    Column("meta", Text, nullable=False),          # canonical JSON dict (checkpoint data, flags)
    Column("key_id", String(32), nullable=False),  # id of the key that MACed this record
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),    # HMAC-SHA256 of the record (hex)
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# Columns covered by the record MAC (everything but ``hash``), in table order.
HASHED_COLUMNS = tuple(c.name for c in audit_records.columns if c.name != "hash")
JSON_COLUMNS = ("rule_ids", "rules", "citations", "decisions", "notices", "timings_ms", "meta")
RECORD_FIELDS = ("id", "ts", "kind", "user") + tuple(
    c.name for c in audit_records.columns if c.name not in ("id", "ts", "kind", "username")
)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` canonically: sorted keys, no whitespace, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """Fixed-width ISO 8601 UTC time stamp (sorts as text), e.g. ``2026-11-23T00:36:13.123456Z``."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean(value: Any, limit: int | None = None) -> str:
    """A storable string: no NUL (PostgreSQL rejects it), no lone surrogates, optionally cut."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if limit is not None and len(text) > limit:
        text = text[:limit]
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def row_to_record(row: Any) -> dict:
    """A stored row as a record dict with the keys of :data:`RECORD_FIELDS` (JSON columns parsed)."""
    m = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    rec: dict = {}
    for name in RECORD_FIELDS:
        column = "username" if name == "user" else name
        value = m.get(column)
        if column in JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass  # altered beyond JSON: shown as stored; verify() reports it
        rec[name] = value
    return rec
