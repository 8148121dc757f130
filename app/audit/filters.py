"""Filters over the audit log (``query``, ``export``, the reviewer's screen)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_

from app.audit.schema import REDACTION_FAILED, audit_records, canonical_json, utc_timestamp
from app.audit.schema import clean as _clean

#: How the evaluation runner marks its turns (``evals.runner``: ``session_id=f"eval:{run_id}"``,
#: ``user="eval"``): the reviewer's list hides them by default.
EVAL_USER = "eval"
EVAL_SESSION_PREFIX = "eval:"
#: Input rails whose evidence means health data was seen in the user's own message.
HEALTH_INPUT_RAILS = ("input.health", "input.health_data")
#: The risk reasons in display order (``app.audit.export.RISK_NL`` has their Dutch labels).
RISK_REASONS = ("refuse", "health_employer", "redaction_failed")


def is_eval(record: dict) -> bool:
    """True for a turn of the trainer's evaluation runs."""
    return (str(record.get("session_id") or "").startswith(EVAL_SESSION_PREFIX)
            or record.get("user") == EVAL_USER)


def _has_failed_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return REDACTION_FAILED in value
    if isinstance(value, dict):
        return any(_has_failed_placeholder(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_failed_placeholder(v) for v in value)
    return False


def risk_reasons(record: dict) -> list[str]:
    """Why ``record`` belongs in the reviewer's risk queue (empty list: it does not).

    ``refuse``: the turn was refused. ``health_employer``: an employer's message in which a health
    rail found health data (a health rail decision with evidence). ``redaction_failed``: a text of
    the record could not be redacted (the ``REDACTION_FAILED`` placeholder or the flag in ``meta``).
    """
    reasons = []
    if record.get("decision") == "refuse":
        reasons.append("refuse")
    if record.get("role") == "employer":
        for d in record.get("decisions") or ():
            if isinstance(d, dict) and d.get("rail") in HEALTH_INPUT_RAILS and d.get("evidence"):
                reasons.append("health_employer")
                break
    meta = record.get("meta")
    if (isinstance(meta, dict) and meta.get("redaction_failed")) or any(
            _has_failed_placeholder(record.get(k)) for k in
            ("input_redacted", "reply_redacted", "rules", "decisions", "notices")):
        reasons.append("redaction_failed")
    return reasons


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
        include_eval: False hides the turns of evaluation runs (:func:`is_eval`).
        risk: only the risk queue (:func:`risk_reasons`): SQL narrows the rows, :meth:`accept`
            decides per record (the stores apply it).
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
    include_eval: bool = True
    risk: bool = False

    @property
    def needs_check(self) -> bool:
        """True when :meth:`accept` must be applied to the rows the SQL clauses return."""
        return bool(self.risk)

    def accept(self, record: dict) -> bool:
        """The per-record part of the filter (the exact risk test)."""
        return not self.risk or bool(risk_reasons(record))

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
        if not self.include_eval:
            out.append(~c.session_id.startswith(EVAL_SESSION_PREFIX, autoescape=True))
            out.append(c.username != EVAL_USER)
        if self.risk:
            # a superset of the risk queue; accept() is exact
            out.append(or_(
                c.decision == "refuse",
                c.meta.contains("redaction_failed", autoescape=True),
                c.input_redacted.contains(REDACTION_FAILED, autoescape=True),
                c.reply_redacted.contains(REDACTION_FAILED, autoescape=True),
                c.rules.contains(REDACTION_FAILED, autoescape=True),
                c.decisions.contains(REDACTION_FAILED, autoescape=True),
                c.notices.contains(REDACTION_FAILED, autoescape=True),
                and_(c.role == "employer", c.decisions.contains('"rail":"input.health', autoescape=True)),
            ))
        return out
