"""The corpora are read with libyaml (CSafeLoader, ten times faster at start-up); it must read
every data file exactly as the pure-Python SafeLoader does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted({*ROOT.glob("guardrails/intents/*.yaml"), *ROOT.glob("knowledge/**/*.yaml")})


def test_there_are_data_files():
    assert len(FILES) > 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_like_safe_loader(path):
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.load(text, Loader=yaml.SafeLoader)
