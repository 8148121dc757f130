"""``tda profile`` measures the stages it names and writes its report."""

from __future__ import annotations

import argparse

from app.commands import profile


def test_profile_reports_imports_load_stages_and_turn_stages(settings, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TDA_DATA_DIR", str(settings.data_dir))
    args = argparse.Namespace(passes=2, out=str(tmp_path), top=10, limit=4)
    assert profile.run(args) == 0
    report = next(tmp_path.glob("profile-*.md")).read_text(encoding="utf-8")
    for heading in ("## Imports", "## Start-up: `Assistant.load`", "first pass (each message new): 4 evaluation",
                    "repeat passes", "## cProfile of the last pass"):
        assert heading in report
    for stage in ("| index |", "| intent_model |", "| warm_up |", "| input_rails |", "| retrieval |",
                  "| output_rails |", "| total |"):
        assert stage in report
    assert "respond" in report  # the cProfile listing covers the turn
    assert "Rapport:" in capsys.readouterr().out
