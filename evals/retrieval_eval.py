"""Generalisation of retrieval and answers, measured on held-out questions never tuned on.

- The test split of the question corpus (``knowledge.questions``): is a passage that answers the
  question among the first 1 / 5 / 10 retrieved (recall@k, MRR)?
- The test variants of the answer cards (``knowledge.answers``): through the full turn, does the
  reply answer, cite the card's lines, give the direct answer, and hold the card's key terms?

Takes any object with ``retrieve(query, k) -> [{"source", "lines", ...}]`` and
``respond(message, role, history)`` (the assistant); imports nothing from ``app``.
"""

from __future__ import annotations

from collections.abc import Callable

KS = (1, 5, 10)


def _hit(p: dict, ranges) -> bool:
    return any(p["source"] == d and p["lines"][0] <= b and p["lines"][1] >= a for d, a, b in ranges)


def retrieval_metrics(system, items: list[tuple[str, list]], progress: Callable[[int, int], None] | None = None) -> dict:
    ranks = []
    for n, (q, ranges) in enumerate(items, start=1):
        passages = system.retrieve(q, k=max(KS))
        ranks.append(next((r for r, p in enumerate(passages, start=1) if _hit(p, ranges)), None))
        if progress:
            progress(n, len(items))
    total = len(ranks) or 1
    out = {f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / total, 3) for k in KS}
    out["mrr"] = round(sum(1 / r for r in ranks if r) / total, 3)
    out["n"] = len(ranks)
    return out


def answer_metrics(system, cards, progress: Callable[[int, int], None] | None = None) -> dict:
    from knowledge.answers import term_in

    rows = [(c, v) for c in cards for v in c.test_questions()]
    answered = cited = direct = keyterms = 0
    for n, (card, q) in enumerate(rows, start=1):
        reply = system.respond(q, role=card.roles[0], history=[])
        answered += reply.decision == "answer"
        cited += any(c.source == s.doc and c.lines[0] <= s.end and c.lines[1] >= s.start
                     for c in reply.citations for s in card.sources)
        direct += any(d.rail == "compose.answer_card" for d in reply.decisions)
        keyterms += all(term_in(t, reply.text) for t in card.key_terms)
        if progress:
            progress(n, len(rows))
    total = len(rows) or 1
    return {"n": len(rows), "answered": round(answered / total, 3), "cites_card_lines": round(cited / total, 3),
            "direct_answer": round(direct / total, 3), "key_terms": round(keyterms / total, 3)}


def evaluate(system, progress: Callable[[int, int], None] | None = None) -> dict:
    from knowledge.answers import load_cards
    from knowledge.questions import load_questions

    test = [(q.text, q.ranges) for q in load_questions(split="test")]
    return {"questions_test_split": retrieval_metrics(system, test, progress),
            "card_variants_test_split": answer_metrics(system, load_cards(), progress)}


def format_metrics(m: dict, title: str) -> str:
    q, c = m["questions_test_split"], m["card_variants_test_split"]
    return "\n".join([
        title,
        f"  vragencorpus, testsplit (n={q['n']}): recall@1 {q['recall@1']:.3f}  recall@5 {q['recall@5']:.3f}  "
        f"recall@10 {q['recall@10']:.3f}  MRR {q['mrr']:.3f}",
        f"  antwoordkaarten, testvarianten (n={c['n']}): beantwoord {c['answered']:.3f}  juiste bron geciteerd "
        f"{c['cites_card_lines']:.3f}  direct antwoord {c['direct_answer']:.3f}  kerntermen {c['key_terms']:.3f}",
    ])
