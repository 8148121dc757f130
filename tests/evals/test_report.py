"""Report files, comparison and the `tda eval --compare --against` path, on a scripted assistant."""

from __future__ import annotations

import base64
import json
import re

import pytest

from app.reply import Citation, Reply, RuleRef
from evals.report import format_comparison, markdown_summary, summary_table, write_report
from evals.runner import EvalResult, compare, run_suite
from evals.schema import Case


class ScriptedAssistant:
    """Answers from a table keyed by message; raises for messages starting with 'CRASH'."""

    def __init__(self, table: dict[str, Reply]):
        self.table = table
        self.calls: list[tuple[str, str, list]] = []

    def respond(self, message, role="employer", history=(), session_id="", user=""):
        self.calls.append((message, role, list(history)))
        if message.startswith("CRASH"):
            raise RuntimeError("scripted failure")
        return self.table.get(message, Reply(decision="not_found", text="Niet gevonden in de bronnen."))

    def retrieve(self, query, k=5):
        return [{"source": "002", "section": "3.3", "title": "t", "lines": [782, 793], "text": "", "score": 1.0}]


CASES = [
    Case(id="a-1", role="employer", messages=["Wat mag ik vragen?", "Welke vragen mag ik stellen?"],
         expected="answer", must_mention_any=[["duur"]], sources=[{"doc": "002", "lines": "782-793"}]),
    Case(id="r-1", role="employer", message="Wat is de diagnose?", expected="refuse_health_data",
         must_not_mention=["griep"]),
    Case(id="m-1", role="casemanager", message="Vervolg?", expected="answer",
         history=[{"role": "user", "content": "Eerste vraag"}, {"role": "assistant", "content": "Antwoord"}]),
    Case(id="c-1", role="casemanager", message="CRASH now", expected="answer"),
]
GOOD = Reply(decision="answer", text="U mag vragen naar de vermoedelijke duur.",
             citations=[Citation("002", "Leidraad", "3.3", (782, 793), "de vermoedelijke duur van het verzuim")],
             timings_ms={"input_rails": 1.0, "retrieval": 5.0, "compose": 2.0, "output_rails": 1.0, "total": 9.0})
TABLE = {
    "Wat mag ik vragen?": GOOD,
    "Welke vragen mag ik stellen?": GOOD,
    "Wat is de diagnose?": Reply(decision="refuse", category="health_data", text="Het is griep.",
                                 rules=[RuleRef("employer.no_diagnosis", "r", "002", (795, 801))]),
    "Vervolg?": GOOD,
}


@pytest.fixture()
def result():
    progress = []
    res = run_suite(ScriptedAssistant(TABLE), CASES, progress=lambda d, t: progress.append((d, t)))
    assert progress[0] == (0, 5) and progress[-1] == (5, 5)
    return res


def test_run_suite_expands_phrasings_passes_history_and_survives_crash():
    bot = ScriptedAssistant(TABLE)
    res = run_suite(bot, CASES)
    assert [r.run_id for r in res.results] == ["a-1#1", "a-1#2", "r-1", "m-1", "c-1"]
    assert bot.calls[3][2] == [{"role": "user", "content": "Eerste vraag"}, {"role": "assistant", "content": "Antwoord"}]
    by_id = {r.run_id: r for r in res.results}
    assert by_id["c-1"].crashed and "RuntimeError" in by_id["c-1"].error
    assert by_id["r-1"].leaks == ["griep"]
    assert res.metrics["crashes"] == 1 and res.metrics["leaks"] == 1
    assert res.metrics["retrieval_recall_at_k"] == 1.0 and res.metrics["citation_source_match"] == 1.0
    assert {r.run_id for r in res.failing()} == {"r-1", "c-1"}
    assert any("crash" in p for p in res.gate())


def test_write_report_is_self_contained(tmp_path, result):
    paths = write_report(result, tmp_path / "rep")
    assert set(paths) == {"html", "json", "md"} and all(p.is_file() for p in paths.values())
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"src=['\"]https?:", html)
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) >= 3
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "r-1" in html and "Het is griep." in html  # failing case with its reply
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["metrics"]["runs"] == 5 and len(data["results"]) == 5 and data["gate"]
    assert "Gate" in paths["md"].read_text(encoding="utf-8")
    again = EvalResult.load(paths["json"])
    assert [r.run_id for r in again.results] == [r.run_id for r in result.results]


def test_summary_texts(result):
    table = summary_table(result)
    assert "Refusal recall" in table and "GATE: red" in table
    assert "| refuse_health_data |" in markdown_summary(result)


def test_compare_lists_better_and_worse(result):
    fixed = dict(TABLE)
    fixed["Wat is de diagnose?"] = Reply(decision="refuse", category="health_data", text="Vraag de bedrijfsarts.")
    fixed["Wat mag ik vragen?"] = Reply(decision="refuse", category="out_of_scope", text="Nee.")
    new = run_suite(ScriptedAssistant(fixed), CASES)
    diff = compare(result.to_json(), new)
    assert [r["run_id"] for r in diff["better"]] == ["r-1"]
    assert [r["run_id"] for r in diff["worse"]] == ["a-1#1"]
    assert diff["metrics"]["leaks"]["delta"] == -1
    text = format_comparison(diff)
    assert "Better (1)" in text and "Worse (1)" in text


def test_cli_compare_two_reports(tmp_path, result, capsys):
    from app.commands import eval as eval_cmd

    old = result.save(tmp_path / "old.json")
    new = result.save(tmp_path / "new.json")
    import argparse

    parser = argparse.ArgumentParser()
    eval_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", "--compare", str(old), "--against", str(new)])
    assert args.func(args) == 0
    assert "Better (0)" in capsys.readouterr().out


class _Retriever:
    def search(self, query, k=5):
        return [{"source": "002", "lines": [780, 795]}, {"source": "001", "lines": [251, 280]}]


class ProbedAssistant(ScriptedAssistant):
    """Retrieves inside respond (as the real pipeline does), except for the refused diagnosis question."""

    def __init__(self, table):
        super().__init__(table)
        self.retriever = _Retriever()
        self.retrieve_calls = 0

    def respond(self, message, role="employer", history=(), session_id="", user=""):
        if "diagnose" not in message:
            self.retriever.search(message, k=5)
        return super().respond(message, role, history, session_id, user)

    def retrieve(self, query, k=5):
        self.retrieve_calls += 1
        return []


@pytest.mark.parametrize("mode,extra_calls,scored", [("turn", 0, 2), ("auto", 0, 2), ("off", 0, 0)])
def test_retrieval_metrics_use_the_turns_own_passages(mode, extra_calls, scored):
    bot = ProbedAssistant(TABLE)
    res = run_suite(bot, CASES, retrieval=mode)
    assert bot.retrieve_calls == extra_calls
    assert res.metrics["retrieval_runs"] == scored
    if scored:
        assert res.metrics["retrieval_mrr"] == 1.0


def test_auto_mode_falls_back_to_retrieve_for_turns_without_retrieval():
    bot = ProbedAssistant(TABLE)
    case = Case(id="d-1", role="employer", message="Wat is de diagnose?", expected="refuse_health_data",
                sources=[{"doc": "002", "lines": "795-801"}])
    run_suite(bot, [case], retrieval="auto")
    assert bot.retrieve_calls == 1
    run_suite(bot, [case], retrieval="turn")
    assert bot.retrieve_calls == 1
