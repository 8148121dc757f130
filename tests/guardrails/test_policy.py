"""Policy as validated data: schema errors and cross-file inconsistencies fail at load time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from guardrails.policy import FIXED_ROLES, POLICY_DIR, SOURCES_DIR, Policy, PolicyError


@pytest.fixture()
def policy_copy(tmp_path) -> Path:
    d = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, d)
    return d


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_policy_loads():
    p = Policy.load()
    assert set(FIXED_ROLES) <= set(p.roles)
    assert len(p.rules) >= 30


def test_every_rule_cites_real_lines():
    """Each cited range exists in the shipped source file and is not blank."""
    p = Policy.load()
    for rule in p.rules:
        for ref in [rule.source, *rule.also]:
            lines = (SOURCES_DIR / p.sources[ref.doc].file).read_text(encoding="utf-8").splitlines()
            a, b = ref.span
            assert b <= len(lines), rule.id
            assert "".join(lines[a - 1:b]).strip(), f"{rule.id}: lines {ref.lines} of {ref.doc} are empty"


def test_every_input_block_rule_has_category_and_dutch_texts():
    p = Policy.load()
    for rule in p.rules:
        assert rule.reason and rule.alternative and rule.declined
        if rule.rail.startswith("input.") and rule.action.value == "block":
            assert rule.category is not None, rule.id


@pytest.mark.parametrize("mutation,message", [
    (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate rule id"),
    (lambda d: d["rules"][0].update(roles=["boss"]), "unknown role"),
    (lambda d: d["rules"][0].update(rail="input.nonexistent"), "not in rails.yaml"),
    (lambda d: d["rules"][0].update(source={"doc": "002", "lines": "99999-100000"}), "beyond the end"),
    (lambda d: d["rules"][0].update(source={"doc": "009", "lines": "1-2"}), "009"),
    (lambda d: d["rules"][0].update(source={"doc": "002", "lines": "20-10"}), "bad line range"),
    (lambda d: d["rules"][0].update(typo_field="x"), "typo_field"),
    (lambda d: d["rules"][0].update(action="explode"), "action"),
    (lambda d: d["rules"][0]["patterns"].append("(unclosed"), "bad pattern"),
    (lambda d: d["rules"][0]["patterns"].append("{NO_SUCH_MACRO}"), "unknown macro"),
    (lambda d: d["rules"][0].update(require=["telepathy"]), "unknown requirement"),
])
def test_bad_rules_fail_at_load(policy_copy, mutation, message):
    _edit(policy_copy / "rules.yaml", mutation)
    with pytest.raises(PolicyError, match=message):
        Policy.load(policy_copy)


def test_missing_fixed_role_fails(policy_copy):
    _edit(policy_copy / "roles.yaml", lambda d: d["roles"].pop())
    with pytest.raises(PolicyError, match="not defined"):
        Policy.load(policy_copy)


def test_missing_file_fails(policy_copy):
    (policy_copy / "rails.yaml").unlink()
    with pytest.raises(PolicyError, match="missing policy file"):
        Policy.load(policy_copy)


def test_unknown_rail_type_fails_when_building(policy_copy):
    from guardrails.pipeline import Guardrails

    _edit(policy_copy / "rails.yaml", lambda d: d["input"].append({"type": "mind_reader"}))
    policy = Policy.load(policy_copy)
    with pytest.raises(ValueError, match="unknown rail type"):
        Guardrails(policy)


def test_rule_lookup_gives_dutch_reason_and_lines():
    from guardrails.pipeline import Guardrails

    g = Guardrails.load()
    r = g.rule("employer.no_diagnosis_questions")
    assert r.category.value == "health_data" and "employer" in r.roles
    assert str(r.source) == "002" and r.lines == (795, 797)
    assert "bedrijfsarts" in r.alternative
    with pytest.raises(KeyError):
        g.rule("no.such_rule")
