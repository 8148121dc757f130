"""The reviewer's audit screens (issue 14): CSV for Dutch Excel, the user / evaluation / risk
filters, local time and Dutch values, and the export of what is shown.

The redactor is replaced by a pass-through (this tests the reviewer's side, not presidio), except
where a redaction failure is the point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from types import SimpleNamespace

import gradio as gr
import pytest

from app.audit import REDACTION_FAILED, AuditFilter, AuditLog
from app.audit import redaction as redaction_mod
from app.audit.export import (
    DUTCH_CSV_HEADERS,
    csv_cell,
    local_time,
    nl_placeholders,
    rail_nl,
    write_records,
)
from app.audit.filters import is_eval, risk_reasons
from app.auth import UserStore
from app.reply import Reply
from app.settings import load_settings

PASSWORD = "reviewer-wachtwoord-14"
HEALTH_DECISION = {"rail": "input.health", "action": "redact", "rule_id": "health.redact_input",
                   "reason": "Gezondheidstermen afgeschermd.", "risk": 0.5, "category": None,
                   "evidence": [{"start": 20, "end": 31, "label": "HEALTH_DATA/mental_health", "score": 0.85,
                                 "detector": "guardrails.health"}]}
HEALTH_ALLOW = {"rail": "input.health", "action": "allow", "rule_id": "", "reason": "", "risk": 0.0,
                "category": None, "evidence": []}
PII_DECISION = {"rail": "input.pii", "action": "redact", "rule_id": "PII-NL-PERSON", "reason": "Naam gemaskeerd.",
                "risk": 0.9, "category": None,
                "evidence": [{"start": 0, "end": 4, "label": "PERSON", "score": 0.85, "detector": "x"}]}


# -------------------------------------------------------------------------------- pure functions

def test_local_time_is_amsterdam_without_microseconds():
    assert local_time("2026-12-01T20:05:03.123456Z") == "01-12-2026 21:05:03"     # winter: UTC+1
    assert local_time("2026-07-01T20:05:03.999999Z") == "01-07-2026 22:05:03"     # summer: UTC+2
    assert local_time(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)) == "01-01-2027 00:30:00"
    assert local_time("") == "" and local_time(None) == ""
    assert local_time("geen tijd") == "geen tijd"


def test_dutch_placeholders_and_rail_names():
    assert nl_placeholders("Hij was bij de <HEALTH_DATA> en <PERSON> belde.") == \
        "Hij was bij de [gezondheidsgegeven] en [naam] belde."
    assert nl_placeholders(REDACTION_FAILED) == "[AFSCHERMEN MISLUKT]"
    assert nl_placeholders("<ONBEKEND>") == "[onbekend]"
    assert rail_nl("input.health") == "invoer: gezondheidstermen"
    assert rail_nl("output.citation") == "antwoord: bronvermelding"


def _record(**kw) -> dict:
    rec = {"id": 1, "ts": "2026-12-01T20:05:03.123456Z", "kind": "chat", "user": "rita", "role": "employer",
           "session_id": "s1", "input_redacted": "Vraag", "reply_redacted": "Antwoord", "decision": "answer",
           "category": None, "rule_ids": [], "rules": [], "citations": [], "decisions": [], "notices": [],
           "timings_ms": {}, "app_version": "1", "settings_digest": "d", "meta": {}, "key_id": "k1",
           "prev_hash": "0" * 64, "hash": "a" * 64}
    rec.update(kw)
    return rec


def _dutch_csv(records) -> tuple[str, list[list[str]]]:
    buf = io.StringIO(newline="")
    n = write_records(records, "csv", buf, dutch=True)
    assert n == len(records)
    text = buf.getvalue()
    return text, list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_csv_for_dutch_excel_bom_semicolons_headers_quoting_and_formulas():
    tricky = "Eerste regel; met puntkomma\ntweede regel met \"aanhalingstekens\""
    records = [
        _record(id=1, decision="refuse", category="health_data", rule_ids=["employer.no_diagnosis_questions"],
                input_redacted=tricky),
        _record(id=2, input_redacted="=HYPERLINK(\"http://x\")", reply_redacted="+31 6 nummer",
                user="@admin", session_id="-1"),
    ]
    text, rows = _dutch_csv(records)
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    header_line = text[1:].split("\r\n", 1)[0]
    assert header_line.count(";") == len(DUTCH_CSV_HEADERS) - 1 and "," not in header_line.replace(", ", "")
    assert rows[0] == list(DUTCH_CSV_HEADERS)
    for name in ("Recordnummer", "Tijd (lokaal)", "Gebruiker", "Rol", "Besluit", "Categorie", "Risico",
                 "Vraag (afgeschermd)", "Antwoord (afgeschermd)"):
        assert name in rows[0]
    assert "input_redacted" not in rows[0] and "role" not in rows[0]
    row = dict(zip(rows[0], rows[1]))
    # the value with ';' and a newline is one quoted cell and reads back unchanged
    assert row["Vraag (afgeschermd)"] == tricky
    assert '"Eerste regel; met puntkomma\ntweede regel met ""aanhalingstekens"""' in text
    assert row["Besluit"] == "geweigerd" and row["Categorie"] == "gezondheidsgegevens"
    assert row["Rol"] == "werkgever" and row["Tijd (lokaal)"] == "01-12-2026 21:05:03"
    assert row["Tijd (UTC)"] == "2026-12-01T20:05:03.123456Z"        # the stored value stays for checks
    assert row["Regels"] == "employer.no_diagnosis_questions" and row["Risico"] == "geweigerd"
    second = dict(zip(rows[0], rows[2]))
    assert second["Vraag (afgeschermd)"] == "'=HYPERLINK(\"http://x\")"   # no spreadsheet formula
    assert second["Antwoord (afgeschermd)"].startswith("'+")
    assert second["Gebruiker"] == "'@admin" and second["Sessie"] == "'-1"
    assert len(rows) == 3


