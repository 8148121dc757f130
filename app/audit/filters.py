"""Filters over the audit log (``query``, ``export``, the reviewer's screen)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func

from app.audit.schema import audit_records, canonical_json, utc_timestamp
from app.audit.schema import clean as _clean


def as_bound(value: Any, *, upper: bool) -> str | None:
    """Turn a filter date (date, datetime or ISO text) into a time-stamp bound.

    A plain date as upper bound includes that whole day.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(
                text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"ongeldige datum {text!r} (verwacht JJJJ-MM-DD)") from exc
    if isinstance(value, dt.datetime):
        return utc_timestamp(value)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if upper else value
        return utc_timestamp(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc))
    raise TypeError(f"unsupported date value {type(value).__name__}")


@dataclass
class AuditFilter:
    """Filters for ``query``/``export``; every field is optional and they combine with AND.

    Attributes:
        date_from: first day (date, datetime or ``YYYY-MM-DD``), inclusive.
        date_to: last day, inclusive for a date; exclusive bound for a datetime.
        role: role id.
        decision: ``answer``, ``refuse`` or ``not_found``.
        category: refusal category.
        rule_id: a rule id that must occur in the record's rule ids.
        text: case-insensitive substring of the redacted input or reply.
        kind: ``chat``, ``intake_script`` or ``checkpoint``.
        user: login name.
        session_id: session id.
    """

    date_from: Any = None
    date_to: Any = None
    role: str | None = None
    decision: str | None = None
    category: str | None = None
    rule_id: str | None = None
    text: str | None = None
    kind: str | None = None
    user: str | None = None
    session_id: str | None = None

    def clauses(self) -> list:
        """SQLAlchemy WHERE clauses for this filter."""
        c = audit_records.c
        out = []
        lo = as_bound(self.date_from, upper=False)
        hi = as_bound(self.date_to, upper=True)
        if lo:
            out.append(c.ts >= lo)
        if hi:
            out.append(c.ts < hi)
        for value, column in ((self.role, c.role), (self.decision, c.decision), (self.category, c.category),
                              (self.kind, c.kind), (self.user, c.username), (self.session_id, c.session_id)):
            if value:
                out.append(column == value)
        if self.rule_id:
            out.append(c.rule_ids.contains(canonical_json(self.rule_id), autoescape=True))
        if self.text:
            needle = _clean(self.text, limit=500).lower()
            out.append(func.lower(c.input_redacted).contains(needle, autoescape=True)
                       | func.lower(c.reply_redacted).contains(needle, autoescape=True))
        return out
