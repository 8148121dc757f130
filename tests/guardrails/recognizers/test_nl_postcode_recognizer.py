"""NlPostcodeRecognizer table."""

import pytest

from guardrails.recognizers.nl_postcode_recognizer import NlPostcodeRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("postcode 1234 AB", 1, ["1234 AB"]),
    ("1234AB Utrecht", 1, ["1234AB"]),
    ("adres: Kerkstraat 1, 9876 ZX Groningen", 1, ["9876 ZX"]),
    ("postcode 1234ab", 1, ["1234ab"]),
    # SA, SD and SS are never issued
    ("1234 SS", 0, []),
    ("1234SA", 0, []),
    # leading zero does not exist
    ("0123 AB", 0, []),
    # "1234 ab" with a space is a number and a word
    ("na 1234 km", 0, []),
    # part of a longer token
    ("12345 AB", 0, []),
    ("1234 ABC", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(text, expected_len, values):
    results = run(NlPostcodeRecognizer, text, "NL_POSTCODE")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])
