"""guardrails.pii: public interface, redaction table, domain false positives, bad input."""

import json
import socket
from pathlib import Path

import pytest

from guardrails import pii
from guardrails.pii import PII_ENTITIES, RedactionResult, analyze, get_analyzer, redact

pytestmark = pytest.mark.slow  # first call loads deduce (~10 s)

DATASET = Path(__file__).resolve().parents[2] / "evals" / "pii" / "pii_nl.jsonl"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing may be downloaded at run time."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_analyzer_is_cached_dutch_singleton():
    a = get_analyzer()
    assert a is get_analyzer()
    assert a.supported_languages == ["nl"]
    names = {r.name for r in a.get_recognizers("nl")}
    for expected in ("NlBsnRecognizer", "NlPhoneRecognizer", "NlPostcodeRecognizer", "NlDateRecognizer",
                     "NlAddressRecognizer", "NlOrganizationRecognizer", "DeduceRecognizer",
                     "HealthDataRecognizer",
                     "NlIbanRecognizer", "NlPhoneFormatRecognizer", "OfflineEmailRecognizer"):
        assert expected in names


# fmt: off
REDACT_CASES = [
    ("Jan Jansen (BSN 111222333) is ziek.", "<PERSON> (BSN <NL_BSN>) is ziek."),
    ("Bel me op 06-12345678.", "Bel me op <PHONE_NUMBER>."),
    ("Adres: Kerkstraat 12, 1234 AB Utrecht", "Adres: <ADDRESS>, <NL_POSTCODE> <LOCATION>"),
    ("IBAN NL91 ABNA 0417 1643 00 graag", "IBAN <IBAN_CODE> graag"),
    ("mail j.jansen@example.nl op 3 maart 2024", "mail <EMAIL_ADDRESS> op <DATE_TIME>"),
    ("Hij werkt bij Bakkerij de Vries B.V. in Tiel.", "Hij werkt bij <ORGANIZATION> in <LOCATION>."),
    # the organisation wins over the surname inside it, the title stays readable
    ("Mevrouw Bakker werkt bij Bakker Bouw B.V.", "Mevrouw <PERSON> werkt bij <ORGANIZATION>"),
    # 9 digits failing the elfproef: still masked before storage (recall first), at a lower score
    ("Ordernummer 123456789 is verzonden.", "Ordernummer <NL_BSN> is verzonden."),
    ("Hij heeft een hernia.", "Hij heeft een <HEALTH_DATA>."),
]
# fmt: on


@pytest.mark.parametrize("text, expected", REDACT_CASES)
def test_redact(text, expected):
    result = redact(text)
    assert isinstance(result, RedactionResult)
    assert result.text == expected
    assert not result.failed


def test_spans_refer_to_original_text_and_are_sorted():
    text = "Piet de Boer, BSN 1234.56.782, tel 020-1234567, woont op de Dorpsstraat 3."
    result = redact(text)
    assert [s.entity for s in result.spans] == ["PERSON", "NL_BSN", "PHONE_NUMBER", "ADDRESS"]
    values = [text[s.start : s.end] for s in result.spans]
    assert values == ["Piet de Boer", "1234.56.782", "020-1234567", "Dorpsstraat 3"]
    assert [s.start for s in result.spans] == sorted(s.start for s in result.spans)
    assert result.spans[0]["entity"] == "PERSON"
    assert result.spans[1].to_dict() == {"entity": "NL_BSN", "start": 18, "end": 29}


def test_entity_filter_and_health_flag():
    text = "Jan Jansen heeft een hernia, BSN 111222333."
    only_bsn = redact(text, entities=["NL_BSN"])
    assert only_bsn.entities == ["NL_BSN"]
    no_health = redact(text, include_health=False)
    assert "HEALTH_DATA" not in no_health.entities and "hernia" in no_health.text
    assert "HEALTH_DATA" in redact(text).entities
    # include_health=False wins over an explicit list
    assert redact(text, entities=["HEALTH_DATA"], include_health=False).entities == []


def test_analyze_resolves_overlaps():
    text = "Werkgever Stichting Het Anker, contact Jan de Vries, Kerkstraat 12, 1234 AB Utrecht."
    results = analyze(text)
    for a, b in zip(results, results[1:]):
        assert a.end <= b.start
    found = [(r.entity_type, text[r.start : r.end]) for r in results]
    assert ("ORGANIZATION", "Stichting Het Anker") in found


def test_pii_entities_constant():
    assert {"NL_BSN", "PERSON", "ADDRESS", "ORGANIZATION", "LOCATION", "IBAN_CODE", "EMAIL_ADDRESS",
            "PHONE_NUMBER", "NL_POSTCODE", "DATE_TIME"} == set(PII_ENTITIES)
    assert "HEALTH_DATA" not in PII_ENTITIES