def test_tool_csv_is_unchanged_and_cells_are_defused():
    buf = io.StringIO(newline="")
    write_records([_record()], "csv", buf)
    assert buf.getvalue().startswith("id,ts,kind,user,")              # `tda audit export` for scripts
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("\t=1") == "'\t=1" and csv_cell(["a"]) == '["a"]'
    assert csv_cell(None) == "" and csv_cell("gewoon") == "gewoon"


def test_risk_reasons_and_eval_marking():
    assert risk_reasons(_record()) == []
    assert risk_reasons(_record(decision="refuse")) == ["refuse"]
    assert risk_reasons(_record(decisions=[PII_DECISION, HEALTH_DECISION])) == ["health_employer"]
    # a health rail without evidence next to evidence of another rail is no health finding
    assert risk_reasons(_record(decisions=[PII_DECISION, HEALTH_ALLOW])) == []
    # health data in the casemanager's message is normal work (taakdelegatie)
    assert risk_reasons(_record(role="casemanager", decisions=[HEALTH_DECISION])) == []
    assert risk_reasons(_record(meta={"redaction_failed": True})) == ["redaction_failed"]
    assert risk_reasons(_record(input_redacted=REDACTION_FAILED)) == ["redaction_failed"]
    assert is_eval(_record(session_id="eval:run-1", user="eval")) and not is_eval(_record())


# -------------------------------------------------------------------------------- the store

@pytest.fixture
def passthrough(monkeypatch):
    """Redaction as identity (the texts of these tests hold no PII); the cache is not involved."""
    monkeypatch.setattr(redaction_mod, "_redactor", lambda: (lambda text: text))
    redaction_mod.clear_redaction_cache()
    yield
    redaction_mod.clear_redaction_cache()


@pytest.fixture
def log(tmp_path, passthrough):
    lg = AuditLog.open(load_settings(data_dir=tmp_path / "data"))
    yield lg
    lg.close()


def _turn(lg, *, user="cm1", role="casemanager", session_id="s1", text="Hoe voer ik het intakegesprek?",
          decision="answer", category=None, decisions=(), reply_text="Zo doet u dat.") -> int:
    return lg.record_turn(user=user, role=role, session_id=session_id, input_text=text,
                          reply=Reply(text=reply_text, decision=decision, category=category,
                                      decisions=list(decisions)))


