"""NlAddressRecognizer table."""

import pytest

from guardrails.recognizers.nl_address_recognizer import NlAddressRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("Hij woont op de Kerkstraat 12 in Utrecht.", 1, ["Kerkstraat 12"]),
    ("adres: Oudegracht 231a, 3511 NK Utrecht", 1, ["Oudegracht 231a"]),
    ("Van der Helststraat 3-II", 1, ["Van der Helststraat 3-II"]),
    ("Burgemeester de Withstraat 8", 1, ["Burgemeester de Withstraat 8"]),
    ("Laan van Meerdervoort 221 in Den Haag", 1, ["Laan van Meerdervoort 221"]),
    ("Stuur het naar Postbus 4021", 1, ["Postbus 4021"]),
    ("Marepad 5 en Hoofdweg 10", 2, ["Marepad 5", "Hoofdweg 10"]),
    # no house number, or not a street word
    ("De Kerkstraat is afgesloten.", 0, []),
    ("Na 104 weken volgt de WIA.", 0, []),
    ("Artikel 7 van de Arbowet", 0, []),
    # lower case is not a street name
    ("de straat 12 keer oversteken", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(text, expected_len, values):
    results = run(NlAddressRecognizer, text, "ADDRESS")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])
