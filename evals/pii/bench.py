"""Per-entity precision/recall of Dutch PII detection, and redaction latency.

Run: ``python -m evals.pii.bench [--data evals/pii/pii_nl.jsonl] [--report evals/pii/REPORT.md]``

Systems compared on the same sentences:

- ``project``: ``guardrails.pii.analyze`` (this project's analyzer);
- ``presidio-nl``: Presidio's generic built-in recognizers (credit card, crypto, date, e-mail,
  IBAN, IP, MAC, phone with default regions, URL, UUID) set to language "nl", on the same
  tokenizer-only spaCy engine (no Dutch NER model exists offline), default threshold;
- ``deduce``: deduce alone with all its annotators, tags mapped as in ``DeduceRecognizer``.

Matching: a predicted span is a true positive when it overlaps a not yet matched gold span of
the same entity ("overlap" figures); "exact" figures require identical offsets. Coverage is the
share of gold characters hidden by any predicted span, whatever its label (what matters for
redaction). Latency is ``redact()`` wall time per message after warm-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Tuple

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
DATA = HERE / "pii_nl.jsonl"
REPORT = HERE / "REPORT.md"
GOLD_ENTITIES = ["PERSON", "LOCATION", "ADDRESS", "ORGANIZATION", "NL_BSN", "PHONE_NUMBER", "NL_POSTCODE",
                 "DATE_TIME", "IBAN_CODE", "EMAIL_ADDRESS"]
TARGET_RECALL, TARGET_PRECISION = 0.95, 0.90

Span = Tuple[str, int, int]


def load(path: Path) -> List[dict]:
    """Read the jsonl test set."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------- systems


def system_project() -> Callable[[str], List[Span]]:
    """This project's analyzer (without HEALTH_DATA, which has no gold labels here)."""
    from guardrails.pii import PII_ENTITIES, analyze

    return lambda text: [(r.entity_type, r.start, r.end) for r in analyze(text, PII_ENTITIES)]


