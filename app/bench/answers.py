"""Answer-card benchmark: how often a direct answer is given, and how often it is the right one.

Run: ``python -m app.bench.answers`` (part of ``make bench``; writes ``evals/reports/answers.txt``
and ``.json``).

- The card threshold is chosen on the **dev fold** (train split) with an index that leaves the dev
  fold out: the lowest threshold whose precision is at least ``--precision`` (default 0.7).
- It is then **measured** on the held-out card variants and held-out corpus questions with the
  shipped index. A direct answer is right when its card's source overlaps the lines the question
  points to (for a card variant: its own card's lines).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from app.bench import REPORTS
from app.settings import load_settings


def _overlaps(card, ranges) -> bool:
    return any(s.doc == d and s.start <= b and s.end >= a for s in card.sources for d, a, b in ranges)


def items(split: str) -> list[dict]:
    """Questions of ``split`` ("dev" or "test"): card variants and corpus questions."""
    from knowledge.answers import load_cards
    from knowledge.questions import fold_of, load_questions

    out = []
    for c in load_cards():
        vs = c.test_questions() if split == "test" else [v for v in c.train_questions() if fold_of(v) == "dev"]
        out += [{"q": v, "role": c.roles[0], "ranges": c.ranges, "kind": "card variant"} for v in vs]
    qs = load_questions(split="test") if split == "test" else [
        q for q in load_questions(split="train") if fold_of(q.text) == "dev"]
    out += [{"q": q.text, "role": "casemanager", "ranges": q.ranges, "kind": "corpus question"} for q in qs]
    return out


def scored(matcher, retriever, qs: list[dict]) -> list[tuple[float, bool, str]]:
    """(score of the card that would answer, is it right, kind) per question; score -1 when none."""
    out = []
    for q in qs:
        passages = retriever.search(q["q"], k=5)
        m = matcher.match(q["q"], q["role"], passages, threshold=-99.0)
        out.append((m.score if m else -1.0, bool(m and _overlaps(m.card, q["ranges"])), q["kind"]))
    return out


def at(rows, threshold: float, kind: str | None = None) -> dict:
    rows = [r for r in rows if kind is None or r[2] == kind]
    fired = [r for r in rows if r[0] >= threshold]
    right = sum(1 for r in fired if r[1])
    return {"n": len(rows), "direct": round(len(fired) / (len(rows) or 1), 3),
            "precision": round(right / (len(fired) or 1), 3), "right": round(right / (len(rows) or 1), 3)}


def choose(rows, precision: float) -> float:
    for t in [x / 20 for x in range(0, 60)]:
        if at(rows, t)["precision"] >= precision and at(rows, t)["direct"] > 0:
            return t
    return 3.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", type=float, default=0.7)
    args = parser.parse_args(argv)

    from knowledge.card_match import CardMatcher
    from knowledge.index import KnowledgeIndex
    from knowledge.questions import fold_of
    from knowledge.retrieval import HybridRetriever

    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_settings(data_dir=Path(tmp) / "dev")
        dev_index = KnowledgeIndex.build(ds, question_filter=lambda t: fold_of(t) != "dev")
        dev_rows = scored(CardMatcher(dev_index), HybridRetriever(dev_index, ds), items("dev"))
        threshold = choose(dev_rows, args.precision)
        report["threshold"] = threshold
        report["shipped_threshold"] = ds.card_threshold
        report["dev (tuned)"] = {k: at(dev_rows, threshold, k) for k in ("card variant", "corpus question")}
        ts = load_settings(data_dir=Path(tmp) / "test")
        index = KnowledgeIndex.build(ts)
        test_rows = scored(CardMatcher(index), HybridRetriever(index, ts), items("test"))
        for t, label in ((threshold, "chosen"), (ts.card_threshold, "shipped")):
            report[f"held-out at {label} threshold {t:.2f}"] = {
                k: at(test_rows, t, k) for k in ("card variant", "corpus question")}
    lines = [f"answer-card threshold chosen on the dev fold (precision >= {args.precision}): {threshold:.2f} "
             f"(shipped setting card_threshold = {report['shipped_threshold']:.2f})"]
    for name, val in report.items():
        if isinstance(val, dict):
            for kind, m in val.items():
                lines.append(f"{name:<40} {kind:<16} n {m['n']:>4}  direct {m['direct']:.3f}  "
                             f"precision {m['precision']:.3f}  right {m['right']:.3f}")
    text = "\n".join(lines)
    print(text)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "answers.txt").write_text(text + "\n", encoding="utf-8")
    (REPORTS / "answers.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
