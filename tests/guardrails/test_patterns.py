"""Every hand-written pattern that remains carries examples and not_examples; this test runs them.

Patterns are the exception (injection markers, role claims, the PARTIAL script rule and the output
judgement check); everything else is the intent model's. A pattern without examples fails here.
"""

from __future__ import annotations

import pytest

from guardrails.normalize import normalize_for_matching
from guardrails.policy import Policy

POLICY = Policy.load()
PATTERNS = [(rule.id, i, p) for rule in POLICY.rules for i, p in enumerate(rule.patterns)]


def _ids():
    return [f"{rid}#{i}" for rid, i, _p in PATTERNS]


@pytest.mark.parametrize("rule_id,index,pattern", PATTERNS, ids=_ids())
def test_pattern_has_examples(rule_id, index, pattern):
    assert pattern.examples, f"{rule_id} pattern {index} has no examples"
    assert pattern.not_examples, f"{rule_id} pattern {index} has no not_examples"


@pytest.mark.parametrize("rule_id,index,pattern", PATTERNS, ids=_ids())
def test_pattern_matches_its_examples(rule_id, index, pattern):
    rx = POLICY.compile(pattern.re)
    for text in pattern.examples:
        assert rx.search(normalize_for_matching(text)), f"{rule_id}#{index} misses its example {text!r}"
    for text in pattern.not_examples:
        assert not rx.search(normalize_for_matching(text)), f"{rule_id}#{index} matches its not_example {text!r}"


def test_only_few_patterns_remain():
    """The intent model decides; patterns stay where they are precise (count guards against regrowth)."""
    assert len(PATTERNS) <= 40
