"""Run the project's PII detector on the independent generated benchmark.

Run: ``python -m evals.pii.bench_independent [--split dev|test|all] [--data PATH] [--report MD]
[--json PATH]`` (by default writes ``evals/pii/INDEPENDENT_REPORT.md`` and
``evals/pii/independent_report.json``).

The sentences come from ``evals/pii/independent.py``, built from phonenumbers' metadata, the IBAN
and BSN check rules, deduce's name files and invented brands, not from the detector's patterns.
Per entity (PHONE_NUMBER, IBAN_CODE, NL_BSN, EMAIL_ADDRESS, PERSON, ORGANIZATION):

- **masked recall**: a gold span counts as found when a predicted span overlaps it. For the
  identifiers (phone, IBAN, BSN, e-mail) any predicted type counts, since what matters is that no
  raw value is stored; for names the prediction must be an identifying type (not DATE_TIME or
  HEALTH_DATA);
- **same-type recall**: the overlapping prediction has the gold span's entity type;
- **precision**: predicted spans of the entity that overlap a gold span of any entity, over all
  predicted spans of the entity; predictions on the negative sentences are false positives;
- **leaks**: after ``redact(text).text``, the raw value survives: for numbers, the value's digits
  with separators removed (values of at least 7 digits), or any 7 consecutive of them, still occur
  in one number of the redacted text; for e-mail the address (case-insensitive); for IBAN the
  compact IBAN (case-insensitive, spaces and dots removed) or 7 consecutive digits of the account
  number.

Negative sentences measure precision: any prediction on them other than DATE_TIME or HEALTH_DATA
is a false positive. Figures are given for dev and test separately; examples of misses, leaks and
false positives are listed for the dev split only (test: counts only, so that nobody tunes on it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from evals.pii.independent import DATA, FORMAT_FACETS, is_negative

HERE = Path(__file__).parent
REPORT_MD = HERE / "INDEPENDENT_REPORT.md"
REPORT_JSON = HERE / "independent_report.json"
IDENTIFIERS = ("PHONE_NUMBER", "IBAN_CODE", "NL_BSN", "EMAIL_ADDRESS")
ENTITIES = IDENTIFIERS + ("PERSON", "ORGANIZATION")
NOT_IDENTIFYING = frozenset({"DATE_TIME", "HEALTH_DATA"})
MIN_LEAK_DIGITS = 7
MD_EXAMPLES_PER_GROUP = 5
MD_FALSE_POSITIVES = 40

Pred = Tuple[str, int, int]
NUMBER_RE = re.compile(r"\d(?:[\d \t.\-/()+]*\d)?")


# ---------------------------------------------------------------- leak checks


def _numbers(text: str) -> List[str]:
    """The digit strings of the numbers in ``text`` (separators inside a number removed)."""
    return [re.sub(r"\D", "", m.group()) for m in NUMBER_RE.finditer(text)]


def digits_leaked(digits: str, redacted: str) -> bool:
    """True when ``digits``, or any ``MIN_LEAK_DIGITS`` consecutive of them, occur in one number."""
    windows = {digits[i:i + MIN_LEAK_DIGITS] for i in range(len(digits) - MIN_LEAK_DIGITS + 1)}
    return any(w in number for number in _numbers(redacted) for w in windows)


def leaked(entity: str, value: str, redacted: str) -> Optional[bool]:
    """Whether the raw ``value`` of an identifier survives redaction; None when not checkable."""
    if entity == "EMAIL_ADDRESS":
        return value.lower() in redacted.lower()
    if entity == "IBAN_CODE":
        compact = re.sub(r"[\s.]", "", value).lower()
        return compact in re.sub(r"[\s.]", "", redacted).lower() or digits_leaked(compact[-10:], redacted)
    if entity in ("PHONE_NUMBER", "NL_BSN"):
        digits = re.sub(r"\D", "", value)
        return digits_leaked(digits, redacted) if len(digits) >= MIN_LEAK_DIGITS else None
    return None


# ---------------------------------------------------------------- scoring


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score_item(item: dict, preds: List[Pred], redacted: str,
               stored: Optional[str] = None) -> Tuple[List[dict], List[dict]]:
    """Gold-span outcomes and predicted-span outcomes (benchmarked entities, or any on negatives).

    ``stored`` is the text as the audit log stores it (``redact_for_storage``: redaction plus the
    last-line scrubber); its leaks are counted apart from those of ``redacted``."""
    golds: List[dict] = []
    for span in item["spans"]:
        hits = [p for p in preds if _overlaps(p[1], p[2], span["start"], span["end"])]
        masking = hits if span["entity"] in IDENTIFIERS else [p for p in hits if p[0] not in NOT_IDENTIFYING]
        golds.append({
            "id": item["id"], "split": item["split"], "entity": span["entity"], "format": span["format"],
            "value": span["value"], "text": item["text"],
            "masked": bool(masking), "same_type": any(p[0] == span["entity"] for p in hits),
            "leak": leaked(span["entity"], span["value"], redacted),
            "stored_leak": leaked(span["entity"], span["value"], stored) if stored is not None else None,
            "predicted": [[p[0], item["text"][p[1]:p[2]]] for p in hits],
        })
    negative = is_negative(item)
    predicted = []
    for entity, start, end in preds:
        if entity in ENTITIES or (negative and entity not in NOT_IDENTIFYING):
            tp = any(_overlaps(start, end, s["start"], s["end"]) for s in item["spans"])
            predicted.append({"id": item["id"], "split": item["split"], "entity": entity, "tp": tp,
                              "negative": negative, "value": item["text"][start:end], "text": item["text"]})
    return golds, predicted


def run(items: List[dict]) -> Tuple[List[dict], List[dict], List[dict], float]:
    """Analyze and redact every item.

    Returns gold outcomes, prediction outcomes, the items whose redaction failed (``redact`` then
    fails closed and hides the whole text; its log output is silenced here, the failures are
    counted in the report) and the seconds taken.
    """
    from guardrails.pii import analyze, redact, redact_for_storage

    logging.getLogger("guardrails").setLevel(logging.CRITICAL)
    analyze("Warm-up: bel Jan de Vries op 06 12345678.")
    started = time.perf_counter()
    golds: List[dict] = []
    predicted: List[dict] = []
    failed: List[dict] = []
    for item in items:
        preds = [(r.entity_type, r.start, r.end) for r in analyze(item["text"])]
        redaction = redact(item["text"])
        if redaction.failed:
            failed.append(item)
        g, p = score_item(item, preds, redaction.text, redact_for_storage(item["text"]).text)
        golds += g
        predicted += p
    return golds, predicted, failed, time.perf_counter() - started


def detector_version() -> str:
    """Commit of the repository holding ``guardrails.pii``, and whether ``guardrails/`` has local changes."""
    import guardrails.pii

    root = Path(guardrails.pii.__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--", "guardrails"))
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}" + (" with uncommitted changes in guardrails/" if dirty else "")


def _rate(num: int, den: int) -> Optional[float]:
    return round(num / den, 4) if den else None


def _summary(golds: List[dict], predicted: List[dict], entity: str) -> dict:
    """Recall, precision and leak figures for one entity over the given outcomes."""
    g = [x for x in golds if x["entity"] == entity]
    p = [x for x in predicted if x["entity"] == entity]
    checkable = [x for x in g if x["leak"] is not None]
    tp = sum(x["tp"] for x in p)
    return {
        "n": len(g), "masked": sum(x["masked"] for x in g), "same_type": sum(x["same_type"] for x in g),
        "masked_recall": _rate(sum(x["masked"] for x in g), len(g)),
        "same_type_recall": _rate(sum(x["same_type"] for x in g), len(g)),
        "predicted": len(p), "tp": tp, "fp": len(p) - tp, "fp_on_negatives": sum(x["negative"] for x in p),
        "precision": _rate(tp, len(p)),
        "leak_checked": len(checkable), "leaks": sum(bool(x["leak"]) for x in checkable),
        "leak_rate": _rate(sum(bool(x["leak"]) for x in checkable), len(checkable)),
        "stored_leaks": sum(bool(x.get("stored_leak")) for x in checkable),
    }


def _facets(golds: List[dict], splits: Iterable[str]) -> dict:
    """Masked recall, same-type recall and leaks per entity, facet and facet value, per split."""
    def empty() -> dict:
        return {s: {"n": 0, "masked": 0, "same_type": 0, "leaks": 0} for s in splits}

    out: Dict[str, dict] = {}
    for entity in ENTITIES:
        names = FORMAT_FACETS[entity]
        table: Dict[str, dict] = {name: defaultdict(empty) for name in names}
        for x in golds:
            if x["entity"] != entity:
                continue
            for name, value in zip(names, x["format"].split("/")):
                cell = table[name][value][x["split"]]
                cell["n"] += 1
                cell["masked"] += x["masked"]
                cell["same_type"] += x["same_type"]
                cell["leaks"] += bool(x["leak"])
        out[entity] = {name: dict(sorted(table[name].items())) for name in names}
    return out


def _negatives(items: List[dict], predicted: List[dict], split: str) -> dict:
    """How many negative sentences got a prediction, and of which entity types."""
    sentences = [i for i in items if is_negative(i) and i["split"] == split]
    fps = [p for p in predicted if p["negative"] and p["split"] == split]
    by_entity: Dict[str, int] = defaultdict(int)
    for p in fps:
        by_entity[p["entity"]] += 1
    return {"sentences": len(sentences), "with_fp": len({p["id"] for p in fps}),
            "fp_by_entity": dict(sorted(by_entity.items()))}


def _strip(rows: List[dict], keys: Tuple[str, ...]) -> List[dict]:
    return [{k: r[k] for k in keys} for r in rows]


def _group(rows: List[dict], key: str) -> Dict[str, List[dict]]:
    groups: Dict[str, List[dict]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return dict(sorted(groups.items()))


def _count(rows: List[dict], split: str, entity: str) -> int:
    return sum(1 for r in rows if r["split"] == split and r["entity"] == entity)


def build_report(items: List[dict], golds: List[dict], predicted: List[dict], failed: List[dict],
                 seconds: float) -> dict:
    """All figures; examples for the dev split only."""
    splits = [s for s in ("dev", "test") if any(i["split"] == s for i in items)]
    misses = [g for g in golds if not g["masked"]]
    leaks = [g for g in golds if g["masked"] and g["leak"]]
    false_pos = [p for p in predicted if not p["tp"]]
    gold_keys = ("id", "entity", "format", "value", "predicted", "text")

    def templates(split: str, negative: bool) -> int:
        return len({i["template"] for i in items if i["split"] == split and is_negative(i) == negative})

    return {
        "detector": detector_version(), "items": len(items), "seconds": round(seconds, 1), "splits": splits,
        "templates": {s: {"positive": templates(s, False), "negative": templates(s, True)} for s in splits},
        "summary": {s: {e: _summary([g for g in golds if g["split"] == s],
                                    [p for p in predicted if p["split"] == s], e) for e in ENTITIES}
                    for s in splits},
        "negatives": {s: _negatives(items, predicted, s) for s in splits},
        "redaction_failures": {s: sum(1 for i in failed if i["split"] == s) for s in splits},
        "dev_redaction_failures": [i["text"] for i in failed if i["split"] == "dev"],
        "facets": _facets(golds, splits),
        "dev_misses": _strip([g for g in misses if g["split"] == "dev"], gold_keys),
        "dev_leaks": _strip([g for g in leaks if g["split"] == "dev"], gold_keys),
        "dev_false_positives": _strip([p for p in false_pos if p["split"] == "dev"],
                                      ("id", "entity", "negative", "value", "text")),
        "test_counts": {e: {"misses": _count(misses, "test", e), "leaks": _count(leaks, "test", e),
                            "false_positives": _count(false_pos, "test", e)}
                        for e in ENTITIES} if "test" in splits else {},
    }


# ---------------------------------------------------------------- output


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _cell(c: dict) -> str:
    if not c["n"]:
        return "–"
    return f"{_pct(c['masked'] / c['n'])} ({c['n']})" + (f", {c['leaks']} leak" if c["leaks"] else "")


def _one_line(text: str) -> str:
    return text.replace("\n", " ⏎ ").replace("|", "\\|")


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table; columns after the first are right-aligned."""
    return (["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def render_markdown(report: dict) -> str:
    """The report as Markdown."""
    splits = report["splits"]
    templates = ", ".join(f"{s} {n['positive']} positive + {n['negative']} negative"
                          for s, n in report["templates"].items())
    lines = ["# Independent PII benchmark", "",
             "Generated by `python -m evals.pii.independent`, scored by "
             "`python -m evals.pii.bench_independent`. Method and metric definitions: docstrings of "
             "`evals/pii/independent.py` and `evals/pii/bench_independent.py`.", "",
             f"Detector: `guardrails.pii` at {report['detector']}. {report['items']} sentences; templates "
             f"per split: {templates}; detector time {report['seconds']} s (analyze + redact).", "",
             "## Per entity", ""]
    rows = []
    for entity in ENTITIES:
        for s in splits:
            m = report["summary"][s][entity]
            rows.append([entity, s, str(m["n"]), _pct(m["masked_recall"]), _pct(m["same_type_recall"]),
                         f"{_pct(m['precision'])} ({m['fp']}; {m['fp_on_negatives']})",
                         f"{m['leaks']}/{m['leak_checked']}", f"{m['stored_leaks']}/{m['leak_checked']}"])
    lines += _table(["entity", "split", "gold", "masked recall %", "same-type recall %",
                     "precision % (fp; on negatives)", "leaks after redact()", "leaks as stored"], rows)
    lines += ["", "## Negative sentences", ""]
    lines += _table(["split", "sentences", "with a false positive", "false positives by type"],
                    [[s, str(n["sentences"]), str(n["with_fp"]),
                      ", ".join(f"{k} {v}" for k, v in n["fp_by_entity"].items()) or "–"]
                     for s, n in report["negatives"].items()])
    failures = ", ".join(f"{s} {n}" for s, n in report["redaction_failures"].items())
    lines += ["", "## Redaction failures", "",
              "Sentences on which `redact()` failed (it then fails closed: the whole text is hidden, "
              f"so no leak is counted): {failures}.", ""]
    lines += [f"- {_one_line(t)}" for t in report["dev_redaction_failures"]]
    lines += ["", "## Masked recall per format facet", "",
              "Cells: masked recall % (gold spans), leaks if any."]
    for entity, facets in report["facets"].items():
        lines += ["", f"### {entity}"]
        for facet, values in facets.items():
            rows = [[value, *(_cell(cells[s]) for s in splits)] for value, cells in values.items()]
            lines += [""] + _table([facet, *splits], rows)
    if "dev" in splits:
        lines += ["", "## Dev misses by format", "",
                  "Gold spans of the dev split that no prediction masks "
                  f"(at most {MD_EXAMPLES_PER_GROUP} examples a format; all in the JSON)."]
        lines += _examples(report["dev_misses"])
        lines += ["", "## Dev leaks by format", "",
                  "Masked (some prediction overlaps) but the raw value survives redaction."]
        lines += _examples(report["dev_leaks"])
        fps = report["dev_false_positives"]
        lines += ["", "## Dev false positives", "",
                  f"{len(fps)} predicted spans of a benchmarked entity (or of any type on a negative "
                  f"sentence) that overlap no gold span; the first {MD_FALSE_POSITIVES}:", ""]
        lines += [f"- {p['entity']} `{_one_line(p['value'])}`{' (negative)' if p['negative'] else ''}: "
                  f"{_one_line(p['text'])}" for p in fps[:MD_FALSE_POSITIVES]]
    if report["test_counts"]:
        lines += ["", "## Test split: counts only", ""]
        lines += _table(["entity", "misses", "leaks", "false positives"],
                        [[e, str(c["misses"]), str(c["leaks"]), str(c["false_positives"])]
                         for e, c in report["test_counts"].items()])
    return "\n".join(lines) + "\n"


def _examples(rows: List[dict]) -> List[str]:
    """Markdown list of rows grouped by entity and format."""
    lines: List[str] = []
    for entity, by_entity in _group(rows, "entity").items():
        lines += ["", f"### {entity} ({len(by_entity)})", ""]
        for fmt, group in _group(by_entity, "format").items():
            shown = "; ".join(f"`{_one_line(g['value'])}`"
                              + (f" → {g['predicted']}" if g["predicted"] else "")
                              + f" in “{_one_line(g['text'])}”" for g in group[:MD_EXAMPLES_PER_GROUP])
            lines.append(f"- `{fmt}` ({len(group)}): {shown}")
    if not rows:
        lines += ["", "None."]
    return lines


def print_table(report: dict) -> None:
    """Compact per-entity table on stdout."""
    splits = report["splits"]
    head = f"{'entity':<14}" + "".join(f" | {s + ' mask/same/prec/leak':>32}" for s in splits)
    print(head)
    print("-" * len(head))
    for entity in ENTITIES:
        row = f"{entity:<14}"
        for s in splits:
            m = report["summary"][s][entity]
            row += (f" | {_pct(m['masked_recall']):>6} {_pct(m['same_type_recall']):>6}"
                    f" {_pct(m['precision']):>6} {m['leaks']:>4}/{m['leak_checked']:<4}")
        print(row)
    for s in splits:
        n = report["negatives"][s]
        print(f"{s}: negatives with a false positive {n['with_fp']}/{n['sentences']} {n['fp_by_entity']}; "
              f"redaction failures {report['redaction_failures'][s]}")


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--report", type=Path, default=REPORT_MD, help="Markdown report path")
    parser.add_argument("--json", type=Path, default=REPORT_JSON, help="JSON report path")
    args = parser.parse_args(argv)
    with args.data.open(encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    if args.split != "all":
        items = [i for i in items if i["split"] == args.split]
    golds, predicted, failed, seconds = run(items)
    report = build_report(items, golds, predicted, failed, seconds)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    args.report.write_text(render_markdown(report), encoding="utf-8")
    print_table(report)
    print(f"report: {args.report} and {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
