"""Shared fixtures: one session data dir with a built index, one loaded Assistant.

Tests that need their own data dir use ``tmp_path`` and ``load_settings(data_dir=...)``.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tda-data")


@pytest.fixture(scope="session")
def settings(session_data_dir):
    from app.settings import load_settings

    return load_settings(data_dir=session_data_dir)


@pytest.fixture(scope="session")
def assistant(settings):
    from app.assistant import Assistant

    return Assistant.load(settings)
