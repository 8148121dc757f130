"""Every recognizer that carries ``EXAMPLES``/``NOT_EXAMPLES`` finds each example and no not-example.

The tables are data on the recognizer classes (defined once, next to the patterns); this test runs
each recognizer alone through an analyzer built like the project's.
"""

from __future__ import annotations

import pytest

from guardrails.recognizers import NL_RECOGNIZERS
from tests.guardrails.recognizers.helpers import run

WITH_EXAMPLES = [cls for cls in NL_RECOGNIZERS if getattr(cls, "EXAMPLES", None)]
CASES = [(cls, text, True) for cls in WITH_EXAMPLES for text in cls.EXAMPLES] + [
    (cls, text, False) for cls in WITH_EXAMPLES for text in getattr(cls, "NOT_EXAMPLES", ())]


def test_pattern_recognizers_carry_examples():
    from presidio_analyzer import PatternRecognizer

    for cls in NL_RECOGNIZERS:
        if issubclass(cls, PatternRecognizer) and cls.__name__ in {
                "NlPhoneFormatRecognizer", "NlIbanRecognizer", "NlBsnRecognizer", "OfflineEmailRecognizer"}:
            assert cls.EXAMPLES and cls.NOT_EXAMPLES, cls.__name__


@pytest.mark.parametrize("cls,text,expected", CASES,
                         ids=[f"{c.__name__}:{'+' if e else '-'}:{t[:30]}" for c, t, e in CASES])
def test_examples(cls, text, expected):
    entity = cls().supported_entities[0]
    found = [text[r.start:r.end] for r in run(cls, text, entity)]
    if expected:
        assert found, f"{cls.__name__} misses its example {text!r}"
    else:
        assert not found, f"{cls.__name__} matches its not-example {text!r}: {found}"
