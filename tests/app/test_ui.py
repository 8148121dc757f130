"""The Gradio adapter: Blocks build, handlers called directly, role binding and bad input.

Handlers get a real ``gr.Request`` carrying the login name; the role is looked up in the users file,
exactly as in the running app.
"""

from __future__ import annotations

import csv
import io
import re

import gradio as gr
import pytest

from app.audit import AuditLog
from app.auth import UserStore
from app.settings import ROLES, load_settings
from app.ui import AccessDenied, TdaUI, clean_message, render_reply, render_why, show_placeholders

PASSWORD = "test-wachtwoord-123"


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    store = UserStore.for_data_dir(tmp_path_factory.mktemp("users"))
    for role in ROLES:
        store.create_user(f"u-{role}", PASSWORD, role)
    return store


@pytest.fixture(scope="module")
def ui(assistant, users, tmp_path_factory):
    # The reviewer's screens are always tested: when the session settings switch the audit log off,
    # the UI gets one of its own in a temporary data dir.
    own = None if assistant.audit is not None else AuditLog.open(load_settings(
        data_dir=tmp_path_factory.mktemp("ui-audit"), audit_enabled=True))
    yield TdaUI(assistant, users, audit=own, report_dir=tmp_path_factory.mktemp("ui-out"))
    if own is not None:
        own.close()


def req(role: str | None) -> gr.Request:
    return gr.Request(username=f"u-{role}" if role else None)


def last(gen):
    """Run a streaming handler to the end; returns (all yields, final yield)."""
    outs = list(gen)
    return outs, outs[-1]


def vis(update) -> bool:
    return update["visible"] if isinstance(update, dict) else update.visible


def assistant_text(chat_history) -> str:
    return "\n".join(m["content"] for m in chat_history if m["role"] == "assistant")


# -- build ------------------------------------------------------------------------------------

def test_build_has_named_endpoints(ui):
    demo = ui.build()
    assert isinstance(demo, gr.Blocks)
    names = {getattr(fn, "api_name", None) for fn in demo.fns.values()}
    for name in ("chat", "intake", "eval_run", "eval_case_save", "audit_query", "audit_detail",
                 "audit_verify", "audit_export", "whoami"):
        assert name in names


# -- role binding -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_on_load_shows_tabs_of_role(ui, role):
    out = ui.on_load(req(role))
    header, chat, intake, evaltab, audit = out[:5]
    assert f"u-{role}" in header
    assert vis(chat) is True
    assert vis(evaltab) is (role == "trainer")
    assert vis(audit) is (role == "reviewer")
    assert vis(intake) is (role in ("casemanager", "employer", "trainer"))
    assert vis(out[5]) is (role == "trainer")  # practice banner


def test_unknown_login_refused_everywhere(ui):
    with pytest.raises(AccessDenied):
        ui.on_load(req(None))
    with pytest.raises(AccessDenied):
        list(ui.chat("Wat mag ik vragen?", [], [], "", gr.Request(username="bestaat-niet")))
    with pytest.raises(AccessDenied):
        ui.audit_verify(None)


AUDIT_CALLS = {
    "audit_query": lambda ui, r: ui.audit_query("", "", "", "", "", "", "", r),
    "audit_detail": lambda ui, r: ui.audit_detail(1, r),
    "audit_verify": lambda ui, r: ui.audit_verify(r),
    "audit_export": lambda ui, r: ui.audit_export("csv", "", "", "", "", "", "", "", r),
}
EVAL_CALLS = {
    "run_eval": lambda ui, r: ui.run_eval(r, progress=lambda *a, **k: None),
    "filter_eval": lambda ui, r: ui.filter_eval([], True, r),
    "trainer_cases": lambda ui, r: ui.trainer_cases(r),
    "save_case": lambda ui, r: ui.save_case("", "x-case", "employer", "Wat mag ik vragen?", "answer", "", "", "", r),
    "add_intent_example": lambda ui, r: ui.add_intent_example("medical_prognosis", "employer", "Hoe lang duurt dat?",
                                                              "", r, progress=lambda *a, **k: None),
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "reviewer"])
@pytest.mark.parametrize("call", sorted(AUDIT_CALLS))
def test_audit_handlers_refuse_other_roles(ui, role, call):
    with pytest.raises(AccessDenied):
        AUDIT_CALLS[call](ui, req(role))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "trainer"])
@pytest.mark.parametrize("call", sorted(EVAL_CALLS))
def test_eval_handlers_refuse_other_roles(ui, role, call):
    with pytest.raises(AccessDenied):
        EVAL_CALLS[call](ui, req(role))


def test_intake_refused_for_reviewer(ui):
    with pytest.raises(AccessDenied):
        ui.intake("eerste_contact", "", "", "", "", req("reviewer"))


