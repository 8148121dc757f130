"""Intake-call scripts: content per role, citations, option cleaning, chat detection, output rails."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.intake import CALL_TYPES, IntakeScript, build_script, detect_script_request
from guardrails import pipeline, policy, types
from prompts.templates import SOURCES_DIR

ALL = [(role, ct) for role in ("casemanager", "employer") for ct, _ in CALL_TYPES[role]]
MEDICAL_WORDS = re.compile(r"diagnose|klacht|behandel|medicat|medicijn|beperking|dokter|huisarts|pijn"
                           r"|ziekte\b|gezondheid|therapie|psycholo", re.I)


def _raw(source: str, start: int, end: int) -> str:
    path = next(SOURCES_DIR.glob(f"{source}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()[start - 1 : end]
    return re.sub(r"\s+", " ", " ".join(lines).replace("\ufffd", " ")).strip()


def _section(md: str, heading_start: str) -> str:
    m = re.search(rf"^## {re.escape(heading_start)}.*?$(.*?)(?=^## |\Z)", md, re.S | re.M)
    assert m, f"section {heading_start!r} missing"
    return m.group(1)


def _lines_of_kind(md: str, label: str) -> list[str]:
    return [ln for ln in md.splitlines() if ln.startswith(f"- **{label}:**")]


def _cited(script: IntakeScript) -> set[tuple[str, int, int]]:
    return {(c.source, c.lines[0], c.lines[1]) for c in script.citations}


def test_call_types_contract():
    assert CALL_TYPES["casemanager"] == [("eerste_contact", "Eerste contact na ziekmelding"),
                                         ("vervolgcontact", "Vervolgcontact")]
    assert CALL_TYPES["employer"] == [("ziekmelding", "Gesprek bij de ziekmelding"),
                                      ("reintegratie", "Re-integratiegesprek")]
    assert [c for c, _ in CALL_TYPES["trainer"]] == ["eerste_contact", "vervolgcontact",
                                                    "ziekmelding", "reintegratie"]
    assert all("Oefenmodus" in label for _, label in CALL_TYPES["trainer"])
    assert "reviewer" not in CALL_TYPES


@pytest.mark.parametrize("role,call_type", ALL)
def test_every_script_is_cited_and_quotes_are_verbatim(role, call_type):
    s = build_script(role, call_type)
    assert (s.role, s.call_type, s.declined) == (role, call_type, [])
    assert s.markdown.startswith(f"# {s.title}\n")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", s.markdown.split("## Bronnen")[0])}
    assert markers == set(range(1, len(s.sources) + 1))         # every marker resolves, none unused
    assert [e.source for e in s.sources] == list(dict.fromkeys(c.source for c in s.citations))
    for c in s.citations:
        assert c.source in {"000", "001", "002", "003", "004"} and c.title
        assert c.quote in _raw(c.source, *c.lines), c            # real lines, verbatim quote
    # Header line with role, call type, date, bedrijfsarts, organisation (placeholders by default)
    assert re.search(r"\*\*Rol:\*\*.*\*\*Gesprek:\*\*.*\*\*Datum:\*\* \[datum gesprek\].*"
                     r"\*\*Bedrijfsarts:\*\* \[naam bedrijfsarts\].*\*\*Organisatie:\*\* \[organisatie\]",
                     s.markdown)
    # Every script line of a section item carries at least one citation marker
    for ln in s.markdown.split("## Bronnen")[0].splitlines():
        if ln.startswith("- **"):
            assert re.search(r"\[\d+\]$", ln), ln


def test_casemanager_first_contact_opens_with_the_four_disclosures():
    s = build_script("casemanager", "eerste_contact", bedrijfsarts="dr. A. de Vries")
    md = s.markdown
    opening = _section(md, "Opening")
    says = _lines_of_kind(opening, "Zeg")
    assert len(says) == 4
    assert "niet de bedrijfsarts" in says[0] and "taakdelegatie" in says[0] and "dr. A. de Vries" in says[0]
    assert "verantwoordelijk" in says[1]
    assert "vertrouwelijkheid en privacy" in says[2]
    assert "altijd" in says[3] and "bedrijfsarts" in says[3] and "spreken" in says[3]
    assert {("000", 182, 184), ("000", 186, 188), ("000", 190, 192), ("000", 194, 196)} <= _cited(s)
    # The disclosures come before any question of the uitvraag
    assert md.index("## Opening") < md.index("## Uitvraag bij de werknemer")


def test_casemanager_first_contact_covers_the_triage_uitvraag():
    s = build_script("casemanager", "eerste_contact")
    werknemer = _section(s.markdown, "Uitvraag bij de werknemer")
    for word in ("functie", "beperkingen", "dag", "behandeling", "medicatie"):
        assert word in werknemer.lower(), word
    leiding = _section(s.markdown, "Uitvraag bij de leidinggevende")
    assert "functie" in leiding and "werkgerelateerde factoren" in leiding
    assert {("001", 256, 258), ("001", 264, 264), ("001", 266, 266), ("001", 268, 268),
            ("001", 270, 274), ("001", 276, 276)} <= _cited(s)


def test_casemanager_scripts_say_the_bedrijfsarts_judges_and_where_to_record():
    for ct in ("eerste_contact", "vervolgcontact"):
        s = build_script("casemanager", ct)
        grenzen = _section(s.markdown, "Wat u niet doet")
        assert "geen eigen medisch oordeel" in grenzen
        assert "## Afsluiting" in s.markdown
        record = _section(s.markdown, "Wat u waar vastlegt")
        assert "Eigen (medisch) dossier" in record and "Procesdossier" in record
        assert "Geen medische gegevens" in record
        assert {("000", 313, 321), ("002", 1353, 1353), ("002", 1366, 1366), ("002", 1367, 1367)} <= _cited(s)


@pytest.mark.parametrize("call_type", ["ziekmelding", "reintegratie"])
def test_employer_scripts_never_ask_medical_questions(call_type):
    s = build_script("employer", call_type)
    for ln in _lines_of_kind(s.markdown, "Vraag"):
        assert not MEDICAL_WORDS.search(ln), ln
    not_ask = _lines_of_kind(s.markdown, "Niet vragen")
    assert len(not_ask) >= 5 and all(ln.startswith("- **Niet vragen:** Vraag niet") for ln in not_ask)
    joined = " ".join(not_ask)
    for word in ("diagnose", "behandeling door een arts", "klachten", "doktersbezoek",
                 "functionele mogelijkheden en beperkingen", "behandelingen", "privéoorzaken"):
        assert word in joined, word
    assert {("002", 795, 797), ("002", 798, 798), ("002", 799, 799), ("002", 800, 800),
            ("002", 801, 801)} <= _cited(s)


def test_employer_sick_report_script_has_the_ap_list_of_what_may_be_asked():
    s = build_script("employer", "ziekmelding")
    asks = " ".join(_lines_of_kind(_section(s.markdown, "Wat u wel mag vragen"), "Vraag"))
    for word in ("telefoonnummer", "adres", "afwezig", "afspraken en werkzaamheden", "vangnetbepalingen",
                 "arbeidsongeval", "verkeersongeval", "aansprakelijk"):
        assert word in asks, word
    assert "niet" in asks and "onder welke bepaling" in asks       # whether, not which vangnetbepaling
    assert {("002", 782, 784), ("002", 785, 785), ("002", 786, 786), ("002", 787, 789), ("002", 790, 790),
            ("002", 791, 793)} <= _cited(s)


def test_employer_reintegration_script_leaves_capacity_questions_to_the_bedrijfsarts():
    s = build_script("employer", "reintegratie")
    assert "Vraag niet welke taken de werknemer nog wel kan" in s.markdown
    assert ("002", 810, 811) in _cited(s)
    assert "werkafspraken" in _section(s.markdown, "Wat u waar vastlegt")


def test_options_are_cleaned_capped_and_escaped():
    evil = "**Dr** [klik](javascript:alert(1)) <b>\x00\x1b[31m\u200b" + "x" * 300
    s = build_script("employer", "ziekmelding", bedrijfsarts=evil, organisation="  Acme\n# kop\t BV  ")
    md = s.markdown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u200b]", md)
    assert "\\*\\*Dr\\*\\* \\[klik\\](javascript:alert(1)) \\<b\\>" in md
    assert "[klik](" not in md.replace("\\[klik\\](", "")
    header = next(ln for ln in md.splitlines() if ln.startswith("**Rol:**"))
    name = header.split("**Bedrijfsarts:** ")[1].split(" · ")[0]
    assert len(name.replace("\\", "")) <= 80
    assert "**Organisatie:** Acme \\# kop BV" in header      # newline gone: no injected heading
    assert not any(ln.startswith("# kop") for ln in md.splitlines())


# fmt: off
DATES = [
    ("2026-03-01", "01-03-2026"),
    ("01-03-2026", "01-03-2026"),
    ("1-3-2026", "01-03-2026"),
    (date(2026, 3, 1), "01-03-2026"),
    ("", "[datum gesprek]"),           # empty means: placeholder
    (None, "[datum gesprek]"),
]
BAD_DATES = ["gisteren", "2026/03/01/5", "01-03-26", "\x00", "9" * 500]
NO_SUCH_DAY = [("2026-13-01", "01-13-2026"), ("31-02-2026", "31-02-2026"), ("29-02-2025", "29-02-2025"),
               ("2025-04-31", "31-04-2025")]
# fmt: on


@pytest.mark.parametrize("value,shown", DATES)
def test_call_date_formats(value, shown):
    s = build_script("casemanager", "eerste_contact", call_date=value)
    assert f"**Datum:** {shown}" in s.markdown


@pytest.mark.parametrize("value", BAD_DATES)
def test_invalid_call_date_has_dutch_error(value):
    if value == "\x00":     # only control characters: treated as empty, not an error
        assert "[datum gesprek]" in build_script("employer", "ziekmelding", call_date=value).markdown
        return
    with pytest.raises(ValueError, match="JJJJ-MM-DD of DD-MM-JJJJ"):
        build_script("employer", "ziekmelding", call_date=value)


@pytest.mark.parametrize("value,shown", NO_SUCH_DAY)
def test_a_date_that_does_not_exist_is_named_as_such(value, shown):
    """The right format but no such day: say that the day does not exist, not that the format is wrong."""
    with pytest.raises(ValueError, match=f"Die datum bestaat niet: {shown}") as err:
        build_script("employer", "ziekmelding", call_date=value)
    assert "JJJJ-MM-DD" not in str(err.value)


@pytest.mark.parametrize("role,call_type,message", [
    ("employer", "eerste_contact", "Onbekend gesprekstype"),      # a casemanager call type
    ("casemanager", "ziekmelding", "Onbekend gesprekstype"),
    ("employer", "", "Onbekend gesprekstype"),
    ("employer", "x" * 10_000, "Onbekend gesprekstype"),
    ("reviewer", "ziekmelding", "reviewer zijn geen belscripts"),
    ("admin", "ziekmelding", "Onbekende rol"),
    (None, "ziekmelding", "Onbekende rol"),
    (["employer"], "ziekmelding", "Onbekende rol"),
    ("employer", ["ziekmelding"], "Onbekend gesprekstype"),
])
def test_unknown_role_or_call_type_raises_dutch_value_error(role, call_type, message):
    with pytest.raises(ValueError, match=message) as exc:
        build_script(role, call_type)
    assert len(str(exc.value)) < 400


@pytest.mark.parametrize("call_type", ["eerste_contact", "vervolgcontact", "ziekmelding", "reintegratie"])
def test_trainer_gets_every_script_in_practice_mode(call_type):
    s = build_script("trainer", call_type)
    assert s.practice and s.role == "trainer" and s.call_type == call_type
    assert "**Oefenmodus** (trainer)" in s.markdown
    assert "Oefenmodus" not in build_script(
        "employer" if call_type in ("ziekmelding", "reintegratie") else "casemanager", call_type).markdown


def test_forbidden_topics_are_declined_with_rule_and_source():
    s = build_script("employer", "ziekmelding",
                     exclude_topics=("klachten", "diagnose", "medicatie", "onzin", ""))
    assert s.declined == ["employer.no_complaint_questions", "employer.no_diagnosis_questions",
                          "employer.no_medication_questions"]
    assert [r.id for r in s.rules] == s.declined and {r.source for r in s.rules} == {"002"}
    section = _section(s.markdown, "Niet opgenomen")
    assert "(klachten)" in section and "(diagnose)" in section and "(medicatie)" in section
    for ln in _lines_of_kind(s.markdown, "Vraag"):
        assert not MEDICAL_WORDS.search(ln)
    s2 = build_script("employer", "reintegratie", exclude_topics=("beperkingen", "privé"))
    assert s2.declined == ["employer.no_limitation_questions", "employer.no_private_causes"]
    assert build_script("employer", "reintegratie", exclude_topics="Diagnose").declined == [
        "employer.no_diagnosis_questions"]      # a bare string is one topic, matched case-insensitively


def test_casemanager_can_leave_out_an_optional_topic():
    full = build_script("casemanager", "eerste_contact")
    s = build_script("casemanager", "eerste_contact", exclude_topics=("behandeling",))
    assert "medicatie?" in full.markdown and "medicatie?" not in s.markdown
    assert s.declined == [] and "Niet opgenomen" not in s.markdown


# fmt: off
DETECT = [
    ("maak een belscript voor mijn eerste gesprek met een zieke werknemer", "employer", ("ziekmelding", [])),
    ("Maak een belscript voor de ziekmelding met vragen over klachten, diagnose en medicatie", "employer",
     ("ziekmelding", ["klachten", "diagnose", "medicatie"])),
    ("Kun je een gespreksscript maken voor het re-integratiegesprek? Ik wil ook vragen naar de medicijnen.",
     "employer", ("reintegratie", ["medicatie"])),
    ("maak een belscript zonder vragen over klachten, diagnose en medicatie", "employer", ("ziekmelding", [])),
    ("Schrijf een belscript voor het eerste contact na de ziekmelding", "casemanager", ("eerste_contact", [])),
    ("maak een script voor het vervolgcontact, met vragen over medicatie", "casemanager", ("vervolgcontact", [])),
    ("belscript re-integratiegesprek", "trainer", ("reintegratie", [])),
    ("maak een belscript voor een werkgever bij de ziekmelding", "trainer", ("ziekmelding", [])),
    ("maak een belscript voor de eerste uitvraag", "trainer", ("eerste_contact", [])),
    # not a request for a script
    ("Mag ik in mijn belscript vragen naar de diagnose?", "employer", None),
    ("wat is een belscript?", "casemanager", None),
    ("Mag ik vragen wat hij heeft?", "employer", None),
    ("maak een belscript", "reviewer", None),              # reviewers have no scripts
    ("", "employer", None),
    ("\x00\x01 script \ufffd" * 5000, "employer", None),
]
# fmt: on


@pytest.mark.parametrize("text,role,expected", DETECT, ids=[f"{r}-{i}" for i, (_, r, _) in enumerate(DETECT)])
def test_detect_script_request(text, role, expected):
    assert detect_script_request(text, role) == expected


def test_detect_never_crashes_on_bad_input():
    for text in (None, 123, b"maak een belscript", "m\u0430ak een belscript",
                 "maak een " + "belscript " * 10_000):
        detect_script_request(text, "employer")     # type: ignore[arg-type]


def test_detected_request_builds_a_script_with_the_declined_topics():
    request = "maak een belscript met vragen naar de diagnose en klachten"
    call_type, topics = detect_script_request(request, "employer")
    s = build_script("employer", call_type, exclude_topics=tuple(topics))
    assert s.declined == ["employer.no_diagnosis_questions", "employer.no_complaint_questions"]


def test_declined_rule_ids_exist_in_the_guardrails_policy():
    known = set(policy.Policy.load().by_id)
    from prompts.templates import load_intake_templates

    used = {ft.rule_id for t in load_intake_templates().values() for ft in t.forbidden_topics}
    assert used and used <= known, used - known


# --------------------------------------------------------------------------- output rails (helper H2)


@pytest.fixture(scope="module")
def rails():
    return pipeline.Guardrails.load(), types


@pytest.mark.slow
@pytest.mark.parametrize("call_type", ["ziekmelding", "reintegratie"])
def test_every_employer_script_line_passes_the_employer_output_rail(rails, call_type):
    g, types = rails
    s = build_script("employer", call_type, bedrijfsarts="dr. Jansen", organisation="Bakkerij De Korst",
                     call_date="2026-03-01", exclude_topics=("diagnose", "klachten"))
    ctx = types.TurnContext(role="employer", stage="output")
    blocked = []
    for ln in s.markdown.splitlines():
        if ln.strip():
            v = g.check_output(ln, ctx, cites=[c.source for c in s.citations])
            if v.blocked:
                blocked.append((ln, v.blocking.rule_id))
    assert blocked == []


@pytest.mark.slow
@pytest.mark.parametrize("role,call_type", ALL)
def test_output_rails_leave_the_fixed_script_text_unchanged(rails, role, call_type):
    # Without user options the script is template text and source quotes only: no rail may block or
    # rewrite it (a PII false positive would mangle the script the user copies).
    g, types = rails
    s = build_script(role, call_type)
    ctx = types.TurnContext(role=role, stage="output")
    changed = []
    for ln in s.markdown.splitlines():
        if ln.strip():
            v = g.check_output(ln, ctx, cites=[c.source for c in s.citations])
            if v.blocked or v.text != ln:
                changed.append(ln[:80])
    assert changed == []
