"""Retrieval benchmark: recall@1/3/5/10 and MRR for BM25, dense and the fusion; build time; latency.

Run: ``python -m evals.bench_retrieval [--reference PATH] [--sweep] [--json OUT]``.

A hit is a returned passage of the expected document whose line range overlaps an expected range.
Questions: the answerable cases of ../shared/evals/reference_cases.yaml (split into a tuning half
and a held-out half by a stable hash of the id) and the project's own set in evals/retrieval_dev.yaml.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import app  # noqa: F401
from app.settings import PROJECT_ROOT, load_settings

REFERENCE = PROJECT_ROOT.parent / "shared" / "evals" / "reference_cases.yaml"
DEV = Path(__file__).resolve().parent / "retrieval_dev.yaml"
KS = (1, 3, 5, 10)


def _ranges(sources: list[dict]) -> list[tuple[str, int, int]]:
    out = []
    for s in sources:
        a, _, b = str(s["lines"]).partition("-")
        out.append((str(s["doc"]).zfill(3), int(a), int(b or a)))
    return out


def load_questions(reference: Path | None = REFERENCE) -> list[dict]:
    """Questions with expected ranges; each tagged with its split (tune / holdout / dev)."""
    qs = []
    if reference and Path(reference).is_file():
        for c in yaml.safe_load(Path(reference).read_text(encoding="utf-8")):
            expected = c.get("expected")
            if expected not in ("answer", "partial") or not c.get("sources"):
                continue
            split = "tune" if int(hashlib.sha1(c["id"].encode()).hexdigest(), 16) % 2 == 0 else "holdout"
            qs.append({"id": c["id"], "q": c["message"], "ranges": _ranges(c["sources"]), "split": split})
    for i, c in enumerate(yaml.safe_load(DEV.read_text(encoding="utf-8"))):
        qs.append({"id": f"dev-{i:02d}", "q": c["q"], "ranges": _ranges(c["sources"]), "split": "dev"})
    return qs


def first_hit_rank(passages, ranges) -> int | None:
    for rank, p in enumerate(passages, start=1):
        for doc, a, b in ranges:
            if p.source == doc and p.lines[0] <= b and p.lines[1] >= a:
                return rank
    return None


def evaluate(retriever, questions, mode: str) -> dict:
    ranks = []
    for q in questions:
        ranks.append(first_hit_rank(retriever.search(q["q"], k=max(KS), mode=mode), q["ranges"]))
    n = len(questions) or 1
    out = {f"recall@{k}": sum(1 for r in ranks if r and r <= k) / n for k in KS}
    out["mrr"] = sum(1 / r for r in ranks if r) / n
    out["n"] = len(questions)
    return out


def table(rows: list[tuple[str, dict]]) -> str:
    head = f"{'retriever':<28}" + "".join(f"{'R@' + str(k):>8}" for k in KS) + f"{'MRR':>8}{'n':>5}"
    lines = [head, "-" * len(head)]
    for name, m in rows:
        lines.append(f"{name:<28}" + "".join(f"{m[f'recall@{k}']:>8.2f}" for k in KS) + f"{m['mrr']:>8.2f}{m['n']:>5}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--sweep", action="store_true", help="try fusion weights (on tune+dev only)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold-start measurement of tda ask")
    args = parser.parse_args(argv)

    from knowledge.index import KnowledgeIndex
    from knowledge.retrieval import HybridRetriever

    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        t0 = time.perf_counter()
        index = KnowledgeIndex.load_or_build(settings, rebuild=True)
        report["index_build_s"] = round(time.perf_counter() - t0, 2)
        report["chunks"] = len(index.chunks)
        retriever = HybridRetriever(index, settings)
        questions = load_questions(args.reference)
        splits = {
            "all": questions,
            "reference-tune": [q for q in questions if q["split"] == "tune"],
            "reference-holdout": [q for q in questions if q["split"] == "holdout"],
            "dev (own)": [q for q in questions if q["split"] == "dev"],
        }
        rows = []
        for split, qs in splits.items():
            for mode in ("bm25", "dense", "hybrid"):
                m = evaluate(retriever, qs, mode)
                rows.append((f"{mode} / {split}", m))
                report.setdefault("retrieval", {}).setdefault(split, {})[mode] = m
        if args.sweep:
            tune = splits["reference-tune"] + splits["dev (own)"]
            best = None
            for fusion in ("rrf", "weighted"):
                for bw in (1.0,):
                    for dw in (0.0, 0.2, 0.35, 0.5, 0.75, 1.0):
                        retriever.settings = settings.model_copy(update={"fusion": fusion, "bm25_weight": bw,
                                                                          "dense_weight": dw})
                        m = evaluate(retriever, tune, "hybrid")
                        key = (m["recall@5"], m["mrr"])
                        print(f"sweep {fusion:<9} bm25={bw} dense={dw}: R@5={m['recall@5']:.2f} MRR={m['mrr']:.2f}")
                        if best is None or key > best[0]:
                            best = (key, fusion, bw, dw)
            report["sweep_best"] = {"fusion": best[1], "bm25_weight": best[2], "dense_weight": best[3]}
            retriever.settings = settings
        # warm latency of one hybrid query
        from knowledge.index import embed_query

        lat = []
        for q in questions * 3:
            embed_query.cache_clear()  # measure the uncached path: every query is embedded
            t = time.perf_counter()
            retriever.search(q["q"], k=5)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        report["query_latency_ms"] = {"p50": round(statistics.median(lat), 2),
                                      "p95": round(lat[int(0.95 * (len(lat) - 1))], 2), "n": len(lat)}
        if not args.skip_cold:
            # cold start of `tda ask` on a built index (new process: imports, model load, one turn)
            env_dir = tmp
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "app.cli", "ask", "--role", "casemanager", "--json",
                            "Wat moet ik de werknemer vertellen bij het eerste contact?"],
                           env={**__import__("os").environ, "TDA_DATA_DIR": env_dir}, capture_output=True,
                           check=False)
            report["tda_ask_cold_start_s"] = round(time.perf_counter() - t, 2)
    print(table(rows))
    print(f"\nindex build: {report['index_build_s']} s ({report['chunks']} chunks)")
    print(f"query latency (hybrid, warm): p50 {report['query_latency_ms']['p50']} ms, "
          f"p95 {report['query_latency_ms']['p95']} ms")
    if "tda_ask_cold_start_s" in report:
        print(f"tda ask cold start: {report['tda_ask_cold_start_s']} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