def test_role_change_in_users_file_applies_immediately(assistant, tmp_path):
    store = UserStore.for_data_dir(tmp_path)
    store.create_user("wisselaar", PASSWORD, "employer")
    ui = TdaUI(assistant, store, report_dir=tmp_path / "out")
    request = gr.Request(username="wisselaar")
    with pytest.raises(AccessDenied):
        ui.audit_verify(request)
    store.create_user("wisselaar", PASSWORD, "reviewer", replace=True)
    assert "Keten" in ui.audit_verify(request) or "KETEN" in ui.audit_verify(request)


# -- chat -------------------------------------------------------------------------------------

def test_employer_forbidden_question_is_refused_with_rule(ui):
    outs, (chat_history, box, history, why, status) = last(
        ui.chat("Welke medicijnen gebruikt mijn zieke medewerker?", [], [], "s1", req("employer")))
    text = assistant_text(chat_history)
    assert "GEWEIGERD" in text
    assert "Regel:" in text and "Nee, dat doe ik niet:" in text  # the rule as readable text, verdict first
    assert "antwoordtijd" in text and "Antwoordtijd" in status
    assert "| rail |" in why
    assert len(outs) >= 2  # streamed: placeholder first
    assert "Bezig" in assistant_text(outs[0][0])
    assert history[-1]["role"] == "assistant" and history[-2]["content"] == "Welke medicijnen gebruikt mijn zieke medewerker?"


def test_employer_allowed_question_gets_citations(ui):
    _, (chat_history, _, _, why, _) = last(
        ui.chat("Wat mag ik als werkgever vragen bij een ziekmelding?", [], [], "s2", req("employer")))
    assert "GEWEIGERD" not in assistant_text(chat_history)
    reply = chat_history[-1]["content"]
    assert "<details class=\"tda-chip\">" in reply, "an answer shows its citations as expandable source chips"
    assert "regels" in reply and "<blockquote>" in reply


def test_multi_turn_history_is_passed_on(ui, assistant, monkeypatch):
    seen = []
    real = assistant.respond

    def spy(message, **kwargs):
        seen.append(list(kwargs.get("history") or []))
        return real(message, **kwargs)

    monkeypatch.setattr(assistant, "respond", spy)
    _, (ch, _, hist, _, _) = last(ui.chat("Wat is de rol van de bedrijfsarts?", [], [], "s3", req("casemanager")))
    _, (ch2, _, hist2, _, _) = last(ui.chat("En wat mag de casemanager dan doen?", ch, hist, "s3",
                                            req("casemanager")))
    assert seen[0] == []
    assert [m["role"] for m in seen[1]] == ["user", "assistant"]
    assert seen[1][0]["content"] == "Wat is de rol van de bedrijfsarts?"
    assert len(hist2) == 4 and len(ch2) > len(ch)


@pytest.mark.parametrize("message", ["", "   \n\t ", None, "\x00\x01\x02binair\x00", b"\x89PNG\r\n"])
def test_bad_input_gives_dutch_message_without_a_turn(ui, assistant, monkeypatch, message):
    calls = []
    monkeypatch.setattr(assistant, "respond", lambda *a, **k: calls.append(1))
    _, (ch, box, hist, why, status) = last(ui.chat(message, [], [], "s4", req("employer")))
    assert calls == [] and ch == [] and hist == []
    assert "Typ" in status or "binaire" in status


def test_very_long_message_is_cut_with_notice(ui):
    long = "Wat mag ik vragen bij een ziekmelding? " * 500
    _, (ch, _, hist, _, _) = last(ui.chat(long, [], [], "s5", req("employer")))
    assert "alleen de eerste" in assistant_text(ch)
    assert len(hist[0]["content"]) <= ui.max_input_chars


