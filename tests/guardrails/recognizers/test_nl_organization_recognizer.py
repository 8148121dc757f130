"""NlOrganizationRecognizer table."""

import pytest

from guardrails.recognizers.nl_organization_recognizer import NlOrganizationRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("Hij werkt bij Bakker Logistiek B.V. in Tiel.", 1, ["Bakker Logistiek B.V."]),
    ("Wij zijn De Vries Holding en zoeken advies.", 1, ["De Vries Holding"]),
    ("Jansen & Zonen belde.", 1, ["Jansen & Zonen"]),
    ("Transportbedrijf van Dijk meldt verzuim.", 1, ["Transportbedrijf van Dijk"]),
    ("Stichting Het Anker is de werkgever.", 1, ["Stichting Het Anker"]),
    ("Namens Meijer & Visser een vraag.", 1, ["Meijer & Visser"]),
    ("Ze werkt bij Velmora als planner.", 1, ["Velmora"]),
    ("Klant Trikwan vraagt om advies.", 1, ["Trikwan"]),
    # sentence starters and roles are not part of the name
    ("Mag de werkgever dat vragen?", 0, []),
    ("Werkgever en werknemer overleggen.", 0, []),
    # lower case sector word without a name
    ("De arbodienst belt morgen.", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(text, expected_len, values):
    results = run(NlOrganizationRecognizer, text, "ORGANIZATION")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])


def test_person_of_a_company_is_not_part_of_the_name():
    text = "Ruben Jekel van Heijmen Techniek N.V. belde."
    results = run(NlOrganizationRecognizer, text, "ORGANIZATION")
    assert [text[r.start : r.end] for r in results] == ["Heijmen Techniek N.V."] or [
        text[r.start : r.end] for r in results
    ] == ["van Heijmen Techniek N.V."]
