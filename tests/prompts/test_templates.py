"""Every template file in prompts/ loads, validates and renders with its declared defaults (STYLE L5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from guardrails import refusals
from prompts.templates import (
    PROMPTS_DIR,
    SOURCES_DIR,
    IntakeTemplate,
    MissingVariables,
    PromptTemplate,
    TemplateError,
    load_intake_templates,
    load_template,
)

ALL_YAML = sorted(PROMPTS_DIR.rglob("*.yaml"))


def _check_refusals(path: Path) -> None:
    tpl = refusals.RefusalTemplates.load(path)
    params = {v: f"<{v}>" for v in refusals.TEMPLATE_VARS}
    for name in tpl.spec.templates:
        assert "$" not in tpl.evaluate(name, params), name


# Files owned by other parts of the project, by path under prompts/, each with the check of its own
# loader. Every other file must load with prompts.templates: an unknown file is a failure.
FOREIGN = {"refusals.yaml": _check_refusals}


def _raw_lines(source: str, start: int, end: int) -> str:
    """Independent re-read of the cited lines (what `sed -n START,ENDp` prints), whitespace-joined."""
    path = next(SOURCES_DIR.glob(f"{source}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()[start - 1 : end]
    return re.sub(r"\s+", " ", " ".join(lines).replace("\ufffd", " ")).strip()


def test_prompts_dir_has_the_expected_templates():
    names = {p.relative_to(PROMPTS_DIR).as_posix() for p in ALL_YAML}
    assert {"llm.yaml", "intake/casemanager_eerste_contact.yaml", "intake/casemanager_vervolgcontact.yaml",
            "intake/employer_ziekmelding.yaml", "intake/employer_reintegratie.yaml"} <= names


@pytest.mark.parametrize("path", ALL_YAML, ids=[p.relative_to(PROMPTS_DIR).as_posix() for p in ALL_YAML])
def test_every_template_loads_and_renders_with_defaults(path: Path):
    check = FOREIGN.get(path.relative_to(PROMPTS_DIR).as_posix())
    if check is not None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not (isinstance(data, dict) and data.get("kind") in ("prompt", "intake")):
            check(path)
            return
    tpl = load_template(path)
    if isinstance(tpl, PromptTemplate):
        prompt, system = tpl.evaluate()
        assert prompt.strip()
        assert "$" not in prompt and "$" not in (system or "")
        for variant in tpl.variants:
            p2, s2 = tpl.evaluate(variant=variant)
            assert "$" not in p2 and "$" not in (s2 or "")
    else:
        assert isinstance(tpl, IntakeTemplate)
        for text in tpl.texts():
            rendered = tpl.evaluate_text(text)
            assert "$" not in rendered, text
        for section in tpl.sections:
            for item in section.items:
                for cite in item.cite:
                    # The quote is verbatim in the cited lines, re-read independently of the loader.
                    assert cite.quote_text() in _raw_lines(cite.source, *cite.lines), (item.id, cite)


def test_a_template_file_of_unknown_kind_is_an_error(tmp_path):
    path = tmp_path / "onbekend.yaml"
    path.write_text("kind: iets_anders\nname: x\n", encoding="utf-8")
    with pytest.raises(TemplateError):
        load_template(path)


def test_intake_templates_cover_both_roles_and_four_call_types():
    keys = set(load_intake_templates())
    assert keys == {("casemanager", "eerste_contact"), ("casemanager", "vervolgcontact"),
                    ("employer", "ziekmelding"), ("employer", "reintegratie")}


def test_employer_templates_share_the_same_forbidden_topics():
    t = load_intake_templates()
    a = [(f.topic, f.rule_id) for f in t[("employer", "ziekmelding")].forbidden_topics]
    b = [(f.topic, f.rule_id) for f in t[("employer", "reintegratie")].forbidden_topics]
    assert a == b and len(a) >= 5


# --------------------------------------------------------------------------- PromptTemplate


def _tpl(**kw) -> PromptTemplate:
    base = {"name": "t", "prompt": "Vraag: $question over ${topic}", "system": "Rol: $role"}
    base.update(kw)
    return PromptTemplate(**base)


def test_vars_lists_every_variable():
    assert _tpl().vars() == {"question", "topic", "role"}


def test_evaluate_missing_variables_message_is_sorted():
    with pytest.raises(MissingVariables, match=r"^Missing variables: question, role, topic$"):
        _tpl().evaluate()


def test_evaluate_defaults_variant_and_params_precedence():
    t = _tpl(defaults={"role": "gebruiker", "topic": "verzuim", "question": "?"},
             variants={"employer": {"role": "werkgever"}})
    assert t.evaluate() == ("Vraag: ? over verzuim", "Rol: gebruiker")
    assert t.evaluate(variant="employer")[1] == "Rol: werkgever"
    assert t.evaluate({"role": "x"}, variant="employer")[1] == "Rol: x"
    assert t.evaluate(variant="unknown")[1] == "Rol: gebruiker"


def test_evaluate_does_not_expand_variables_inside_values():
    t = _tpl(defaults={"role": "r", "topic": "t"})
    prompt, _ = t.evaluate({"question": "$role ${topic}"})
    assert prompt == "Vraag: $role ${topic} over t"


def test_prompt_template_forbids_unknown_fields():
    # A YAML file cannot grant itself a trust switch: unknown keys fail at load time.
    with pytest.raises(ValidationError):
        _tpl(bypass_output_rails=True)


def test_variant_with_unknown_variable_is_rejected():
    with pytest.raises(ValidationError, match="unknown variables: nope"):
        _tpl(variants={"employer": {"nope": "x"}})


# --------------------------------------------------------------------------- IntakeTemplate validation


def _intake(**kw) -> dict:
    data = {
        "kind": "intake", "id": "x", "role": "employer", "call_type": "ziekmelding", "label": "L",
        "title": "T $organisation", "purpose": "P",
        "purpose_cite": [{"source": "002", "lines": [785, 785]}],
        "defaults": {"organisation": "[organisatie]"},
        "sections": [{"id": "s", "heading": "H", "items": [
            {"id": "i", "kind": "ask", "text": "Vraag", "cite": [{"source": "002", "lines": [785, 785]}]}]}],
    }
    data.update(kw)
    return data


def test_minimal_intake_is_valid():
    t = IntakeTemplate.model_validate(_intake())
    assert t.evaluate_text(t.title) == "T [organisatie]"
    assert t.evaluate_text(t.title, {"organisation": "Acme"}) == "T Acme"


# fmt: off
BAD_INTAKES = [
    # a quote that is not in the cited lines (invented citation)
    ({"purpose_cite": [{"source": "002", "lines": [785, 785], "quote": "de diagnose mag altijd"}]}, "quote not found"),
    # a line range past the end of the file
    ({"purpose_cite": [{"source": "002", "lines": [9000, 9001]}]}, "outside source"),
    # an unknown source id
    ({"purpose_cite": [{"source": "009", "lines": [1, 2]}]}, "unknown source"),
    # a variable without a default
    ({"purpose": "P $bedrijfsarts"}, "without default: bedrijfsarts"),
    # duplicate item ids
    ({"sections": [{"id": "s", "heading": "H", "items": [
        {"id": "i", "kind": "ask", "text": "a", "cite": [{"source": "002", "lines": [785, 785]}]},
        {"id": "i", "kind": "ask", "text": "b", "cite": [{"source": "002", "lines": [786, 786]}]}]}]}, "duplicate ids"),
    # an item without a citation
    ({"sections": [{"id": "s", "heading": "H", "items": [{"id": "i", "kind": "ask", "text": "a", "cite": []}]}]},
     "at least 1"),
    # a typo in a field name
    ({"titel": "x"}, "Extra inputs"),
    # an unknown role
    ({"role": "reviewer"}, "role"),
]
# fmt: on


@pytest.mark.parametrize("change,message", BAD_INTAKES)
def test_invalid_intake_templates_fail_at_load(change, message):
    with pytest.raises((ValidationError, TemplateError), match=message):
        IntakeTemplate.model_validate(_intake(**change))


def test_load_template_errors(tmp_path):
    (tmp_path / "a.yaml").write_text("kind: nonsense\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("- a list\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("kind: prompt\nname: [unclosed\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_text("kind: prompt\nname: x\n", encoding="utf-8")   # no prompt
    for name, msg in (("a", "unknown kind"), ("b", "mapping"), ("c", "c.yaml"), ("d", "prompt")):
        with pytest.raises(TemplateError, match=msg):
            load_template(tmp_path / f"{name}.yaml")