def test_crashed_turn_shows_error_and_app_keeps_serving(ui, assistant, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kapot")

    monkeypatch.setattr(assistant, "respond", boom)
    _, (ch, _, hist, _, status) = last(ui.chat("Wat mag ik vragen?", [], [], "s6", req("employer")))
    assert "FOUT" in status and "foutcode" in assistant_text(ch)
    assert hist == []  # the failed turn is not part of the history
    monkeypatch.undo()
    _, (ch2, _, hist2, _, _) = last(ui.chat("Wat mag ik vragen?", [], [], "s6", req("employer")))
    assert len(hist2) == 2


# fmt: off
@pytest.mark.parametrize("raw, problem, notice, expect", [
    ("Hallo", False, False, "Hallo"),
    ("  Hallo \n", False, False, "Hallo"),
    ("Hal\u200blo", False, True, "Hallo"),          # zero-width space removed
    ("Hal\x07lo", False, True, "Hallo"),            # bell character removed
    ("", True, False, ""),
    ("\u200b\u200b", True, True, ""),               # nothing left after cleaning
    ("\x00abc", True, False, ""),                   # NUL byte: binary
    ("\x01\x02\x03\x04abc", True, False, ""),       # mostly control characters
    ("x" * 5000, False, True, "x" * 4000),          # cut at the limit
])
# fmt: on
def test_clean_message_table(raw, problem, notice, expect):
    text, notices, prob = clean_message(raw, 4000)
    assert (prob is not None) is problem
    assert bool(notices) is notice
    assert text == expect


def test_render_reply_keeps_redaction_placeholders_visible():
    from app.reply import Citation, Reply

    reply = Reply(decision="answer", text="Bel <PERSON> op <PHONE_NUMBER>.",
                  citations=[Citation("002", "Leidraad", "", (1, 2), "regel met <PERSON>")])
    msgs = render_reply(reply, 12.0)
    assert "&lt;PERSON&gt;" in msgs[0]["content"] and "<PERSON>" not in msgs[0]["content"]
    assert "<blockquote>regel met &lt;PERSON&gt;</blockquote>" in msgs[0]["content"]
    assert "<summary>[1] NVAB Leidraad bedrijfsarts &amp; casemanager · regels 1–2</summary>" in msgs[0]["content"]


def test_render_why_handles_odd_decisions():
    class R:
        decision = "refuse"
        category = "health_data"
        redactions = []
        timings_ms = {"total": 1.0}
        decisions = [{"rail": "input.x", "action": "block", "rule_id": "r|1", "reason": "a\nb", "risk": 0.5},
                     {"rail": "input.y"}]

    md = render_why(R())
    assert "r\\|1" in md and "0.50" in md and "gezondheidsgegevens" in md


# -- intake -----------------------------------------------------------------------------------

def test_casemanager_intake_script_has_mandatory_disclosure(ui):
    cookies = {"access-token-cm": "sessie-van-de-casemanager"}
    view, src, link, status = ui.intake("eerste_contact", "dr. Jansen", "Arbo Noord", "2026-03-01", "s7",
                                        gr.Request(username="u-casemanager", cookies=cookies))
    assert view == show_placeholders(src)
    assert "niet de bedrijfsarts" in src.lower() and "taakdelegatie" in src.lower()
    assert "Arbo Noord" in src  # the options reach the script
    token = re.search(r"/tda/download/([\w-]+)", link).group(1)
    assert ui.downloads.take(token, {"access-token-x": "een-andere-sessie"}) is None
    content, name, media = ui.downloads.take(token, cookies)
    assert content.decode("utf-8") == src and name.endswith(".md") and media.startswith("text/markdown")


def test_intake_unknown_call_type_is_a_dutch_error(ui):
    with pytest.raises(gr.Error):
        ui.intake("bestaat_niet", "", "", "", "", req("casemanager"))


@pytest.mark.parametrize("when", ["31-31-2026", "gisteren", "2026-02-30"])
def test_intake_bad_date_is_not_made(ui, when):
    view, src, link, status = ui.intake("eerste_contact", "", "", when, "", req("casemanager"))
    assert src == "" and link == ""
    assert "Niet gemaakt" in status and "datum" in status.lower()


def test_employer_cannot_use_casemanager_call_type(ui):
    with pytest.raises(gr.Error):
        ui.intake("eerste_contact", "", "", "", "", req("employer"))


# -- reviewer ---------------------------------------------------------------------------------

def test_reviewer_audit_query_verify_and_export(ui, assistant, tmp_path):
    assert ui.audit is not None, "the reviewer tests need an audit log"
    # A refused employer turn in the log (written directly: this tests the reviewer's screens, not
    # the intent model's decision on one message).
    from app.reply import Reply

    ui.audit.record_turn(user="u-employer", role="employer", session_id="audit-s",
                         input_text="Wat is de diagnose van mijn zieke medewerker?",
                         reply=Reply(text="Nee, dat doe ik niet.", decision="refuse", category="health_data"))
    rows, status = ui.audit_query("", "", "employer", "refuse", "", "", "", req("reviewer"))
    assert rows and all(r[2] == "werkgever" and r[3] == "geweigerd" for r in rows)   # Dutch labels
    detail = ui.audit_detail(rows[0][0], req("reviewer"))
    assert f"Record {rows[0][0]}" in detail
    assert "intact" in ui.audit_verify(req("reviewer"))
    cookies = {"access-token-abc": "sessie-van-de-reviewer"}
    msg = ui.audit_export("csv", "", "", "employer", "", "", "", "",
                          gr.Request(username="u-reviewer", cookies=cookies))
    token = re.search(r"/tda/download/([\w-]+)", msg).group(1)
    assert ui.downloads.take(token, {"access-token-abc": "een-andere-sessie"}) is None
    content, name, media = ui.downloads.take(token, cookies)
    data = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))   # CSV for Dutch Excel
    assert len(data) >= 2 and "Rol" in data[0] and name.endswith(".csv") and media.startswith("text/csv")
    assert ui.downloads.take(token, cookies) is None          # served once
    with pytest.raises(gr.Error):                              # no session to bind the export to
        ui.audit_export("csv", "", "", "", "", "", "", "", req("reviewer"))
    with pytest.raises(gr.Error):
        ui.audit_query("gisteren", "", "", "", "", "", "", req("reviewer"))


