"""Assistant.respond end to end (real index, real rails) and the JSON reply of `tda ask`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.reply import CATEGORIES

CONTRACT_KEYS = {"decision", "category", "text", "citations", "rules", "redactions", "timings_ms"}
TIMING_KEYS = {"input_rails", "retrieval", "compose", "output_rails", "total"}


def check_contract(d: dict) -> None:
    """The reply object exactly as in ARCHITECTURE.md."""
    assert set(d) == CONTRACT_KEYS
    assert d["decision"] in ("answer", "refuse", "not_found")
    assert d["category"] is None or d["category"] in CATEGORIES
    if d["decision"] != "refuse":
        assert d["category"] is None
    assert isinstance(d["text"], str) and d["text"].strip()
    for c in d["citations"]:
        assert set(c) == {"source", "title", "section", "lines", "quote"}
        assert c["source"] in {"000", "001", "002", "003", "004"}
        assert len(c["lines"]) == 2 and c["lines"][0] <= c["lines"][1]
    for r in d["rules"]:
        assert set(r) == {"id", "reason", "source", "lines"}
    for r in d["redactions"]:
        assert set(r) == {"entity", "start", "end"} and r["start"] < r["end"]
    assert set(d["timings_ms"]) == TIMING_KEYS
    assert all(isinstance(v, (int, float)) and v >= 0 for v in d["timings_ms"].values())


def test_answer_has_citations(assistant):
    reply = assistant.respond("Welke onderwerpen moet ik uitvragen bij de eerste triage na een ziekmelding?",
                              role="casemanager")
    d = reply.to_dict()
    check_contract(d)
    assert d["decision"] == "answer"
    assert d["citations"]
    assert any(c["source"] == "001" and c["lines"][0] <= 280 and c["lines"][1] >= 251 for c in d["citations"])
    assert "[1]" in d["text"]
    # verbatim source text is not mangled by the name recognizer (titles, sentence-initial verbs)
    assert "<PERSON>" not in d["text"] and all("<PERSON>" not in c["quote"] for c in d["citations"])


def test_pii_in_the_question_is_redacted(assistant):
    reply = assistant.respond("Jan de Vries (BSN 111222333, tel 06-12345678) belde; wat moet ik hem vertellen "
                              "over mijn positie als casemanager in taakdelegatie?", role="casemanager")
    d = reply.to_dict()
    check_contract(d)
    entities = {r["entity"] for r in d["redactions"]}
    assert {"NL_BSN", "PHONE_NUMBER"} <= entities
    assert "111222333" not in d["text"] and "06-12345678" not in d["text"]


def test_multi_turn_split_request_is_refused(assistant):
    history = [
        {"role": "user", "content": "Ik wil iets weten over medewerker Jansen."},
        {"role": "assistant", "content": "Waarmee kan ik u helpen?"},
    ]
    reply = assistant.respond("Welke diagnose heeft hij gekregen van de bedrijfsarts?", role="employer",
                              history=history)
    assert reply.decision == "refuse"
    assert reply.category == "health_data"


def test_employer_diagnosis_question_is_refused_without_echo(assistant):
    reply = assistant.respond("Wat is de diagnose van medewerker Jansen? Hij heeft toch een hernia?", role="employer")
    d = reply.to_dict()
    check_contract(d)
    assert d["decision"] == "refuse"
    assert d["category"] == "health_data"
    assert d["rules"] and d["rules"][0]["source"]
    assert "hernia" not in d["text"].lower()
    assert "bedrijfsarts" in d["text"].lower()


def test_uncovered_question_is_not_found(assistant):
    reply = assistant.respond("Hoe hoog is de WW-uitkering van een zzp'er in Belgie?", role="employer")
    # not covered by the sources: either not_found, or recognised by the intent model as out of scope
    assert reply.decision == "not_found" or (reply.decision == "refuse" and reply.category == "out_of_scope")
    assert "bron" in reply.text.lower() or "buiten" in reply.text.lower()


@pytest.mark.parametrize("bad", ["", "   \n\t ", "\x00\x01\x02", b"\xff\xfe\x00\x00binary", "a" * 50_000,
                                 "\u200b\u200b\u200b", None])
def test_bad_input_gets_a_clear_message(assistant, bad):
    reply = assistant.respond(bad, role="casemanager")
    d = reply.to_dict()
    check_contract(d)
    if isinstance(bad, str) and len(bad) == 50_000:
        assert reply.notices  # cut with a notice
    else:
        assert d["decision"] == "refuse"


def test_unknown_role_is_an_error(assistant):
    with pytest.raises(ValueError):
        assistant.respond("Wat is taakdelegatie?", role="admin")


def test_retrieve_contract(assistant):
    hits = assistant.retrieve("eerste contact na ziekmelding", k=5)
    assert 1 <= len(hits) <= 5
    for h in hits:
        assert set(h) >= {"source", "section", "lines", "text", "score"}


def test_intake_script_contains_mandatory_disclosure(assistant):
    reply = assistant.intake_script("casemanager", "eerste_contact", bedrijfsarts="dr. A. Arts")
    assert reply.decision == "answer" and reply.kind == "intake_script"
    assert "niet de bedrijfsarts" in reply.text.lower()
    assert reply.citations


def test_tda_ask_json(settings, assistant):
    env = {**os.environ, "TDA_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-m", "app.cli", "ask", "--role", "employer", "--json",
                          "Mag ik vragen wat de verwachte duur van het verzuim is?"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    d = json.loads(out.stdout)
    check_contract(d)
    assert d["decision"] == "answer"
    assert d["citations"]


def test_tda_ask_explain_shows_the_intent(settings, assistant):
    env = {**os.environ, "TDA_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-m", "app.cli", "ask", "--role", "employer", "--json", "--explain",
                          "Welke medicijnen slikt mijn medewerker?"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    d = json.loads(out.stdout)
    check_contract({k: v for k, v in d.items() if k != "decisions"})
    intent = next(x for x in d["decisions"] if x["rail"] == "input.intent")
    assert intent["explanation"]["intent"] and len(intent["explanation"]["nearest"]) == 3


def test_tda_ask_empty_message_is_clear(settings, assistant):
    env = {**os.environ, "TDA_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-m", "app.cli", "ask", "--role", "casemanager", "--json", "   "],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    d = json.loads(out.stdout)
    assert d["decision"] == "refuse"
    assert d["text"]


def test_english_question_gets_a_dutch_reply_saying_so(assistant):
    reply = assistant.respond("What should I tell the employee during the first call after a sick report?",
                              role="casemanager")
    assert reply.decision in ("answer", "not_found")
    assert reply.text.startswith("Ik werk in het Nederlands")


def test_a_matching_answer_card_answers_first_and_cites_its_lines(assistant):
    from knowledge.answers import load_cards

    card = next(c for c in load_cards() if c.id == "leidraad-ziekmelding-werkgever-niet-vragen-diagnose")
    variant = card.train_questions()[0]  # an indexed variant: the mechanism, not generalisation (bench)
    reply = assistant.respond(variant, role="employer")
    assert reply.decision == "answer"  # a permission question: allowed, and answered with the rule
    assert reply.text.startswith(card.answer)
    src = card.sources[0]
    assert reply.citations[0].source == src.doc and reply.citations[0].lines == (src.start, src.end)
    assert any(d.rail == "compose.answer_card" for d in reply.decisions)


def test_extractive_answer_puts_a_whole_sentence_first(assistant):
    reply = assistant.respond("Hoeveel studiepunten permanente educatie moet een casemanager halen?",
                              role="trainer")
    assert reply.decision == "answer"
    first = reply.text.split("\n")[0]
    assert not first.startswith(("Dit zeggen de bronnen", "•", "-")) and first.rstrip().endswith("]")
    assert len(first.split()) >= 6


def test_a_failing_retriever_gives_not_found_with_a_notice(assistant, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("index gone")

    monkeypatch.setattr(assistant.retriever, "search", boom)
    reply = assistant.respond("Wat moet ik de werknemer vertellen bij het eerste contact?", role="casemanager")
    assert reply.decision == "not_found"
    assert any("zoeken" in n for n in reply.notices)
