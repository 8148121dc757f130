"""Retrieval benchmark: recall@1/5/10 and MRR per retriever and set, the answer key-term rate, latency.

Run: ``python -m app.bench.retrieval [--sweep] [--skip-base] [--skip-answers] [--json OUT]``
(part of ``make bench``; writes ``evals/reports/retrieval.txt`` and ``.json``).

A hit is a returned passage of the expected document whose line range overlaps an expected range.
Sets, reported apart:

- ``held-out questions``: the test split of the question corpus (never tuned on);
- ``held-out card variants``: the test variants of the answer cards (never indexed or tuned on);
- ``dev fold (tuned)``: the dev fold of the train split, on which the fusion weights were chosen;
- ``reference cases``: the answerable cases of ../shared/evals/reference_cases.yaml (the old
  knowledge cards and thesaurus were written while looking at these: not independent);
- ``own questions``: evals/retrieval_dev.yaml (the project's earlier set; tuned on).

Retrievers: BM25 and dense over the source chunks, dense with the base model (the packaged
all-MiniLM-L6-v2) and with the domain-tuned model, the question index alone, sources only (BM25 +
dense), and the full hybrid. ``--sweep`` tunes the fusion weights on the dev fold with an index
that leaves the dev fold out.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from app.bench import EVALS_DIR, REPORTS
from app.settings import PROJECT_ROOT, load_settings

REFERENCE = PROJECT_ROOT.parent / "shared" / "evals" / "reference_cases.yaml"
DEV = EVALS_DIR / "retrieval_dev.yaml"
KS = (1, 5, 10)


def _ranges(sources: list[dict]) -> list[tuple[str, int, int]]:
    out = []
    for s in sources:
        a, _, b = str(s["lines"]).partition("-")
        out.append((str(s["doc"]).zfill(3), int(a), int(b or a)))
    return out


def reference_questions(reference: Path | None = REFERENCE) -> list[dict]:
    qs = []
    if reference and Path(reference).is_file():
        for c in yaml.safe_load(Path(reference).read_text(encoding="utf-8")):
            if c.get("expected") not in ("answer", "partial") or not c.get("sources"):
                continue
            qs.append({"id": c["id"], "q": c["message"], "ranges": _ranges(c["sources"]),
                       "role": c.get("role", "casemanager")})
    return qs


def question_sets(reference: Path | None = REFERENCE) -> dict[str, list[dict]]:
    """The benchmark's question sets, by name (held-out sets first)."""
    from knowledge.answers import load_cards
    from knowledge.questions import fold_of, load_questions

    cards = load_cards()
    sets = {
        "held-out questions": [{"q": q.text, "ranges": q.ranges} for q in load_questions(split="test")],
        "held-out card variants": [{"q": v, "ranges": c.ranges, "card": c, "role": c.roles[0]}
                                   for c in cards for v in c.test_questions()],
        "dev fold (tuned)": [{"q": q.text, "ranges": q.ranges} for q in load_questions(split="train")
                             if fold_of(q.text) == "dev"],
        "reference cases": reference_questions(reference),
        "own questions": [{"q": c["q"], "ranges": _ranges(c["sources"])}
                          for c in yaml.safe_load(DEV.read_text(encoding="utf-8"))],
    }
    return {k: v for k, v in sets.items() if v}


def first_hit_rank(passages, ranges) -> int | None:
    for rank, p in enumerate(passages, start=1):
        for doc, a, b in ranges:
            if p.source == doc and p.lines[0] <= b and p.lines[1] >= a:
                return rank
    return None


def _hit_mask(index, ranges) -> np.ndarray:
    mask = np.zeros(len(index.chunks), dtype=bool)
    for i, c in enumerate(index.chunks):
        for doc, a, b in ranges:
            if c.source == doc and c.line_start <= b and c.line_end >= a:
                mask[i] = True
    return mask


