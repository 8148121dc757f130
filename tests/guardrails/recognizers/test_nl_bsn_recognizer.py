"""NlBsnRecognizer: pattern table through analyze; the elfproef sets the score, it does not gate."""

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
    # fails the elfproef -> still masked (recall first: a mistyped BSN is a BSN), at a lower score
    ("BSN 111222334", 1, ["111222334"]),
    ("Ordernummer 123456789", 1, ["123456789"]),
    ("BSN 000000000", 1, ["000000000"]),
    # groups of three with spaces, dots or hyphens
    ("bsn 111 222 333", 1, ["111 222 333"]),
    ("datum 12-11-2023 en 111.222.333", 1, ["111.222.333"]),
    ("123-456-782", 1, ["123-456-782"]),
    ("111 222.333", 0, []),
    # wrong length or part of a longer number -> no match
    ("BSN 11122233", 0, []),
    ("1112223330", 0, []),
    ("IBAN NL91ABNA0417164300", 0, []),
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
    ("111222333", True),      # valid
    ("123456782", True),      # valid
    ("111222334", False),     # last digit off by one
    ("123456789", False),     # sequence, fails the check
    ("000000000", False),     # all zeros never issued
    ("12345678", False),      # too short
    ("１２３４５６７８２", False),  # full-width digits are not a BSN notation
]
# fmt: on


@pytest.mark.parametrize("value, valid", CHECKSUM_CASES)
def test_elfproef(value, valid):
    assert NlBsnRecognizer.elfproef(value) is valid


@pytest.mark.parametrize("good, bad", [("111222333", "111222334"), ("1234.56.782", "1234.56.783")])
def test_elfproef_raises_score(good, bad):
    assert run(NlBsnRecognizer, f"nummer {good}", "NL_BSN")[0].score > run(NlBsnRecognizer, f"nummer {bad}",
                                                                            "NL_BSN")[0].score


def test_context_word_raises_score():
    with_ctx = run(NlBsnRecognizer, "Het BSN is 111222333", "NL_BSN")
    without = run(NlBsnRecognizer, "Het nummer is 111222333", "NL_BSN")
    assert with_ctx[0].score > without[0].score
    # a passing checksum alone must not mean certainty (STYLE.md L3)
    assert without[0].score < 1.0
