"""The intent model trained once per session on the corpus's train split."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def intent_corpus():
    from guardrails.intent.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def intent_model():
    from guardrails.intent.store import load_or_build

    return load_or_build(None)


@pytest.fixture(scope="session")
def small_corpus(intent_corpus):
    """A small, fixed slice of the corpus: every 8th message, for fast training tests."""
    from guardrails.intent.corpus import Corpus

    return Corpus(intents=intent_corpus.intents, examples=intent_corpus.examples[::8])