def metrics_from_ranks(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    out = {f"recall@{k}": sum(1 for r in ranks if r and r <= k) / n for k in KS}
    out["mrr"] = sum(1 / r for r in ranks if r) / n
    out["n"] = len(ranks)
    return out


def rank_of(fused: np.ndarray, mask: np.ndarray) -> int | None:
    order = np.argsort(-fused, kind="stable")[:max(KS)]
    for r, i in enumerate(order, start=1):
        if fused[i] <= 0:
            return None
        if mask[i]:
            return r
    return None


def evaluate(retriever, questions, mode: str) -> dict:
    ranks = [first_hit_rank(retriever.search(q["q"], k=max(KS), mode=mode), q["ranges"]) for q in questions]
    return metrics_from_ranks(ranks)


def table(rows: list[tuple[str, dict]]) -> str:
    head = f"{'set / retriever':<62}" + "".join(f"{'R@' + str(k):>7}" for k in KS) + f"{'MRR':>7}{'n':>6}"
    lines = [head, "-" * len(head)]
    for name, m in rows:
        lines.append(f"{name:<62}" + "".join(f"{m[f'recall@{k}']:>7.2f}" for k in KS) + f"{m['mrr']:>7.2f}{m['n']:>6}")
    return "\n".join(lines)


def sweep(retriever, questions) -> tuple[dict, list[str]]:
    """Best fusion weights on ``questions`` (the dev fold); signals are computed once per question."""
    base = retriever.settings
    cached = [(retriever.signals(q["q"], "all"), _hit_mask(retriever.index, q["ranges"])) for q in questions]
    grid = {"bm25_weight": (0.0, 0.5, 1.0), "dense_weight": (0.0, 0.35, 0.7, 1.0),
            "question_dense_weight": (0.0, 0.5, 1.0), "question_bm25_weight": (0.0, 0.3),
            "expanded_bm25_weight": (0.0, 0.5, 1.0, 1.5)}
    log, best = [], None
    for fusion in ("weighted",):
        for combo in itertools.product(*grid.values()):
            upd = dict(zip(grid, combo), fusion=fusion)
            retriever.settings = base.model_copy(update=upd)
            ranks = [rank_of(retriever.fuse(sig), mask) for sig, mask in cached]
            m = metrics_from_ranks(ranks)
            key = (round(m["recall@5"] + m["recall@1"] + m["mrr"], 4), -sum(combo))
            log.append(f"{fusion:<8} " + " ".join(f"{k}={v}" for k, v in zip(grid, combo))
                       + f"  R@1 {m['recall@1']:.3f} R@5 {m['recall@5']:.3f} MRR {m['mrr']:.3f}")
            if best is None or key > best[0]:
                best = (key, upd, m)
    retriever.settings = base
    return {"weights": best[1], "dev": best[2]}, log


def latency(retriever, questions, repeat: int = 2) -> dict:
    from knowledge.index import embed_query

    lat = []
    for q in questions * repeat:
        embed_query.cache_clear()  # the uncached path: every query is embedded
        t = time.perf_counter()
        retriever.search(q["q"], k=5)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return {"p50": round(statistics.median(lat), 2), "p95": round(lat[int(0.95 * (len(lat) - 1))], 2), "n": len(lat)}


def answer_rates(settings, sets: dict[str, list[dict]], limit: int = 400) -> dict:
    """Through the full turn: the share of replies that cite a right passage, and for answer-card
    variants the share whose text holds all the card's key terms (how often a direct answer is
    given, and is right: app/bench/answers.py)."""
    from app.assistant import Assistant
    from knowledge.answers import term_in

    assistant = Assistant.load(settings, audit=False)
    out = {}
    for name, qs in sets.items():
        qs = qs[:limit]
        cited = keyterms = answered = 0
        for q in qs:
            reply = assistant.respond(q["q"], role=q.get("role", "casemanager"))
            answered += reply.decision == "answer"
            if any(c.source == d and c.lines[0] <= b and c.lines[1] >= a
                   for c in reply.citations for d, a, b in q["ranges"]):
                cited += 1
            card = q.get("card")
            if card is not None and all(term_in(t, reply.text) for t in card.key_terms):
                keyterms += 1
        n = len(qs) or 1
        out[name] = {"n": len(qs), "answered": round(answered / n, 3), "cites_right_passage": round(cited / n, 3)}
        if any(q.get("card") is not None for q in qs):
            out[name]["key_terms"] = round(keyterms / n, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--sweep", action="store_true", help="tune the fusion weights on the dev fold")
    parser.add_argument("--skip-base", action="store_true", help="skip the base-model comparison")
    parser.add_argument("--skip-answers", action="store_true", help="skip the full-turn answer rates")
    parser.add_argument("--json", type=Path, default=REPORTS / "retrieval.json")
    parser.add_argument("--text", type=Path, default=REPORTS / "retrieval.txt")
    args = parser.parse_args(argv)

    from knowledge.embeddings import BASE_MODEL
    from knowledge.index import KnowledgeIndex
    from knowledge.questions import fold_of
    from knowledge.retrieval import HybridRetriever

    sets = question_sets(args.reference)
    report: dict = {"sets": {k: len(v) for k, v in sets.items()}, "retrieval": {}}
    rows: list[tuple[str, dict]] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "tuned")
        t0 = time.perf_counter()
        index = KnowledgeIndex.load_or_build(settings, rebuild=True)
        report["index_build_s"] = round(time.perf_counter() - t0, 2)
        report["chunks"], report["indexed_questions"] = len(index.chunks), len(index.question_entries)
        report["embedding_model"] = index.embedding_model
        retriever = HybridRetriever(index, settings)
        base_retriever = None
        if not args.skip_base:
            bs = load_settings(data_dir=Path(tmp) / "base", embedding_model=BASE_MODEL)
            base_retriever = HybridRetriever(KnowledgeIndex.load_or_build(bs, rebuild=True), bs)
        for name, qs in sets.items():
            if name == "dev fold (tuned)":
                continue  # measured below, on an index that leaves the dev fold out
            modes = [("bm25 (sources)", retriever, "bm25"), (f"dense {index.embedding_model}", retriever, "dense")]
            if base_retriever is not None:
                modes.append((f"dense {BASE_MODEL} (base)", base_retriever, "dense"))
                modes.append(("hybrid with base model", base_retriever, "hybrid"))
            modes += [("expanded bm25 (doc2query)", retriever, "expanded"), ("question index", retriever, "questions"),
                      ("sources (bm25+dense)", retriever, "sources"),
                      ("hybrid (shipped)", retriever, "hybrid")]
            for label, r, mode in modes:
                m = evaluate(r, qs, mode)
                rows.append((f"{name} / {label}", m))
                report["retrieval"].setdefault(name, {})[label] = m
        report["latency_ms"] = latency(retriever, sets["held-out questions"][:150])
        if args.sweep:
            ds = load_settings(data_dir=Path(tmp) / "dev")
            dev_index = KnowledgeIndex.build(ds, question_filter=lambda t: fold_of(t) != "dev")
            dev_retriever = HybridRetriever(dev_index, ds)
            best, log = sweep(dev_retriever, sets["dev fold (tuned)"])
            report["sweep"] = best
            for label, mode in (("bm25 (sources)", "bm25"), ("expanded bm25 (doc2query)", "expanded"),
                                ("question index", "questions"), ("hybrid (shipped weights)", "hybrid")):
                m = evaluate(dev_retriever, sets["dev fold (tuned)"], mode)
                rows.append((f"dev fold (tuned, left out of the index) / {label}", m))
                report["retrieval"].setdefault("dev fold (tuned)", {})[label] = m
            (REPORTS / "retrieval_sweep.txt").write_text("\n".join(log) + "\n", encoding="utf-8")
        if not args.skip_answers:
            answer_sets = {k: v for k, v in sets.items() if k in ("held-out questions", "held-out card variants",
                                                                   "reference cases")}
            report["answers"] = answer_rates(settings, answer_sets)
    lines.append(table(rows))
    lines.append(f"\nembedding model: {report['embedding_model']}; index build {report['index_build_s']} s "
                 f"({report['chunks']} chunks, {report['indexed_questions']} indexed train questions)")
    lat = report["latency_ms"]
    lines.append(f"retrieval latency (hybrid, uncached query embedding): p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    if "sweep" in report:
        lines.append(f"sweep on the dev fold: best {report['sweep']['weights']} -> "
                     f"R@1 {report['sweep']['dev']['recall@1']:.3f} R@5 {report['sweep']['dev']['recall@5']:.3f}")
    for name, a in report.get("answers", {}).items():
        lines.append(f"answers / {name}: " + ", ".join(f"{k} {v}" for k, v in a.items()))
    text = "\n".join(lines)
    print(text)
    REPORTS.mkdir(parents=True, exist_ok=True)
    args.text.write_text(text + "\n", encoding="utf-8")
    args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
