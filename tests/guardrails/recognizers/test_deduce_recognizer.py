"""DeduceRecognizer: tag mapping, lower-case names, domain words (loads deduce once, ~10 s)."""

import pytest

from guardrails.recognizers.deduce_recognizer import DeduceRecognizer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rec():
    return DeduceRecognizer()


def found(rec, text):
    return [(r.entity_type, text[r.start : r.end]) for r in rec.analyze(text, rec.supported_entities)]


# fmt: off
CASES = [
    ("Jan Jansen is ziek.", [("PERSON", "Jan Jansen")]),
    ("Ik heb Piet de Boer gesproken.", [("PERSON", "Piet de Boer")]),
    ("Hij woont in Utrecht.", [("LOCATION", "Utrecht")]),
    # street + house number -> ADDRESS, not LOCATION
    ("Ze woont op de Kerkstraat 12.", [("ADDRESS", "Kerkstraat 12")]),
    # hospital -> ORGANIZATION
    ("Opgenomen in het UMC Utrecht.", [("ORGANIZATION", "UMC Utrecht")]),
    # lower-case first name + surname are restored before deduce runs
    ("ik heb piet de vries gesproken", [("PERSON", "piet de vries")]),
    # a first name that is also a word stays alone
    ("de roos bloeit", []),
    ("", []),
]
# fmt: on


@pytest.mark.parametrize("text, expected", CASES)
def test_mapping(rec, text, expected):
    got = found(rec, text)
    for item in expected:
        assert any(e == item[0] and item[1] in v for e, v in got), f"{text!r}: {got}"
    if not expected:
        assert got == []


def test_project_setup_leaves_numbers_to_other_recognizers(rec):
    # dates, phone numbers, BSNs are disabled in the project setup (own recognizers)
    text = "BSN 111222333, tel 06-12345678, op 3 maart 2024"
    assert found(rec, text) == []
    full = DeduceRecognizer(full=True)
    entities = {e for e, _ in found(full, text)}
    assert {"NL_BSN", "PHONE_NUMBER", "DATE_TIME"} <= entities


# fmt: off
RECASE_CASES = [
    ("ik heb lucy verda-verharen gesproken", "ik heb Lucy Verda-Verharen gesproken"),
    ("gijs van den eijssel belde", "Gijs van den Eijssel belde"),
    ("jan jansen belde", "Jan Jansen belde"),
    # no surname after the first name: unchanged
    ("als jan ziek is", "als jan ziek is"),
    # common words are not names
    ("de roos bloeit en mark is ziek", "de roos bloeit en mark is ziek"),
    ("wat zegt de wet verbetering poortwachter", "wat zegt de wet verbetering poortwachter"),
    ("", ""),
]
# fmt: on


@pytest.mark.parametrize("text, expected", RECASE_CASES)
def test_recase_names(text, expected):
    out = DeduceRecognizer.recase_names(text)
    assert out == expected
    assert len(out) == len(text)


def test_deduce_does_not_leave_debug_logging_on():
    import logging

    from guardrails.recognizers.deduce_recognizer import get_deduce

    get_deduce()
    assert logging.getLogger().level != logging.DEBUG or logging.getLogger().handlers == []
