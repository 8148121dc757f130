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


def table_outcomes(guardrails, rows) -> list[tuple]:
    """Run ``(role, text, expected, rule_id, borderline)`` rows; return ``(row, got)`` pairs."""
    from guardrails.types import TurnContext

    return [(row, outcome(guardrails.check_input(row[1], TurnContext(role=row[0])))) for row in rows]


def assert_table_floor(results, *, decision: float, category: float) -> None:
    """Decision (refuse vs allow) and category agreement of a table of pattern-era rows.

    These rows were written together with the hand-made patterns the intent model replaced; they are
    tuned cases, so they are held to a floor instead of row by row (figures in evals/reports/).
    """
    def refused(label: str) -> bool:
        return label.startswith("block") or label == "partial"

    ok = [r for r, got in results if refused(r[2]) == refused(got)]
    cat_rows = [(r, got) for r, got in results if r[2].startswith("block:") and got.startswith("block:")]
    cat_ok = [1 for r, got in cat_rows if r[2] == got]
    wrong = [(r[0], r[1], r[2], got) for r, got in results if refused(r[2]) != refused(got)]
    d_acc = len(ok) / len(results)
    c_acc = len(cat_ok) / len(cat_rows) if cat_rows else 1.0
    assert d_acc >= decision, f"decision agreement {d_acc:.3f} < {decision}; wrong: {wrong}"
    assert c_acc >= category, f"category agreement {c_acc:.3f} < {category}"
