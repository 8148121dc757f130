"""HealthDataRecognizer: adapter semantics (fake finder) and the real lexicon."""

from dataclasses import dataclass

import pytest

import guardrails.health  # noqa: F401  (the real lexicon; the recognizer imports it lazily)
from guardrails.recognizers.health_data_recognizer import HealthDataRecognizer


@dataclass
class FakeMatch:
    start: int
    end: int
    term: str
    category: str


def with_finder(finder):
    rec = HealthDataRecognizer()
    rec._find = finder
    return rec


def test_adapts_matches_and_drops_bad_offsets():
    text = "Hij heeft een hernia."
    rec = with_finder(lambda t: [FakeMatch(14, 20, "hernia", "diagnose"), FakeMatch(5, 999, "x", "y"),
                                 FakeMatch(8, 8, "x", "y")])
    results = rec.analyze(text, ["HEALTH_DATA"])
    assert [(r.entity_type, text[r.start : r.end]) for r in results] == [("HEALTH_DATA", "hernia")]
    assert results[0].recognition_metadata["category"] == "diagnose"


def test_not_requested_or_empty():
    rec = with_finder(lambda t: [FakeMatch(0, 3, "x", "y")])
    assert rec.analyze("abc", ["PERSON"]) == []
    assert rec.analyze("", ["HEALTH_DATA"]) == []


def test_finder_error_yields_nothing():
    def boom(text):
        raise RuntimeError("lexicon broken")

    assert with_finder(boom).analyze("hernia", ["HEALTH_DATA"]) == []


# fmt: off
REAL_CASES = [
    ("Hij heeft een hernia.", ["hernia"]),
    ("Ze heeft rugklachten en is zwanger.", ["rugklachten", "zwanger"]),
    ("Wat zegt de bedrijfsarts over de probleemanalyse?", []),
]
# fmt: on


@pytest.mark.parametrize("text, values", REAL_CASES)
def test_real_lexicon(text, values):
    results = HealthDataRecognizer().analyze(text, ["HEALTH_DATA"])
    got = [text[r.start : r.end] for r in results]
    for v in values:
        assert any(v in g for g in got), f"{text!r}: {got}"
    if not values:
        assert got == []


def test_long_tokens_are_blanked_before_matching():
    seen = []
    rec = with_finder(lambda t: seen.append(t) or [])
    text = "hernia " + "x" * 500 + " rug"
    rec.analyze(text, ["HEALTH_DATA"])
    assert len(seen[0]) == len(text)
    assert seen[0].startswith("hernia ") and seen[0].endswith(" rug") and "x" not in seen[0]
