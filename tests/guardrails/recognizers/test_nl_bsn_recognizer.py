"""NlBsnRecognizer: pattern table through analyze, elfproef table through invalidate_result."""

import pytest

from guardrails.recognizers.nl_bsn_recognizer import NlBsnRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
ANALYZE_CASES = [
    # valid elfproef, plain, dotted and spaced notation
    ("BSN 111222333", 1, ["111222333"]),
    ("burgerservicenummer: 1234.56.782", 1, ["1234.56.782"]),
    ("bsn 1234 56 782 staat in het dossier", 1, ["1234 56 782"]),
    ("Zijn sofinummer is 123456782.", 1, ["123456782"]),
    ("twee nummers: 111222333 en 123456782", 2, ["111222333", "123456782"]),
    # a valid number without context is still redacted (pattern score 0.4 > threshold)
    ("nummer 111222333", 1, ["111222333"]),
    # fails the elfproef -> dropped
    ("BSN 111222334", 0, []),
    ("Ordernummer 123456789", 0, []),
    # wrong length or part of a longer number -> no match
    ("BSN 11122233", 0, []),
    ("1112223330", 0, []),
    ("IBAN NL91ABNA0417164300", 0, []),
    ("datum 12-11-2023 en 111.222.333", 0, []),
    # all zeros passes the arithmetic but is never issued
    ("BSN 000000000", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", ANALYZE_CASES)
def test_analyze(text, expected_len, values):
    results = run(NlBsnRecognizer, text, "NL_BSN")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])
    assert all(r.entity_type == "NL_BSN" for r in results)


# fmt: off
CHECKSUM_CASES = [
    ("111222333", False),     # valid
    ("123456782", False),     # valid
    ("1234.56.782", False),   # valid, dots stripped
    ("1234 56 782", False),   # valid, spaces stripped
    ("111222334", True),      # last digit off by one
    ("123456789", True),      # sequence, fails the check
    ("000000000", True),      # all zeros never issued
    ("12345678", True),       # too short
    ("１２３４５６７８２", True),  # full-width digits are not a BSN notation
]
# fmt: on


@pytest.mark.parametrize("value, invalid", CHECKSUM_CASES)
def test_invalidate_result(value, invalid):
    assert NlBsnRecognizer().invalidate_result(value) is invalid


def test_context_word_raises_score():
    with_ctx = run(NlBsnRecognizer, "Het BSN is 111222333", "NL_BSN")
    without = run(NlBsnRecognizer, "Het nummer is 111222333", "NL_BSN")
    assert with_ctx[0].score > without[0].score
    # a passing checksum alone must not mean certainty (STYLE.md L3)
    assert without[0].score < 1.0
