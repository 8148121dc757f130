"""Shared assertions for rail tests (after presidio's ``tests/assertions.py``)."""

from __future__ import annotations

from guardrails.types import Action, Decision, Verdict


def assert_decision(d: Decision, *, action: Action | str | None = None, rule_id: str | None = None,
                    category: str | None = None, span: tuple[int, int] | None = None) -> None:
    """Assert the fields of one decision; ``None`` means "don't care"."""
    if action is not None:
        want = Action(action) if isinstance(action, str) else action
        assert d.action is want, f"{d.rail}: expected {want.value}, got {d.action.value} ({d.rule_id}: {d.reason})"
    if rule_id is not None:
        assert d.rule_id == rule_id, f"{d.rail}: expected rule {rule_id}, got {d.rule_id!r}"
    if category is not None:
        got = d.category.value if d.category else None
        assert got == category, f"{d.rail}: expected category {category}, got {got}"
    if span is not None:
        assert any((e.start, e.end) == span for e in d.evidence), f"no evidence at {span}: {d.evidence}"


def outcome(v: Verdict) -> str:
    """Summarise a verdict as ``block:<category>``, ``partial``, ``redact`` or ``allow``."""
    if v.blocked:
        cat = v.blocking.category
        return f"block:{cat.value if cat else 'none'}"
    if v.partial:
        return "partial"
    if any(d.action is Action.REDACT for d in v.decisions):
        return "redact"
    return "allow"


def assert_outcome(v: Verdict, expected: str, rule_id: str | None = None) -> None:
    """``expected``: ``allow``, ``redact``, ``partial``, ``block`` (any category) or ``block:<category>``."""
    got = outcome(v)
    trace = [(d.rail, d.action.value, d.rule_id) for d in v.decisions if d.action is not Action.ALLOW]
    if expected == "block":
        assert got.startswith("block:"), f"expected a block, got {got}; {trace}"
    elif expected == "allow_or_redact":
        assert got in ("allow", "redact"), f"expected allow/redact, got {got}; {trace}"
    else:
        assert got == expected, f"expected {expected}, got {got}; {trace}"
    if rule_id is not None and expected == "redact":
        assert any(d.rule_id == rule_id and d.action is Action.REDACT for d in v.decisions), \
            f"expected a REDACT by {rule_id}; {trace}"
    elif rule_id is not None:
        decisive = v.blocking or (v.partial[0] if v.partial else None)
        assert decisive is not None and decisive.rule_id == rule_id, f"expected rule {rule_id}; {trace}"