@pytest.fixture
def filled(log, monkeypatch):
    ids = {}
    ids["cm"] = _turn(log)
    ids["eval"] = _turn(log, user="eval", role="employer", session_id="eval:run-7", decision="refuse",
                        category="health_data", text="Wat is de diagnose?")
    ids["refuse"] = _turn(log, user="werkgever1", role="employer", session_id="s2", decision="refuse",
                          category="health_data", text="Wat heeft hij precies?")
    ids["health"] = _turn(log, user="werkgever1", role="employer", session_id="s2",
                          text="Hij is bij de <HEALTH_DATA> geweest, hoe lang duurt het?",
                          decisions=[PII_DECISION, HEALTH_DECISION])
    ids["name_only"] = _turn(log, user="werkgever2", role="employer", session_id="s3",
                             text="<PERSON> meldt zich ziek, wat nu?", decisions=[PII_DECISION, HEALTH_ALLOW])

    def failing():
        def redact(text):
            if "kapot" in text:
                raise RuntimeError("recognizer down")
            return text
        return redact

    monkeypatch.setattr(redaction_mod, "_redactor", failing)
    ids["failed"] = _turn(log, user="werkgever2", role="employer", session_id="s3", text="deze tekst is kapot")
    monkeypatch.setattr(redaction_mod, "_redactor", lambda: (lambda text: text))
    return ids


def test_filters_user_eval_and_risk(log, filled):
    ids = filled
    all_ids = [r["id"] for r in log.query(AuditFilter())]
    assert len(all_ids) == 6
    no_eval = [r["id"] for r in log.query(AuditFilter(include_eval=False))]
    assert ids["eval"] not in no_eval and len(no_eval) == 5
    assert [r["id"] for r in log.query(AuditFilter(user="werkgever1"))] == [ids["health"], ids["refuse"]]
    risk = [r["id"] for r in log.query(AuditFilter(risk=True, include_eval=False))]
    assert risk == [ids["failed"], ids["health"], ids["refuse"]]
    assert log.count(AuditFilter(risk=True, include_eval=False)) == 3
    assert log.count(AuditFilter(risk=True)) == 4                     # the eval refusal too
    assert [r["id"] for r in log.query(AuditFilter(risk=True), limit=1, offset=1)] == [ids["health"]]
    assert [r["id"] for r in log.iter_records(AuditFilter(risk=True, user="werkgever2"))] == [ids["failed"]]
    assert log.get(ids["failed"])["input_redacted"] == REDACTION_FAILED


# -------------------------------------------------------------------------------- the handlers

@pytest.fixture
def ui(log, tmp_path):
    from app.ui import TdaUI

    users = UserStore.for_data_dir(tmp_path / "data")
    users.create_user("rita", PASSWORD, "reviewer")
    users.create_user("erik", PASSWORD, "employer")
    return TdaUI(SimpleNamespace(settings=log.settings, audit=log), users, audit=log,
                 report_dir=tmp_path / "out")


def rita(cookies=None) -> gr.Request:
    return gr.Request(username="rita", cookies=cookies or {})


EMPTY = ("", "", "", "", "", "", "")


def test_query_shows_dutch_values_local_time_and_hides_eval(ui, filled):
    rows, status = ui.audit_query(*EMPTY, rita())
    assert len(rows) == 5 and "evaluatieturns verborgen" in status
    assert all(r[6] != "eval" for r in rows)
    by_id = {r[0]: r for r in rows}
    refused = by_id[filled["refuse"]]
    assert refused[2] == "werkgever" and refused[3] == "geweigerd" and refused[4] == "gezondheidsgegevens"
    assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d", refused[1])
    assert refused[5].startswith("⚠") and "geweigerd" in refused[5]
    assert "gezondheidsgegeven in bericht werkgever" in by_id[filled["health"]][5]
    assert "[gezondheidsgegeven]" in by_id[filled["health"]][7] and "<HEALTH_DATA>" not in by_id[filled["health"]][7]
    assert by_id[filled["cm"]][5] == "" and by_id[filled["cm"]][3] == "antwoord"
    rows, _ = ui.audit_query(*EMPTY, rita(), "", True, "all")
    assert len(rows) == 6 and any("(evaluatie)" in r[6] for r in rows)
    rows, status = ui.audit_query(*EMPTY, rita(), "werkgever1", False, "risk")
    assert [r[0] for r in rows] == [filled["health"], filled["refuse"]] and "risico" in status
    rows, status = ui.audit_query(*EMPTY, rita(), "niemand", False, "all")
    assert rows == [] and status.startswith("Geen records gevonden")


