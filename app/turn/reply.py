"""The one place a turn's state becomes a :class:`~app.reply.Reply`."""

from __future__ import annotations

from app.reply import Reply
from app.turn.state import TurnState


def build_reply(s: TurnState) -> Reply:
    """The reply of an ended turn: its outcome, with the turn's trace, redactions, notices and timings."""
    o = s.outcome
    return Reply(decision=o.decision, text=o.text, category=o.category, citations=list(o.citations),
                 rules=list(o.rules), redactions=list(s.redactions), timings_ms=dict(s.timings),
                 decisions=list(s.decisions), notices=list(s.notices), kind=o.kind)
