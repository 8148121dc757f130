"""Shared assertions for recognizer tables (presidio tests/assertions.py style)."""

from __future__ import annotations

from functools import lru_cache

from presidio_analyzer import AnalyzerEngine


@lru_cache(maxsize=None)
def analyzer_for(recognizer_cls, **kwargs) -> AnalyzerEngine:
    """An analyzer like the project's (blank nl engine, threshold, context) with one recognizer."""
    from guardrails.pii import _build_analyzer

    return _build_analyzer(recognizers=[recognizer_cls(**kwargs)])


def run(recognizer_cls, text: str, entity: str):
    """Analyze ``text`` with only ``recognizer_cls``; results sorted by start."""
    results = analyzer_for(recognizer_cls).analyze(text=text, language="nl", entities=[entity])
    return sorted(results, key=lambda r: (r.start, r.end))


def assert_spans(results, text: str, expected_len: int, expected_positions):
    """Compare results with the expected count and (start, end) positions."""
    got = [(r.start, r.end) for r in results]
    assert len(results) == expected_len, f"{text!r}: got {[text[s:e] for s, e in got]}"
    for (s, e) in expected_positions:
        found = [text[a:b] for a, b in got]
        assert (s, e) in got, f"{text!r}: expected {text[s:e]!r} at {(s, e)}, got {found}"


def span(text: str, value: str) -> tuple[int, int]:
    """(start, end) of the first occurrence of ``value`` in ``text``."""
    start = text.index(value)
    return start, start + len(value)
