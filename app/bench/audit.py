"""Benchmark: what recording a turn in the audit log adds to the turn (target: p95 <= 5 ms).

Measures ``AuditLog.record_turn`` end to end (redaction of input, reply and trace + the hash-chained
append), and separately the append alone (database part), on a fresh log in a temporary data dir.

Usage:
    python -m app.bench.audit [--turns 300] [--url postgresql+psycopg://...] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from app.audit import AuditLog
from app.reply import Citation, Reply, RuleRef
from app.settings import load_settings

QUESTIONS = (
    "Werknemer Jan de Vries met BSN 111222333 belde zich ziek, wat moet ik vastleggen?",
    "Mag ik vragen wat mijn medewerker heeft? Hij zegt dat het een hernia is.",
    "Hoe plan ik het eerste contact na de ziekmelding?",
    "Ze is bereikbaar op 06-12345678 of via j.devries@example.nl; wanneer bel ik haar?",
    "Mijn medewerker heeft een burn-out, mag ik dat in het dossier zetten?",
    "Wat staat er in de leidraad over taakdelegatie door de bedrijfsarts?",
)
REPLY_TEXT = (
    "U mag de medewerker vragen naar de verwachte duur van het verzuim, naar lopende afspraken en naar "
    "wat hij nog wel kan, maar niet naar de aard of oorzaak van de klachten. Gezondheidsgegevens horen "
    "alleen bij de bedrijfsarts en de casemanager in taakdelegatie. Leg vast: de datum van de "
    "ziekmelding, de bereikbaarheid en de afspraken over het eerste contact. Bron: NVAB Leidraad, "
    "paragraaf 3.3 (regels 782-801); beroepscode RSC, artikel 4."
)


def _reply(i: int) -> Reply:
    return Reply(
        decision="answer" if i % 3 else "refuse",
        category=None if i % 3 else "health_data",
        text=REPLY_TEXT,
        citations=[Citation("002", "NVAB Leidraad", "3.3", (782, 801), REPLY_TEXT[:300]),
                   Citation("001", "RSC beroepscode", "4", (120, 140), REPLY_TEXT[100:400])],
        rules=[RuleRef("employer.no_diagnosis_questions", "De werkgever vraagt niet naar de diagnose.", "002",
                       (795, 801))],
        timings_ms={"input_rails": 3.1, "retrieval": 25.0, "compose": 4.2, "output_rails": 2.2, "total": 34.5},
        decisions=[{"rail": "input.pii", "action": "redact", "rule_id": "PII-NL-BSN", "reason": "BSN gemaskeerd.",
                    "risk": 0.9, "evidence": [{"start": 30, "end": 39, "label": "NL_BSN", "score": 0.85,
                                               "detector": "NlBsnRecognizer"}], "duration_ms": 0.5},
                   {"rail": "input.health", "action": "block", "rule_id": "employer.no_health_data",
                    "reason": "Gezondheidsgegevens zijn niet voor de werkgever.", "risk": 1.0, "evidence": [],
                    "duration_ms": 0.7}],
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(turns: int, url: str | None) -> dict:
    """Record ``turns`` turns and return the timing summary in milliseconds."""
    with tempfile.TemporaryDirectory(prefix="tda-bench-audit-") as tmp:
        settings = load_settings(data_dir=Path(tmp), audit_url=url)
        log = AuditLog.open(settings)
        append_ms: list[float] = []
        original = log._append

        def timed_append(row, **kw):
            t0 = time.perf_counter()
            try:
                return original(row, **kw)
            finally:
                append_ms.append((time.perf_counter() - t0) * 1000)

        log._append = timed_append
        for i in range(20):  # warm-up: loads the recognizers, fills caches and the pool
            log.record_turn(user="bench", role="employer", session_id="warm", input_text=QUESTIONS[i % 6],
                            reply=_reply(i))
        append_ms.clear()
        total_ms: list[float] = []
        for i in range(turns):
            q = f"{QUESTIONS[i % len(QUESTIONS)]} (beurt {i})"
            t0 = time.perf_counter()
            log.record_turn(user="bench", role="casemanager", session_id=f"s{i % 7}", input_text=q, reply=_reply(i))
            total_ms.append((time.perf_counter() - t0) * 1000)
        sync_append_ms = list(append_ms)
        submit_ms: list[float] = []
        futures = []
        for i in range(turns):
            q = f"{QUESTIONS[i % len(QUESTIONS)]} (achtergrond {i})"
            t0 = time.perf_counter()
            futures.append(log.submit_turn(user="bench", role="employer", session_id="bg", input_text=q,
                                           reply=_reply(i)))
            submit_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)  # turns arrive spaced out, as in a chat, not in one burst
        log.flush()
        lost = sum(1 for f in futures if f.exception() is not None)
        verify_t0 = time.perf_counter()
        result = log.verify()
        verify_ms = (time.perf_counter() - verify_t0) * 1000
        backend = log.engine.dialect.name
        log.close()
    return {
        "backend": backend, "turns": turns,
        "record_turn_ms": {"p50": round(statistics.median(total_ms), 3), "p95": round(_pct(total_ms, 0.95), 3),
                           "max": round(max(total_ms), 3)},
        "append_only_ms": {"p50": round(statistics.median(sync_append_ms), 3),
                           "p95": round(_pct(sync_append_ms, 0.95), 3)},
        "submit_turn_ms": {"p50": round(statistics.median(submit_ms), 3), "p95": round(_pct(submit_ms, 0.95), 3),
                           "failed": lost},
        "verify_ms": round(verify_ms, 1), "verify_ok": result.ok, "target_p95_ms": 5.0,
        "meets_target": _pct(total_ms, 0.95) <= 5.0,
        "note": "record_turn = redaction + append, synchronous; submit_turn = what the background path adds",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: SQLite in a temp data dir)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    summary = run(args.turns, args.url)
    if args.json:
        print(json.dumps(summary))
    else:
        r, a = summary["record_turn_ms"], summary["append_only_ms"]
        print(f"audit record_turn ({summary['backend']}, {summary['turns']} turns): p50 {r['p50']:.2f} ms, "
              f"p95 {r['p95']:.2f} ms, max {r['max']:.2f} ms (target p95 <= 5 ms: "
              f"{'met' if summary['meets_target'] else 'NOT met'})")
        print(f"  of which hash-chained append: p50 {a['p50']:.2f} ms, p95 {a['p95']:.2f} ms; "
              f"verify of {2 * summary['turns'] + 20} records: {summary['verify_ms']:.0f} ms, ok={summary['verify_ok']}")
        b = summary["submit_turn_ms"]
        print(f"  background path submit_turn: p50 {b['p50']:.3f} ms, p95 {b['p95']:.3f} ms added to the turn; "
              f"{b['failed']} of {summary['turns']} queued turns failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