# Ordinary domain questions: a PERSON/LOCATION/ORGANIZATION span here would mangle every question.
# fmt: off
DOMAIN_SENTENCES = [
    "Mag de bedrijfsarts de casemanager vragen om de WIA-aanvraag bij het UWV te doen?",
    "Wat zegt de NVAB-leidraad over taakdelegatie aan de casemanager?",
    "Volgens de Arbowet moet de werkgever een arbodienst inschakelen.",
    "Het RSC en de casemanager overleggen over de probleemanalyse.",
    "Bedrijfsarts en casemanager werken samen in het verzuimteam.",
    "Casemanager Verzuim is een functie, geen persoon.",
    "Wanneer moet de werkgever de ziekmelding bij het UWV doen?",
    "Wat is het verschil tussen de WIA, de WGA en de IVA?",
    "Mag de werkgever vragen naar de diagnose?",
    "Werkgever en werknemer stellen samen het plan van aanpak op.",
    "Kan de werknemer een deskundigenoordeel aanvragen bij het UWV?",
    "De KNMG en de NVAB publiceerden de Leidraad Taakdelegatie.",
    "Wat doet de verzekeringsarts van het UWV bij de WIA-keuring?",
    "Welke rol heeft de Ondernemingsraad bij het verzuimbeleid?",
    "Wat staat er in de Wet verbetering poortwachter over het re-integratieverslag?",
    "Moet de Autoriteit Persoonsgegevens worden ingelicht bij een datalek?",
    "Regievoerder, bedrijfsarts en leidinggevende bespreken het dossier.",
    "Hoe lang duurt de wachttijd voor de WIA?",
    "Wat doet de arbeidsdeskundige in het tweede spoor?",
    "Is de Ziektewet van toepassing als het contract afloopt?",
    "mag de casemanager het spreekuur doen namens de bedrijfsarts?",
    "wat moet ik doen als een werknemer zich ziek meldt bij de leidinggevende?",
]
# fmt: on


def test_domain_sentence_count():
    assert len(DOMAIN_SENTENCES) >= 20


@pytest.mark.parametrize("text", DOMAIN_SENTENCES)
def test_domain_words_are_not_names(text):
    found = [(r.entity_type, text[r.start : r.end]) for r in analyze(text)]
    assert not [f for f in found if f[0] in ("PERSON", "LOCATION", "ORGANIZATION")], found


# fmt: off
BAD_INPUTS = [
    "",
    " ",
    "\n\n\t",
    "a" * 50_000,
    ("Jan Jansen BSN 111222333. " * 2000)[:50_000],
    b"\x00\x01\xff\xfe binary \x89PNG\r\n".decode("latin-1"),
    b"\xff\xfe\xfa data".decode("utf-8", errors="surrogateescape"),
    "\x00\x07\x1b[31m control \x7f\u202e\u200b\ufeff",
    "\U0001F600" * 1000,
    "9" * 5000,
    "<script>alert(1)</script>",
]
# fmt: on


@pytest.mark.parametrize("text", BAD_INPUTS, ids=[f"bad-{i}" for i in range(len(BAD_INPUTS))])
def test_bad_input_never_raises(text):
    result = redact(text)
    assert isinstance(result, RedactionResult)
    assert not result.failed
    for s in result.spans:
        assert 0 <= s.start < s.end <= len(text)


def test_non_str_input_does_not_raise():
    assert redact(None).text == ""


def test_long_text_is_chunked_and_offsets_stay_right():
    filler = "Dit is een gewone zin over verzuim. "
    text = filler * 110 + "BSN 111222333 " + filler * 3 + "tel 06-12345678 " + filler * 150 + "BSN 123456782."
    assert len(text) > 2 * pii.CHUNK_SIZE
    result = redact(text)
    got = [(s.entity, text[s.start : s.end]) for s in result.spans]
    assert got == [("NL_BSN", "111222333"), ("PHONE_NUMBER", "06-12345678"), ("NL_BSN", "123456782")]
    assert result.text.count("<NL_BSN>") == 2


def test_value_across_chunk_boundary_is_found(monkeypatch):
    monkeypatch.setattr(pii, "CHUNK_SIZE", 60)
    monkeypatch.setattr(pii, "CHUNK_OVERLAP", 30)
    text = "x " * 27 + "BSN 111222333 en nog wat tekst " + "y " * 40
    result = redact(text)
    assert [(s.entity, text[s.start : s.end]) for s in result.spans] == [("NL_BSN", "111222333")]


def test_detection_failure_fails_closed(monkeypatch):
    def boom(text, entities=None):
        raise RuntimeError("recognizer crashed")

    monkeypatch.setattr(pii, "analyze", boom)
    result = redact("Jan Jansen BSN 111222333")
    assert result.failed
    assert "111222333" not in result.text and result.spans == []


def test_dataset_has_enough_valid_rows():
    from guardrails.recognizers.nl_bsn_recognizer import NlBsnRecognizer

    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 200
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        for s in r["spans"]:
            assert r["text"][s["start"] : s["end"]] == s["value"]
            if s["entity"] == "NL_BSN":
                assert NlBsnRecognizer.elfproef(s["value"].replace(".", "").replace(" ", ""))


def test_unknown_entity_is_ignored_not_fatal():
    result = redact("BSN 111222333", entities=["NL_BSN", "NO_SUCH_ENTITY"])
    assert not result.failed and result.entities == ["NL_BSN"]
    assert redact("BSN 111222333", entities=["NO_SUCH_ENTITY"]).text == "BSN 111222333"
