"""Case files: they load, validate strictly, have unique ids and enough rows, and cite real line ranges."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.schema import (
    CASES_DIR,
    GROUPS,
    MIN_PROJECT_CASES,
    REFERENCE_PATH,
    Case,
    CaseError,
    check_count,
    check_unique,
    load_case_file,
    load_cases,
    load_project_cases,
    load_reference_file,
)

SOURCES = Path(__file__).resolve().parents[2] / "knowledge" / "sources"
PROJECT = load_project_cases()


def _source_lengths() -> dict[str, int]:
    return {p.name[:3]: len(p.read_text(encoding="utf-8").splitlines()) for p in SOURCES.glob("*.txt")}


def test_project_cases_count_and_unique():
    assert len(PROJECT) >= MIN_PROJECT_CASES
    check_unique(PROJECT)
    check_count(PROJECT)


def test_one_file_per_group_and_every_group_used():
    files = {p.stem for p in CASES_DIR.glob("*.yaml")}
    expected = {"normative", "refuse_medical", "refuse_delegation", "refuse_health_data", "partial",
                "not_found", "pii", "adversarial", "multi_turn", "intake"}
    assert expected <= files
    assert files <= set(GROUPS)
    groups = Counter(c.category for c in PROJECT)
    for group in expected:
        assert groups[group] >= 5, group


def test_at_least_a_quarter_borderline():
    assert sum(c.borderline for c in PROJECT) >= len(PROJECT) / 4


def test_every_expected_label_is_used():
    labels = {c.expected for c in PROJECT}
    assert {"answer", "partial", "not_found", "refuse_medical", "refuse_delegation",
            "refuse_health_data", "refuse_injection", "refuse_out_of_scope"} <= labels


def test_multi_turn_and_pii_cases_carry_their_data():
    assert all(c.history for c in PROJECT if c.category == "multi_turn")
    assert all(c.pii for c in PROJECT if c.category == "pii")


@pytest.mark.parametrize("case", [c for c in PROJECT if c.sources], ids=lambda c: c.id)
def test_sources_exist_and_ranges_are_inside_the_file(case):
    lengths = _source_lengths()
    for src in case.sources:
        assert src.doc in lengths, f"{case.id}: unknown source {src.doc}"
        start, end = src.span
        assert 1 <= start <= end <= lengths[src.doc], f"{case.id}: {src.doc}:{src.lines} outside the file"


def test_reference_cases_load_from_shared_when_present():
    if not REFERENCE_PATH.is_file():
        pytest.skip("../shared/evals/reference_cases.yaml not present")
    ref = load_reference_file(REFERENCE_PATH)
    assert ref and all(c.suite == "reference" for c in ref)
    check_unique(PROJECT + ref)
    # load_cases recognises the reference format by its file name
    assert [c.id for c in load_cases(REFERENCE_PATH)] == [c.id for c in ref]


def test_phrasings_expand_to_runs_with_suffixes():
    case = Case(id="x-1", role="employer", messages=["a?", "b?"], expected="answer")
    assert case.runs() == [("x-1#1", "a?"), ("x-1#2", "b?")]
    single = Case(id="x-2", role="employer", message="a?", expected="answer")
    assert single.runs() == [("x-2", "a?")]
    huge = Case(id="x-3", role="employer", message="ab", repeat=3, expected="not_found")
    assert huge.runs() == [("x-3", "ababab")]


def test_refusal_and_non_refusal_flags():
    assert Case(id="r1", role="employer", message="m", expected="refuse_medical").expects_refusal
    either = Case(id="e1", role="employer", message="m", expected="refuse_delegation", expected_any=["answer"])
    assert not either.expects_refusal and not either.expects_non_refusal
    assert Case(id="a1", role="employer", message="m", expected="not_found").expects_non_refusal
    oos = Case(id="o1", role="employer", message="m", expected="not_found", expected_any=["refuse_out_of_scope"])
    assert not oos.expects_non_refusal


BASE = {"id": "ok-1", "role": "employer", "message": "Wat mag ik vragen?", "expected": "answer"}


# fmt: off
INVALID = [
    ({"extra_key": 1}, "unknown key: extra='forbid' catches typos"),
    ({"messages": ["a"]}, "message and messages together"),
    ({"message": None}, "neither message nor messages"),
    ({"expected": "refuse"}, "bare decision is not a label"),
    ({"role": "admin"}, "role ids are fixed"),
    ({"id": "has space"}, "id shape"),
    ({"id": "a#1"}, "'#' is reserved for phrasing suffixes"),
    ({"sources": [{"doc": "2", "lines": "1-2"}]}, "doc is three digits"),
    ({"sources": [{"doc": "002", "lines": "20-10"}]}, "range end before start"),
    ({"must_mention_any": [[]]}, "empty group"),
    ({"expected_any": ["maybe"]}, "unknown outcome"),
    ({"pii": [{"entity": "NL_BSN", "text": "999"}]}, "pii text must occur in the message"),
    ({"repeat": 0}, "repeat >= 1"),
]
# fmt: on


@pytest.mark.parametrize("patch,why", INVALID, ids=[w for _, w in INVALID])
def test_invalid_cases_are_rejected(tmp_path, patch, why):
    import yaml

    data = {**BASE, **patch}
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump([data], allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseError):
        load_case_file(path)


def test_valid_minimal_case_and_numeric_stems(tmp_path):
    import yaml

    path = tmp_path / "pii.yaml"
    path.write_text(yaml.safe_dump([{**BASE, "must_mention_any": [[89, "wia"]],
                                     "sources": [{"doc": 2, "lines": [1, 3]}]}]), encoding="utf-8")
    (case,) = load_case_file(path)
    assert case.category == "pii"  # file stem names the group
    assert case.must_mention_any == [["89", "wia"]]
    assert case.sources[0].doc == "002" and case.sources[0].span == (1, 3)


def test_duplicates_and_count_are_checked(tmp_path):
    a = Case(**BASE)
    with pytest.raises(CaseError, match="duplicate"):
        check_unique([a, a.model_copy()])
    with pytest.raises(CaseError, match="at least"):
        check_count([a], minimum=2)


def test_not_a_list_and_bad_yaml_fail_clearly(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("id: x\n", encoding="utf-8")
    with pytest.raises(CaseError, match="list"):
        load_case_file(p)
    p.write_text("- {id: [\n", encoding="utf-8")
    with pytest.raises(CaseError, match="invalid YAML"):
        load_case_file(p)
