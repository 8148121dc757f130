"""NlDateRecognizer: pattern table and invalid-date table."""

import pytest

from guardrails.recognizers.nl_date_recognizer import NlDateRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("ziek sinds 3 maart 2024", 1, ["3 maart 2024"]),
    ("op 03-03-2024 gebeld", 1, ["03-03-2024"]),
    ("op 3-3-2024 gebeld", 1, ["3-3-2024"]),
    ("afspraak maandag 4 maart", 1, ["maandag 4 maart"]),
    ("per 4 mrt. 2024 hersteld", 1, ["4 mrt. 2024"]),
    ("brief van 12/11/2023", 1, ["12/11/2023"]),
    ("ISO 2024-03-03", 1, ["2024-03-03"]),
    ("vrijdag de 14e om 10 uur", 1, ["vrijdag de 14e"]),
    ("weer aan het werk vanaf 12/4", 1, ["12/4"]),
    ("ziek sinds 3 maart.", 1, ["3 maart"]),        # sentence dot not part of the date
    ("in september 2024", 1, ["september 2024"]),
    # impossible day or month -> dropped
    ("op 32-01-2024", 0, []),
    ("op 12-13-2024", 0, []),
    # ranges, scores, versions, article numbers: no dates
    ("na 3-4 weken", 0, []),
    ("uitslag 3-2", 0, []),
    ("versie 3.2 van het protocol", 0, []),
    ("artikel 7:629 BW", 0, []),
    ("factuur 2024-0012", 0, []),
    ("na 104 weken", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(text, expected_len, values):
    results = run(NlDateRecognizer, text, "DATE_TIME")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])


# fmt: off
INVALID_CASES = [
    ("03-03-2024", False),
    ("31/12/2023", False),
    ("2024-02-29", False),
    ("3 maart", False),
    ("00-03-2024", True),   # day 0
    ("12-13-2024", True),   # month 13
    ("2024-13-01", True),   # ISO month 13
    ("45 maart", True),     # day 45
]
# fmt: on


@pytest.mark.parametrize("value, invalid", INVALID_CASES)
def test_invalidate_result(value, invalid):
    assert NlDateRecognizer().invalidate_result(value) is invalid
