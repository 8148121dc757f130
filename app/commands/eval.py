"""``tda eval``: run the evaluation suite through ``Assistant.respond`` and write the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``eval`` verb."""
    p = subparsers.add_parser("eval", help="run the evaluation cases and write a report")
    p.add_argument("--cases", nargs="+", metavar="PATH",
                   help="case files or directories (default: evals/cases/*.yaml + trainer cases + "
                        "../shared/evals/reference_cases.yaml when present)")
    p.add_argument("--report", metavar="DIR", help="write report.html, report.json and summary.md here")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    p.add_argument("--compare", metavar="OLD.json",
                   help="list what got better and worse against an old report.json")
    p.add_argument("--against", metavar="NEW.json",
                   help="with --compare: compare two report files without running the suite")
    p.add_argument("--no-reference", action="store_true", help="leave out the shared reference cases")
    p.add_argument("--retrieval", choices=("auto", "turn", "off"), default="auto",
                   help="retrieval metrics: passages of the turn, plus a retrieve() call for turns refused "
                        "before retrieval (auto); turn passages only (turn); none (off)")
    p.add_argument("--gate", action="store_true", help="exit 1 when the gate is red")
    p.add_argument("--no-corpus", action="store_true",
                   help="leave out the test splits of the intent and question corpora (generalisation to unseen messages)")
    p.set_defaults(func=run)


def _progress_bar():
    from tqdm import tqdm

    state: dict = {}

    def progress(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc="eval", unit="case", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


def _generalisation_text(g: dict) -> str:
    from evals import intent_eval

    return intent_eval.format_metrics(
        g, "Generalisatie: testsplit van het intentiecorpus (nooit op getraind of afgestemd), via Assistant.respond")


def run(args) -> int:
    """Entry point of ``tda eval``."""
    from evals.report import format_comparison, summary_table, write_report
    from evals.runner import EvalResult, compare

    if args.compare and args.against:
        diff = compare(EvalResult.load(args.compare), EvalResult.load(args.against))
        print(json.dumps(diff, ensure_ascii=False, indent=1) if args.json else format_comparison(diff))
        return 0

    from app.settings import load_settings
    from evals.runner import load_default_cases, run_suite
    from evals.schema import check_unique, load_cases

    settings = load_settings()
    if args.cases:
        cases = [c for path in args.cases for c in load_cases(Path(path))]
        check_unique(cases)
    else:
        cases = load_default_cases(settings, include_reference=not args.no_reference)

    from app.assistant import Assistant

    assistant = Assistant.load(settings)
    result = run_suite(assistant, cases, progress=_progress_bar(), retrieval=args.retrieval)
    if args.report:
        paths = write_report(result, args.report)
        print("report: " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    generalisation = retrieval = None
    if not args.no_corpus:
        from evals import intent_eval

        generalisation = intent_eval.evaluate_responder(assistant, progress=_progress_bar())
        if args.report:
            out = Path(args.report)
            (out / "generalisation.json").write_text(json.dumps(generalisation, ensure_ascii=False, indent=1),
                                                     encoding="utf-8")
            (out / "generalisation.txt").write_text(_generalisation_text(generalisation) + "\n", encoding="utf-8")
        from evals import retrieval_eval

        retrieval = retrieval_eval.evaluate(assistant, progress=_progress_bar())
        if args.report:
            (Path(args.report) / "retrieval_generalisation.json").write_text(json.dumps(retrieval, indent=1),
                                                                             encoding="utf-8")
    if args.json:
        payload = {"metrics": result.metrics, "gate": result.gate()}
        if generalisation is not None:
            payload["corpus_test_split"] = {k: v for k, v in generalisation.items() if k != "failures"}
        if retrieval is not None:
            payload["retrieval_test_split"] = retrieval
        print(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        print("Eigen cases en referentiecases (de regels en kaarten zijn hierop afgestemd):")
        print(summary_table(result))
        if generalisation is not None:
            print()
            print(_generalisation_text(generalisation))
        if retrieval is not None:
            from evals import retrieval_eval

            print()
            print(retrieval_eval.format_metrics(
                retrieval, "Generalisatie: zoeken en antwoorden op vragen die nooit zijn gebruikt om af te stemmen"))
    if args.compare:
        diff = compare(EvalResult.load(args.compare), result)
        print()
        print(format_comparison(diff))
    return 1 if (args.gate and result.gate()) else 0