def test_date_filter_uses_local_days(ui, log):
    # 23:30 UTC on 1 December is 00:30 on 2 December in Amsterdam
    log._now = lambda: dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.timezone.utc)
    rid = _turn(log)
    log._now = lambda: dt.datetime.now(dt.timezone.utc)
    rows, _ = ui.audit_query("2026-12-02", "02-12-2026", "", "", "", "", "", rita())
    assert [r[0] for r in rows] == [rid] and rows[0][1] == "02-12-2026 00:30:00"
    rows, _ = ui.audit_query("2026-12-01", "2026-12-01", "", "", "", "", "", rita())
    assert rows == []
    with pytest.raises(gr.Error):
        ui.audit_query("31-02-2026", "", "", "", "", "", "", rita())


def test_detail_has_dutch_field_names_and_keeps_the_codes(ui, filled):
    md = ui.audit_detail(filled["health"], rita())
    for name in ("Vraag (afgeschermd)", "Antwoord (afgeschermd)", "Besluit", "Railbeslissingen", "Tijd"):
        assert name in md
    assert "input_redacted" not in md and "reply_redacted" not in md
    assert "antwoord (`answer`)" in md and "werkgever (`employer`)" in md
    assert "`input.health`" in md and "invoer: gezondheidstermen" in md and "afgeschermd" in md
    assert "⚠ **Risico:** gezondheidsgegeven in bericht werkgever" in md
    assert "[gezondheidsgegeven]" in md
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d \(Nederlandse tijd", md)


def test_export_is_what_is_shown_dutch_csv_and_never_silently_empty(ui, filled):
    cookies = {"access-token-x": "sessie-rita"}
    msg = ui.audit_export("csv", *EMPTY, rita(cookies), "werkgever1", False, "risk")
    assert "2 records geëxporteerd" in msg and "CSV" in msg
    token = re.search(r"/tda/download/([\w-]+)", msg).group(1)
    assert ui.downloads.take(token, {"access-token-x": "andere-sessie"}) is None     # bound to the session
    content, name, media = ui.downloads.take(token, cookies)
    assert content.startswith(b"\xef\xbb\xbf") and name.endswith(".csv") and media.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(DUTCH_CSV_HEADERS)
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([filled["health"], filled["refuse"]])
    assert ui.downloads.take(token, cookies) is None                                   # once
    msg = ui.audit_export("jsonl", *EMPTY, rita(cookies), "", False, "all")
    token = re.search(r"/tda/download/([\w-]+)", msg).group(1)
    content, name, _ = ui.downloads.take(token, cookies)
    lines = [json.loads(x) for x in content.decode("utf-8").splitlines()]
    assert len(lines) == 5 and all(r["user"] != "eval" for r in lines) and name.endswith(".jsonl")
    assert {r["decision"] for r in lines} <= {"answer", "refuse", "not_found"}          # raw values in JSONL
    msg = ui.audit_export("csv", *EMPTY, rita(cookies), "niemand", False, "all")
    assert "Niets geëxporteerd" in msg and "/tda/download/" not in msg
    with pytest.raises(gr.Error):                                                      # reviewer only
        ui.audit_export("csv", *EMPTY, gr.Request(username="erik", cookies=cookies))


def test_tab_builds_with_enter_submit_and_one_click_exports(ui):
    demo = ui.build()
    names = {getattr(fn, "api_name", None) for fn in demo.fns.values()}
    assert {"audit_query", "audit_export"} <= names
    query_fns = [fn for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "audit_query_view"]
    triggers = {t[1] for fn in query_fns for t in fn.targets}
    assert "submit" in triggers and "click" in triggers and "input" in triggers
    export_fns = [fn for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "audit_export"]
    assert len(export_fns) == 2 and all(len(fn.inputs) == 11 for fn in export_fns)


def test_screen_rows_of_the_risk_queue_are_tinted(ui, filled):
    from app.ui.reviewer import RISK_ROW_STYLE, TABLE_HEADERS

    styled, _status = ui.audit_query_view(*EMPTY, rita())
    meta = gr.Dataframe(headers=TABLE_HEADERS, interactive=False).postprocess(styled).metadata
    tinted = {int(row[0]) for row, style in zip(meta["display_value"], meta["styling"]) if RISK_ROW_STYLE in style[0]}
    assert tinted == {filled["refuse"], filled["health"], filled["failed"]}
    empty, status = ui.audit_query_view(*EMPTY, rita(), "niemand", False, "all")
    assert empty.empty and status.startswith("Geen records")