def system_presidio_builtin() -> Callable[[str], List[Span]]:
    """Presidio's generic built-in recognizers set to "nl"."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        CryptoRecognizer,
        DateRecognizer,
        IbanRecognizer,
        IpRecognizer,
        MacAddressRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
    )

    from guardrails.nlp_engine import BlankSpacyNlpEngine
    from guardrails.pii import resolve_overlaps
    from guardrails.recognizers.email_recognizer import OfflineEmailRecognizer

    lang = "nl"
    registry = RecognizerRegistry(supported_languages=[lang])
    for cls in (CreditCardRecognizer, CryptoRecognizer, DateRecognizer, IbanRecognizer, IpRecognizer,
                MacAddressRecognizer, PhoneRecognizer, UrlRecognizer, SpacyRecognizer):
        registry.add_recognizer(cls(supported_language=lang))
    # Presidio's EmailRecognizer validates domains with tldextract, which downloads the public
    # suffix list on first use; the offline subclass differs only in that (and Dutch context words).
    registry.add_recognizer(OfflineEmailRecognizer(supported_language=lang))
    try:
        from presidio_analyzer.predefined_recognizers import UuidRecognizer

        registry.add_recognizer(UuidRecognizer(supported_language=lang))
    except ImportError:
        pass
    engine = BlankSpacyNlpEngine([lang])
    engine.load()
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[lang])
    return lambda text: [
        (r.entity_type, r.start, r.end) for r in resolve_overlaps(analyzer.analyze(text=text, language=lang))
    ]


def system_deduce() -> Callable[[str], List[Span]]:
    """deduce alone (all annotators), tags mapped to Presidio entities."""
    from guardrails.pii import resolve_overlaps
    from guardrails.recognizers.deduce_recognizer import DeduceRecognizer

    rec = DeduceRecognizer(full=True, recase=False)
    return lambda text: [
        (r.entity_type, r.start, r.end) for r in resolve_overlaps(rec.analyze(text, rec.supported_entities))
    ]


SYSTEMS = {"project": system_project, "presidio-nl": system_presidio_builtin, "deduce": system_deduce}


# ---------------------------------------------------------------- metrics


def score(records: List[dict], predict: Callable[[str], List[Span]]) -> dict:
    """Per-entity counts (overlap and exact), coverage, and the errors for inspection."""
    tp = defaultdict(int)
    tp_exact = defaultdict(int)
    n_pred = defaultdict(int)
    n_gold = defaultdict(int)
    gold_hit = defaultdict(int)
    covered = total_chars = 0
    errors = []
    for rec in records:
        text = rec["text"]
        gold = [(s["entity"], s["start"], s["end"]) for s in rec["spans"]]
        pred = predict(text)
        used = set()
        for g in gold:
            n_gold[g[0]] += 1
        for p in pred:
            n_pred[p[0]] += 1
            match = next(
                (i for i, g in enumerate(gold)
                 if i not in used and g[0] == p[0] and p[1] < g[2] and g[1] < p[2]),
                None,
            )
            if match is None:
                errors.append({"id": rec["id"], "kind": "FP", "entity": p[0], "value": text[p[1] : p[2]]})
                continue
            used.add(match)
            tp[p[0]] += 1
            gold_hit[p[0]] += 1
            if (gold[match][1], gold[match][2]) == (p[1], p[2]):
                tp_exact[p[0]] += 1
        for i, g in enumerate(gold):
            if i not in used:
                errors.append({"id": rec["id"], "kind": "FN", "entity": g[0], "value": text[g[1] : g[2]],
                               "predicted": [(p[0], text[p[1] : p[2]])
                                             for p in pred if p[1] < g[2] and g[1] < p[2]]})
            mask = [False] * (g[2] - g[1])
            for p in pred:
                for c in range(max(p[1], g[1]), min(p[2], g[2])):
                    mask[c - g[1]] = True
            covered += sum(mask)
            total_chars += g[2] - g[1]
    rows = {}
    for ent in sorted(set(n_gold) | set(n_pred), key=lambda e: (e not in GOLD_ENTITIES, e)):
        rows[ent] = {
            "gold": n_gold[ent],
            "pred": n_pred[ent],
            "precision": tp[ent] / n_pred[ent] if n_pred[ent] else None,
            "recall": gold_hit[ent] / n_gold[ent] if n_gold[ent] else None,
            "precision_exact": tp_exact[ent] / n_pred[ent] if n_pred[ent] else None,
            "recall_exact": tp_exact[ent] / n_gold[ent] if n_gold[ent] else None,
        }
    all_tp = sum(tp[e] for e in GOLD_ENTITIES)
    all_pred = sum(n_pred.values())
    all_gold = sum(n_gold.values())
    micro = {"precision": all_tp / all_pred if all_pred else None,
             "recall": all_tp / all_gold if all_gold else None}
    return {"rows": rows, "micro": micro, "coverage": covered / total_chars if total_chars else None,
            "errors": errors}


def latency(records: List[dict], repeats: int = 3) -> dict:
    """p50/p95 of ``redact()`` per message after warm-up (ms), and ms per 100 whitespace tokens."""
    from guardrails.pii import redact

    texts = [r["text"] for r in records]
    for t in texts[:20]:
        redact(t)
    times, per100 = [], []
    for _ in range(repeats):
        for t in texts:
            t0 = time.perf_counter()
            redact(t)
            dt = (time.perf_counter() - t0) * 1000
            times.append(dt)
            per100.append(dt * 100 / max(1, len(t.split())))
    times.sort()
    q = statistics.quantiles(times, n=100)
    # 3-sentence messages: three consecutive test sentences joined
    texts3 = [" ".join(texts[i : i + 3]) for i in range(0, len(texts) - 2, 3)]
    times3 = []
    for _ in range(repeats):
        for t in texts3:
            t0 = time.perf_counter()
            redact(t)
            times3.append((time.perf_counter() - t0) * 1000)
    q3 = statistics.quantiles(times3, n=100)
    long_text = " ".join(texts) * 2
    t0 = time.perf_counter()
    redact(long_text)
    long_ms = (time.perf_counter() - t0) * 1000
    return {"n": len(times), "p50": q[49], "p95": q[94], "max": times[-1], "mean": statistics.mean(times),
            "ms_per_100_tokens_p50": statistics.median(per100),
            "long_chars": len(long_text), "long_ms": long_ms,
            "words_mean": statistics.mean(len(t.split()) for t in texts),
            "n3": len(times3), "p50_3": q3[49], "p95_3": q3[94],
            "words_mean_3": statistics.mean(len(t.split()) for t in texts3)}


# ---------------------------------------------------------------- report


def _f(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def table(result: dict) -> str:
    """Markdown table for one system."""
    lines = ["| entity | gold | pred | precision | recall | precision (exact) | recall (exact) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for ent, r in result["rows"].items():
        lines.append(f"| {ent} | {r['gold']} | {r['pred']} | {_f(r['precision'])} | {_f(r['recall'])} | "
                     f"{_f(r['precision_exact'])} | {_f(r['recall_exact'])} |")
    m = result["micro"]
    lines.append(f"| **micro (all)** | | | {_f(m['precision'])} | {_f(m['recall'])} | | |")
    lines.append("")
    lines.append(f"Character coverage of gold spans by any predicted span: {_f(result['coverage'])}")
    return "\n".join(lines)


def summary_table(results: Dict[str, dict]) -> str:
    """One row per entity, P/R for each system side by side."""
    names = list(results)
    head = "| entity | " + " | ".join(f"{n} P | {n} R" for n in names) + " |"
    sep = "| --- | " + " | ".join("---: | ---:" for _ in names) + " |"
    lines = [head, sep]
    for ent in GOLD_ENTITIES:
        cells = []
        for n in names:
            r = results[n]["rows"].get(ent)
            cells.append(f"{_f(r['precision']) if r else '-'} | {_f(r['recall']) if r else '0.00'}")
        lines.append(f"| {ent} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_met(result: dict) -> List[str]:
    """Entities below target (recall >= 0.95, precision >= 0.90), with exact figures."""
    misses = []
    for ent in GOLD_ENTITIES:
        r = result["rows"].get(ent)
        if not r or (r["recall"] or 0) < TARGET_RECALL or (r["precision"] or 0) < TARGET_PRECISION:
            p = "-" if not r or r["precision"] is None else f"{r['precision']:.3f}"
            rec = "0" if not r or r["recall"] is None else f"{r['recall']:.3f}"
            misses.append(f"{ent} (P {p}, R {rec})")
    return misses


def main(argv: List[str] | None = None) -> int:
    """Run the benchmark, print the tables, write REPORT.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--report", type=Path, default=REPORT)
    ap.add_argument("--systems", nargs="*", default=list(SYSTEMS))
    ap.add_argument("--errors", action="store_true", help="print false positives/negatives of the project")
    ap.add_argument("--no-latency", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    records = load(args.data)
    splits = defaultdict(list)
    for r in records:
        splits[r["split"]].append(r)
    results: Dict[str, dict] = {}
    per_split: Dict[str, dict] = {}
    for name in args.systems:
        predict = SYSTEMS[name]()
        results[name] = score(records, predict)
        if name == "project":
            for split in [s for s in ("dev", "heldout", "hard", "blind") if s in splits]:
                per_split[split] = score(splits[split] + splits["negative"], predict)
    lat = None if args.no_latency else latency(records)

    out = []
    out.append("# Dutch PII detection: measured quality and latency\n")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out.append(f"Generated by `python -m evals.pii.bench` on {stamp}.\n")
    out.append("## Data\n")
    n_spans = sum(len(r["spans"]) for r in records)
    parts = ", ".join(
        f"{len(splits[k])} {k}"
        + (f" (from {len({r['template'] for r in splits[k]})} templates)" if k != "negative" else "")
        for k in ("dev", "heldout", "hard", "blind", "negative") if splits.get(k)
    )
    out.append(
        f"`{args.data.name}`: {len(records)} Dutch sentences ({parts}; negative = no PII), "
        f"{n_spans} gold spans. "
        "Generated by `python -m evals.pii.generate` (seed 20240303) with Faker `nl_NL` names, streets, "
        "postcodes, "
        "places and example-domain e-mail addresses, plus own generators for BSNs (elfproef), NL IBANs "
        "(valid check digits, random account numbers), Dutch phone numbers (valid per phonenumbers) "
        "and organisation names built from surnames or made-up brand words. All values are fictitious. "
        "The sentences are sick-leave messages written from templates by the same author as the recognizers: "
        "`dev` templates were used for tuning; `heldout` templates were written up front and not tuned on; "
        "`hard` templates (lower-case names, first names only, other street shapes, brand names without "
        "legal "
        "form, other notations) were written after a first tuning round and measured blind once, after which "
        "some general fixes followed (see notes below); `blind` templates were written after all tuning "
        "and their results were not used to change anything. Template data is cleaner and more regular "
        "than real "
        "messages, so real-world figures will be lower, especially for PERSON, LOCATION and ORGANIZATION.\n")
    out.append(f"Targets: recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION} per entity "
               "(overlap matching).\n")
    out.append("## Summary (overlap matching, all sentences)\n")
    out.append(summary_table(results) + "\n")
    if "project" in results:
        misses = targets_met(results["project"])
        out.append(f"Project entities below target: {', '.join(misses) if misses else 'none'}.\n")
    for name, res in results.items():
        out.append(f"## {name}\n")
        out.append(table(res) + "\n")
    for split, res in per_split.items():
        out.append(f"## project, {split} templates only (+ negatives)\n")
        out.append(table(res) + "\n")
    if lat:
        out.append("## Latency of `redact()`\n")
        out.append(
            f"{lat['n']} calls ({len(records)} messages x 3, mean {lat['words_mean']:.0f} words) "
            "after warm-up, "
            f"one process, 2 shared CPU cores: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
            f"max {lat['max']:.1f} ms, mean {lat['mean']:.1f} ms. "
            f"Three sentences per message ({lat['n3']} calls, "
            f"mean {lat['words_mean_3']:.0f} words): p50 {lat['p50_3']:.1f} ms, p95 {lat['p95_3']:.1f} ms. "
            f"{lat['ms_per_100_tokens_p50']:.1f} ms per 100 "
            "tokens (p50; Presidio's guide calls > 100 ms per 100 tokens too slow). "
            f"A {lat['long_chars']}-character text (chunked) took {lat['long_ms']:.0f} ms. "
            "First call also loads deduce's lookup tables (seconds).\n")
    if "project" in results:
        errs = results["project"]["errors"]
        out.append(f"## Remaining project errors ({len(errs)})\n")
        for e in errs[:60]:
            out.append(f"- {e['id']} {e['kind']} {e['entity']}: `{e['value']}`"
                       + (f" (predicted {e['predicted']})" if e.get("predicted") else ""))
        out.append("")
    notes = HERE / "report_notes.md"
    if notes.exists():
        out.append(notes.read_text(encoding="utf-8"))
    report = "\n".join(out)
    args.report.write_text(report, encoding="utf-8")
    sys.stdout.write(summary_table(results) + "\n")
    if lat:
        sys.stdout.write(f"\nredact latency p50 {lat['p50']:.1f} ms p95 {lat['p95']:.1f} ms; "
                         f"3-sentence messages p50 {lat['p50_3']:.1f} ms p95 {lat['p95_3']:.1f} ms\n")
    if args.errors and "project" in results:
        for e in results["project"]["errors"]:
            sys.stdout.write(json.dumps(e, ensure_ascii=False) + "\n")
    sys.stdout.write(f"report written to {args.report}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
