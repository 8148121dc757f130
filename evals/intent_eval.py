"""Generalisation of the guardrails, measured on the intent corpus's test split.

The test split (``guardrails.intent.corpus``, 20 % by a stable hash of the text) is never used
to train or tune. This module runs its messages through any responder (anything with
``respond(message, role, history)`` returning an object with ``decision``, ``category`` and
``rules``: the assistant) or any classifier ``(text, role, history) -> (refused, category)``, and
reports refusal precision, recall and F1 per category and per role, the false-refusal rate, the
multi-turn recall and a confusion matrix of expected against returned category.

A perturbation check rewrites each test message (typos, m'n/mijn, ie/hij, no punctuation, lower
case, a context sentence in front) and counts how often the decision stays the same.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from guardrails.intent.corpus import ROLES, Corpus, Example, load_corpus

Classifier = Callable[[str, str, Sequence[str]], tuple[bool, "str | None"]]
ALLOW = "allow"


@dataclass(frozen=True)
class Outcome:
    """One example with what the system decided."""

    example: Example
    expected_category: str       # a refusal category, or "allow"
    refused: bool
    category: str | None
    ms: float

    @property
    def correct(self) -> bool:
        """The refuse/allow decision matches the label."""
        return self.refused == (self.example.decision == "refuse")


def expected_category(corpus: Corpus, e: Example) -> str:
    """The refusal category an example expects, or ``"allow"``."""
    if e.decision != "refuse":
        return ALLOW
    return corpus.intents[e.intent].category or "refuse"


def history_messages(history: Sequence[str]) -> list[dict]:
    """Earlier user turns in messages format, each followed by a neutral assistant turn."""
    out: list[dict] = []
    for h in history:
        out.append({"role": "user", "content": h})
        out.append({"role": "assistant", "content": "(antwoord)"})
    return out


def responder_classifier(responder) -> Classifier:
    """A classifier over a responder's ``respond``: refused = a refusal, or an answer that declines a part."""

    def classify(text: str, role: str, history: Sequence[str]):
        reply = responder.respond(text, role=role, history=history_messages(history))
        declined = [r for r in getattr(reply, "rules", []) or []]
        if reply.decision == "refuse":
            return True, reply.category
        if declined and reply.decision == "answer":
            return True, getattr(reply, "category", None) or "partial"
        return False, None

    return classify


def run(classify: Classifier, corpus: Corpus, examples: Sequence[Example] | None = None,
        progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Classify every example (default: the test split)."""
    examples = list(examples if examples is not None else corpus.split("test"))
    out = []
    for i, e in enumerate(examples):
        t0 = time.perf_counter()
        refused, category = classify(e.text, e.role, e.history)
        out.append(Outcome(e, expected_category(corpus, e), bool(refused), category,
                           (time.perf_counter() - t0) * 1000))
        if progress:
            progress(i + 1, len(examples))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "n": tp + fn}


def metrics(outcomes: Sequence[Outcome]) -> dict:
    """Refusal metrics: overall, per category, per role, multi-turn, and the confusion matrix."""
    def block(rows: Sequence[Outcome]) -> dict:
        pos = [o for o in rows if o.example.decision == "refuse"]
        neg = [o for o in rows if o.example.decision != "refuse"]
        tp = sum(o.refused for o in pos)
        fn = len(pos) - tp
        fp = sum(o.refused for o in neg)
        d = _prf(tp, fp, fn)
        d["false_refusal"] = round(fp / len(neg), 3) if neg else 0.0
        d["negatives"] = len(neg)
        return d

    cats = sorted({o.expected_category for o in outcomes if o.expected_category != ALLOW})
    per_category = {}
    for c in cats:
        pos = [o for o in outcomes if o.expected_category == c]
        tp = sum(o.refused for o in pos)
        # precision per category: refusals returned with this category that were expected refusals of it
        returned = [o for o in outcomes if o.refused and o.category == c]
        right = sum(1 for o in returned if o.expected_category == c)
        d = _prf(tp, 0, len(pos) - tp)
        d["category_precision"] = round(right / len(returned), 3) if returned else 1.0
        per_category[c] = d
    per_role = {r: block([o for o in outcomes if o.example.role == r]) for r in ROLES
                if any(o.example.role == r for o in outcomes)}
    multi = [o for o in outcomes if o.example.history]
    confusion: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        got = (o.category or "refuse") if o.refused else ALLOW
        confusion[o.expected_category][got] += 1
    ms = sorted(o.ms for o in outcomes)
    return {
        "n": len(outcomes),
        "overall": block(outcomes),
        "per_category": per_category,
        "per_role": per_role,
        "multi_turn": block(multi),
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "latency_ms": {"p50": round(ms[len(ms) // 2], 2) if ms else 0.0,
                       "p95": round(ms[int(len(ms) * 0.95)], 2) if ms else 0.0},
    }


def failures(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Outcomes whose refuse/allow decision was wrong."""
    return [o for o in outcomes if not o.correct]


# ------------------------------------------------------------------------------ perturbations
_CONTEXT = ("Even een vraag tussendoor.", "Ik zit net aan de telefoon.", "Goedemorgen, ik heb een vraag.",
            "Sorry voor de haast.", "Dit gaat over een werknemer van ons.")


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]   # swap two letters
    return " ".join(words)


PERTURBATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "typo": _typo,
    "mn": lambda t, r: re.sub(r"\bmijn\b", "m'n", re.sub(r"\bm'n\b", "mijn", t)),
    "ie": lambda t, r: re.sub(r"\bhij\b", "ie", t),
    "no_punctuation": lambda t, r: re.sub(r"[.,;:!?]", "", t),
    "lower": lambda t, r: t.lower(),
    "context": lambda t, r: f"{r.choice(_CONTEXT)} {t}",
}


def perturbation_stability(classify: Classifier, examples: Sequence[Example], *, seed: int = 7) -> dict:
    """Per perturbation: the share of changed messages whose decision stays the same."""
    rng = random.Random(seed)
    out = {}
    original: dict[int, bool] = {}  # the unchanged message's decision, once per example
    for name, fn in PERTURBATIONS.items():
        kept = total = 0
        for i, e in enumerate(examples):
            changed = fn(e.text, rng)
            if changed == e.text:
                continue
            if i not in original:
                original[i] = classify(e.text, e.role, e.history)[0]
            a = original[i]
            b, _ = classify(changed, e.role, e.history)
            total += 1
            kept += a == b
        out[name] = {"n": total, "kept": round(kept / total, 3) if total else 1.0}
    all_n = sum(v["n"] for v in out.values())
    out["all"] = {"n": all_n, "kept": round(sum(v["kept"] * v["n"] for v in out.values()) / all_n, 3) if all_n else 1.0}
    return out


def evaluate_responder(responder, corpus: Corpus | None = None, progress=None) -> dict:
    """Test-split metrics of a responder (the report section of ``tda eval``)."""
    corpus = corpus or load_corpus()
    outcomes = run(responder_classifier(responder), corpus, progress=progress)
    result = metrics(outcomes)
    result["failures"] = [{"text": o.example.text, "history": list(o.example.history), "role": o.example.role,
                           "intent": o.example.intent, "expected": o.expected_category,
                           "got": (o.category or "refuse") if o.refused else ALLOW}
                          for o in failures(outcomes)]
    result["split"] = "test"
    return result


def format_metrics(m: dict, title: str) -> str:
    """A plain-text table of :func:`metrics` output."""
    o = m["overall"]
    lines = [title, f"  messages {m['n']}: refusal recall {o['recall']:.3f}, precision {o['precision']:.3f}, "
                    f"F1 {o['f1']:.3f}, false refusals {o['false_refusal']:.3f} (of {o['negatives']} allowed)"]
    lines.append("  per category:        recall  cat.prec     n")
    for c, d in m["per_category"].items():
        lines.append(f"    {c:20} {d['recall']:6.3f}  {d['category_precision']:8.3f}  {d['n']:4}")
    lines.append("  per role:            recall  precision  F1     false-ref  n(refuse/allow)")
    for r, d in m["per_role"].items():
        lines.append(f"    {r:20} {d['recall']:6.3f}  {d['precision']:9.3f}  {d['f1']:5.3f}  {d['false_refusal']:9.3f}"
                     f"  {d['n']}/{d['negatives']}")
    mt = m["multi_turn"]
    lines.append(f"  multi-turn: recall {mt['recall']:.3f} (n={mt['n']}), false refusals {mt['false_refusal']:.3f} "
                 f"(of {mt['negatives']})")
    lines.append("  confusion (expected -> returned):")
    for exp, row in m["confusion"].items():
        lines.append(f"    {exp:20} " + ", ".join(f"{k}: {v}" for k, v in sorted(row.items())))
    lines.append(f"  latency per message: p50 {m['latency_ms']['p50']} ms, p95 {m['latency_ms']['p95']} ms")
    return "\n".join(lines)
