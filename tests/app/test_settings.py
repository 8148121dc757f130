"""Settings: defaults < file < TDA_* environment; unknown keys are an error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import load_settings


def test_environment_overrides_file(tmp_path, monkeypatch):
    (tmp_path / "settings.yaml").write_text("top_k: 3\nbm25_weight: 2.0\n", encoding="utf-8")
    monkeypatch.setenv("TDA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TDA_TOP_K", "7")
    s = load_settings()
    assert s.top_k == 7
    assert s.bm25_weight == 2.0
    assert s.data_dir == tmp_path


def test_unknown_setting_is_rejected(tmp_path, monkeypatch):
    (tmp_path / "settings.yaml").write_text("top_kk: 3\n", encoding="utf-8")
    monkeypatch.setenv("TDA_DATA_DIR", str(tmp_path))
    with pytest.raises(ValidationError):
        load_settings()


def test_digest_changes_with_settings_and_hides_secrets(tmp_path):
    a = load_settings(data_dir=tmp_path)
    b = load_settings(data_dir=tmp_path, top_k=9)
    c = load_settings(data_dir=tmp_path, llm_api_key="geheim")
    assert a.digest() != b.digest()
    assert a.digest() == c.digest()


def test_index_fingerprint_ignores_runtime_settings(tmp_path):
    a = load_settings(data_dir=tmp_path)
    b = load_settings(data_dir=tmp_path, top_k=9, max_input_chars=10)
    assert a.index_fingerprint() == b.index_fingerprint()
