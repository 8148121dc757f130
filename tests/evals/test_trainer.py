"""Trainer API: add / update / delete cases in <data_dir>/trainer_cases.yaml, validated, ids unique."""

from __future__ import annotations

import pytest

from app.settings import load_settings
from evals import trainer
from evals.runner import load_default_cases
from evals.schema import CaseError, load_project_cases

NEW = {"id": "tr-fysio-1", "role": "employer", "message": "Mag ik hem naar de fysio sturen?",
       "expected": "answer", "must_mention_any": [["bedrijfsarts"]], "borderline": True}


@pytest.fixture()
def settings(tmp_path):
    return load_settings(data_dir=tmp_path)


def test_add_update_delete_roundtrip(settings):
    case = trainer.add_case(settings, NEW)
    assert case.suite == "trainer" and case.category == "trainer"
    assert [c.id for c in trainer.list_trainer_cases(settings)] == ["tr-fysio-1"]
    files = {f["suite"]: f for f in trainer.list_case_files(settings)}
    assert files["trainer"]["cases"] == 1 and files["trainer"]["editable"]
    assert files["project"]["editable"] is False

    updated = trainer.update_case(settings, "tr-fysio-1", {**NEW, "expected": "partial"})
    assert updated.expected == "partial"
    assert trainer.list_trainer_cases(settings)[0].expected == "partial"

    renamed = trainer.update_case(settings, "tr-fysio-1", {**NEW, "id": "tr-fysio-2"})
    assert renamed.id == "tr-fysio-2"
    assert trainer.delete_case(settings, "tr-fysio-2") is True
    assert trainer.delete_case(settings, "tr-fysio-2") is False
    assert trainer.list_trainer_cases(settings) == []


def test_trainer_cases_join_the_default_run(settings):
    trainer.add_case(settings, NEW)
    ids = {c.id for c in load_default_cases(settings, include_reference=False)}
    assert "tr-fysio-1" in ids


# fmt: off
BAD = [
    ({**NEW, "expected": "maybe"}, "unknown label"),
    ({**NEW, "role": "admin"}, "unknown role"),
    ({**NEW, "typo_field": 1}, "extra key"),
    ({k: v for k, v in NEW.items() if k != "message"}, "no message"),
]
# fmt: on


@pytest.mark.parametrize("data,why", BAD, ids=[w for _, w in BAD])
def test_invalid_case_is_rejected_and_nothing_written(settings, data, why):
    with pytest.raises(CaseError):
        trainer.add_case(settings, data)
    assert trainer.list_trainer_cases(settings) == []


def test_ids_must_be_unique_across_all_files(settings):
    project_id = load_project_cases()[0].id
    with pytest.raises(CaseError, match="already exists"):
        trainer.add_case(settings, {**NEW, "id": project_id})
    trainer.add_case(settings, NEW)
    with pytest.raises(CaseError, match="already exists"):
        trainer.add_case(settings, NEW)
    with pytest.raises(CaseError, match="no trainer case"):
        trainer.update_case(settings, "does-not-exist", NEW)