# -- trainer ----------------------------------------------------------------------------------

def test_trainer_case_form_validates_and_saves(ui, assistant):
    with pytest.raises(gr.Error):
        ui.save_case("", "bad id with spaces", "employer", "Wat mag ik vragen?", "answer", "", "", "",
                     req("trainer"))
    with pytest.raises(gr.Error):
        ui.save_case("", "ui-case-1", "employer", "   ", "answer", "", "", "", req("trainer"))
    msg = ui.save_case("", "ui-case-1", "employer", "Wat is de diagnose van mijn zieke medewerker?\nWat heeft hij?",
                       "refuse_health_data", "diagnose", "ui", "", req("trainer"))
    assert "ui-case-1" in msg
    loaded = ui.load_case("ui-case-1", req("trainer"))
    assert loaded[0] == "ui-case-1" and "Wat heeft hij?" in loaded[2]
    msg = ui.save_case("ui-case-1", "ui-case-1", "employer", "Wat is de diagnose van mijn zieke medewerker?",
                       "refuse_health_data", "", "ui", "bijgewerkt", req("trainer"))
    assert "bijgewerkt" in msg


def test_trainer_adds_an_intent_example_and_the_model_rebuilds(ui, monkeypatch, tmp_path):
    import shutil

    from guardrails.intent import corpus

    for f in corpus.INTENT_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setattr(corpus, "INTENT_DIR", tmp_path)   # never touch the repository's corpus in a test
    reloads = []
    provider = ui.assistant.guardrails.intent_model
    monkeypatch.setattr(provider, "reload", lambda **kw: reloads.append(kw))
    no_progress = lambda *a, **k: None  # noqa: E731
    with pytest.raises(gr.Error):
        ui.add_intent_example("bestaat_niet", "employer", "Wat heeft hij?", "", req("trainer"), progress=no_progress)
    with pytest.raises(gr.Error):
        ui.add_intent_example("medical_prognosis", "employer", "   ", "", req("trainer"), progress=no_progress)
    msg = ui.add_intent_example("medical_prognosis", "employer", "Hoe snel is iemand van een gebroken sleutelbeen af?",
                                "", req("trainer"), progress=no_progress)
    assert "medical_prognosis" in msg and reloads == [{}]
    assert "gebroken sleutelbeen" in (tmp_path / "medical_prognosis.yaml").read_text(encoding="utf-8")


def test_why_panel_shows_the_intent_and_nearest_examples(ui, assistant):
    from app.ui import render_why

    reply = assistant.respond("Wat betekent een verhoogde bloeddruk voor zijn werk?", role="casemanager")
    md = render_why(reply)
    assert "Herkende intentie" in md and "Meest gelijkende trainingsvoorbeelden" in md


def test_trainer_runs_eval_with_progress(ui, monkeypatch):
    import evals.runner

    real = evals.runner.load_default_cases
    monkeypatch.setattr(evals.runner, "load_default_cases", lambda settings=None: real(settings)[:3])
    seen = []
    metrics, table, rows, dl, status = ui.run_eval(req("trainer"), progress=lambda *a, **k: seen.append(a))
    assert len(table) >= 3 and seen
    assert "metriek" in metrics
    assert ui.filter_eval(rows, True, req("trainer")) == [r for r in rows if r[4] != "geslaagd"]


def test_crashing_handler_gives_dutch_error_with_code(ui, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("intern detail")

    monkeypatch.setattr(ui.audit, "verify", boom)
    with pytest.raises(gr.Error) as info:
        ui.audit_verify(req("reviewer"))
    assert "foutcode" in str(info.value.message) and "intern detail" not in str(info.value.message)
    monkeypatch.undo()
    assert "intact" in ui.audit_verify(req("reviewer"))


def test_guarded_keeps_signatures_for_gradio(ui):
    import inspect

    assert "request" in inspect.signature(ui.audit_verify).parameters
    assert "progress" in inspect.signature(ui.run_eval).parameters
    assert "evt" in inspect.signature(ui.audit_pick).parameters
