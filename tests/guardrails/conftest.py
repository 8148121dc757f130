"""Fixtures for the guardrails tests: one loaded pipeline per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def guardrails():
    from guardrails.pipeline import Guardrails

    g = Guardrails.load()
    from guardrails.types import TurnContext

    g.check_input("Jan de Vries belde over zijn verzuim.", TurnContext(role="casemanager"))  # warm-up
    return g
