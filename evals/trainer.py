"""API for the trainer tab: list case files, add / update / delete the trainer's own cases.

Trainer cases live in ``<data_dir>/trainer_cases.yaml`` (project format, validated with the same
:class:`evals.schema.Case` model) and are included in later runs by
:func:`evals.runner.load_default_cases`. The project's cases and the reference cases are read-only.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import yaml
from pydantic import ValidationError

from evals.schema import (
    CASES_DIR,
    REFERENCE_PATH,
    Case,
    CaseError,
    load_case_file,
    load_project_cases,
    load_reference_file,
    trainer_cases_path,
)

_LOCK = threading.Lock()


def list_case_files(settings) -> list[dict]:
    """Every case file the default run uses: ``[{path, name, suite, cases, runs, editable}]``."""
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        cases = load_case_file(path)
        out.append({"path": str(path), "name": path.name, "suite": "project", "cases": len(cases),
                    "runs": sum(len(c.runs()) for c in cases), "editable": False})
    tpath = trainer_cases_path(settings)
    tcases = load_case_file(tpath, suite="trainer", default_category="trainer") if tpath.is_file() else []
    out.append({"path": str(tpath), "name": tpath.name, "suite": "trainer", "cases": len(tcases),
                "runs": sum(len(c.runs()) for c in tcases), "editable": True})
    if REFERENCE_PATH.is_file():
        rcases = load_reference_file(REFERENCE_PATH)
        out.append({"path": str(REFERENCE_PATH), "name": REFERENCE_PATH.name, "suite": "reference",
                    "cases": len(rcases), "runs": len(rcases), "editable": False})
    return out


def list_trainer_cases(settings) -> list[Case]:
    """The trainer's own cases (empty list when none were added)."""
    path = trainer_cases_path(settings)
    return load_case_file(path, suite="trainer", default_category="trainer") if path.is_file() else []


def _validate(case: dict | Case) -> Case:
    data = case.model_dump(exclude_defaults=True) if isinstance(case, Case) else dict(case)
    data.pop("suite", None)
    data.setdefault("category", "trainer")
    try:
        return Case.model_validate(data).model_copy(update={"suite": "trainer"})
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in exc.errors())
        raise CaseError(msgs) from exc


def _other_ids(settings) -> set[str]:
    ids = {c.id for c in load_project_cases(check=False)}
    if REFERENCE_PATH.is_file():
        ids |= {c.id for c in load_reference_file(REFERENCE_PATH)}
    return ids


def _dump(case: Case) -> dict:
    data = case.model_dump(mode="json", exclude_defaults=True, exclude={"suite"})
    data["id"], data["role"], data["expected"] = case.id, case.role, case.expected
    return data


def _write(path: Path, cases: list[Case]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Cases added in the trainer tab (project case format; see evals/schema.py).\n"
    text += yaml.safe_dump([_dump(c) for c in cases], allow_unicode=True, sort_keys=False, width=110)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".trainer_cases.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def add_case(settings, case: dict | Case) -> Case:
    """Validate ``case`` and append it to the trainer file.

    Raises:
        CaseError: invalid fields, or an id already used by any project, reference or trainer case.
    """
    new = _validate(case)
    with _LOCK:
        existing = list_trainer_cases(settings)
        if new.id in _other_ids(settings) or any(c.id == new.id for c in existing):
            raise CaseError(f"case id {new.id!r} already exists")
        _write(trainer_cases_path(settings), existing + [new])
    return new


def update_case(settings, case_id: str, case: dict | Case) -> Case:
    """Replace the trainer case ``case_id`` (the id may change if the new id is free)."""
    new = _validate(case)
    with _LOCK:
        existing = list_trainer_cases(settings)
        index = next((i for i, c in enumerate(existing) if c.id == case_id), None)
        if index is None:
            raise CaseError(f"no trainer case with id {case_id!r}")
        if new.id != case_id and (new.id in _other_ids(settings) or any(c.id == new.id for c in existing)):
            raise CaseError(f"case id {new.id!r} already exists")
        existing[index] = new
        _write(trainer_cases_path(settings), existing)
    return new


def delete_case(settings, case_id: str) -> bool:
    """Remove the trainer case ``case_id``; returns False when it does not exist."""
    with _LOCK:
        existing = list_trainer_cases(settings)
        kept = [c for c in existing if c.id != case_id]
        if len(kept) == len(existing):
            return False
        _write(trainer_cases_path(settings), kept)
    return True
