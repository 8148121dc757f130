"""NlPhoneRecognizer: Dutch notations through analyze."""

import pytest

from guardrails.recognizers.nl_phone_recognizer import NlPhoneRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("bel 06-12345678", 1, ["06-12345678"]),
    ("mobiel 06 1234 5678", 1, ["06 1234 5678"]),
    ("+31 6 12345678 is zijn nummer", 1, ["+31 6 12345678"]),
    ("tel. 0031 6 12345678", 1, ["0031 6 12345678"]),
    ("kantoor 020-1234567", 1, ["020-1234567"]),
    ("Rotterdam: 010 123 4567", 1, ["010 123 4567"]),
    ("0612345678 of 030-2345678", 2, ["0612345678", "030-2345678"]),
    # not phone numbers: too short, a BSN, a date, a postcode
    ("bel 1234", 0, []),
    ("BSN 111222333", 0, []),
    ("op 03-03-2024", 0, []),
    ("postcode 1234 AB", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(text, expected_len, values):
    results = run(NlPhoneRecognizer, text, "PHONE_NUMBER")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])


def test_region_is_nl_only():
    assert NlPhoneRecognizer().supported_regions == ("NL",)
