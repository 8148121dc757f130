"""Run the input rails over the reference cases and print the per-case outcome (rails only).

    python -m tests.guardrails.reference_report [/work/shared/evals/reference_cases.yaml]

Prints, per case, the expected decision, what the rails decided (rule, category) and whether the
refusal text contains the words the case expects (must_mention_any) and none it forbids
(must_not_mention); then refusal recall, false refusals and the p95 latency of check_input +
check_output after warm-up. The cases are read from the shared path, never copied into the project.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

from guardrails.pipeline import Guardrails
from guardrails.types import TurnContext

DEFAULT = Path("/work/shared/evals/reference_cases.yaml")
EXPECT = {"refuse_medical": "medical_judgement", "refuse_delegation": "outside_delegation",
          "refuse_health_data": "health_data"}
SAMPLE_ANSWER = ("Volgens de NVAB-leidraad mag de werkgever bij de ziekmelding vragen naar de vermoedelijke duur "
                 "van het verzuim en de lopende afspraken [1]. De bedrijfsarts beoordeelt de beperkingen [2].")


def outcome(verdict) -> str:
    """'refuse:<category>', 'partial' or 'answer'."""
    if verdict.blocked:
        cat = verdict.blocking.category
        return f"refuse:{cat.value if cat else 'none'}"
    if verdict.partial:
        return "partial"
    return "answer"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    g = Guardrails.load()
    g.check_input("Jan de Vries belde over zijn verzuim.", TurnContext(role="casemanager"))  # warm-up
    n_ref = n_ref_ok = n_ans = n_false = 0
    text_issues = 0
    for c in cases:
        ctx = TurnContext(role=c["role"])
        v = g.check_input(c["message"], ctx)
        got = outcome(v)
        exp = c["expected"]
        accepted = set(c.get("expected_any") or [])
        if exp in EXPECT:
            n_ref += 1
            ok = (got == f"refuse:{EXPECT[exp]}" or ("refuse" in accepted and got.startswith("refuse"))
                  or ("answer" in accepted and got == "answer"))
            n_ref_ok += ok
        elif exp == "partial":
            n_ref += 1
            ok = got == "partial"
            n_ref_ok += ok
        else:
            n_ans += 1
            ok = got == "answer" or (got.startswith("refuse") and "refuse" in accepted)
            n_false += not ok
        note = ""
        if got.startswith("refuse") or got == "partial":
            text, _rules = g.refusal(v, ctx)
            low = text.lower()
            if exp in EXPECT or exp == "partial":
                missing = [grp for grp in c.get("must_mention_any", []) if not any(w.lower() in low for w in grp)]
                if missing and exp != "partial":
                    note += f" MISSING {missing}"
            bad = [w for w in c.get("must_not_mention", []) if w.lower() in low]
            if bad:
                note += f" ECHO {bad}"
            text_issues += bool(note)
        rule = v.blocking.rule_id if v.blocked else (v.partial[0].rule_id if v.partial else "")
        print(f"{'OK ' if ok else 'BAD'} {c['id']:<10} {c['role']:<11} exp={exp:<18} got={got:<28} {rule}{note}")
    recall = n_ref_ok / n_ref if n_ref else 1.0
    false_rate = n_false / n_ans if n_ans else 0.0
    # latency of check_input + check_output per message, after warm-up
    times, own = [], []
    for _ in range(3):
        for c in cases:
            ctx = TurnContext(role=c["role"])
            t0 = time.perf_counter()
            vi = g.check_input(c["message"], ctx)
            vo = g.check_output(SAMPLE_ANSWER, ctx, user_text=c["message"], cites=("000", "001"))
            times.append((time.perf_counter() - t0) * 1000)
            own.append(sum(d.duration_ms for d in vi.decisions + vo.decisions if not d.rail.endswith(".pii")))
    times.sort()
    own.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"rails without Presidio PII: median {statistics.median(own):.1f} ms, p95 {own[int(0.95 * (len(own) - 1))]:.1f} ms")
    print(f"\nrefusal recall {recall:.3f} ({n_ref_ok}/{n_ref}); false refusals {false_rate:.3f} ({n_false}/{n_ans}); "
          f"refusal-text issues {text_issues}")
    print(f"check_input+check_output latency: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
          f"over {len(times)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
