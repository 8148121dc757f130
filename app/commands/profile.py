"""``tda profile [--passes N] [--out DIR]``: where start-up and turn time go (``make profile``).

Prints three tables and writes them, with a cProfile listing of the warm turns, to
``DIR/profile-<time>.md``:

1. **Imports**: the heavy libraries, each timed after the ones before it (so each figure is
   what that library adds).
2. **Start-up**: the stages of ``Assistant.load`` on the current data dir (``load_timings``).
3. **Warm turns**: every message of the project's evaluation cases, ``--passes`` times, with the
   per-stage timings each reply carries (p50/p95/max in ms). The audit log is off here (its
   append runs after the reply is built); ``python -m app.bench.audit`` measures it.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

HEAVY_IMPORTS = ("torch", "sentence_transformers", "chromadb", "presidio_analyzer", "sklearn", "gradio")
STAGES = ("input_rails", "retrieval", "compose", "output_rails", "total")


def register(sub) -> None:
    p = sub.add_parser("profile", help="meet waar de starttijd en de antwoordtijd heen gaan")
    p.add_argument("--passes", type=int, default=3, help="aantal rondes over de evaluatiecases (standaard 3)")
    p.add_argument("--out", default="reports", help="map voor profile-<tijd>.md (standaard reports)")
    p.add_argument("--top", type=int, default=30, help="regels in het cProfile-overzicht")
    p.add_argument("--limit", type=int, default=None, help="alleen de eerste N berichten (snelle controle)")
    p.set_defaults(func=run)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))]


def _messages() -> list[tuple[str, str, list[dict]]]:
    from evals.schema import load_project_cases

    out = []
    for case in load_project_cases(check=False):
        if case.kind == "intake_script":
            continue
        history = [{"role": h.role, "content": h.content} for h in case.history]
        for text in (case.messages or [case.message or ""]):
            out.append((text * case.repeat if case.repeat > 1 else text, case.role, history))
    return out


def run(args) -> int:
    lines: list[str] = [f"# tda profile ({datetime.now().astimezone().isoformat(timespec='seconds')})", ""]

    lines += ["## Imports (each after the ones before)", "", "| library | s |", "| --- | ---: |"]
    for name in HEAVY_IMPORTS:
        if name in sys.modules:
            lines.append(f"| {name} | (already loaded) |")
            continue
        t = time.perf_counter()
        importlib.import_module(name)
        lines.append(f"| {name} | {time.perf_counter() - t:.2f} |")

    from app.assistant import Assistant
    from app.settings import load_settings

    t = time.perf_counter()
    assistant = Assistant.load(load_settings(), audit=False)
    total = time.perf_counter() - t
    lines += ["", "## Start-up: `Assistant.load` (libraries already imported)", "", "| stage | s |", "| --- | ---: |"]
    lines += [f"| {k} | {v:.2f} |" for k, v in assistant.load_timings.items()]
    lines.append(f"| **total** | **{total:.2f}** |")

    messages = _messages()[: args.limit] if args.limit else _messages()
    passes = max(1, args.passes)
    # pass 1: every message new to this process (query embeddings computed); later passes: repeats
    timings: dict[str, dict[str, list[float]]] = {"first": {s: [] for s in STAGES},
                                                  "repeat": {s: [] for s in STAGES}}
    profiler = cProfile.Profile()
    for n in range(passes):
        if n == passes - 1:
            profiler.enable()
        group = timings["first" if n == 0 else "repeat"]
        for text, role, history in messages:
            reply = assistant.respond(text, role=role, history=history)
            for stage in STAGES:
                group[stage].append(float(reply.timings_ms.get(stage, 0.0)))
    profiler.disable()
    for group, title in (("first", "first pass (each message new)"), ("repeat", "repeat passes")):
        if not timings[group]["total"]:
            continue
        lines += ["", f"## Warm turns, {title}: {len(messages)} evaluation messages (ms)", "",
                  "| stage | p50 | p95 | max | mean |", "| --- | ---: | ---: | ---: | ---: |"]
        for stage in STAGES:
            v = timings[group][stage]
            lines.append(f"| {stage} | {statistics.median(v):.1f} | {_pct(v, 0.95):.1f} | {max(v):.1f} | "
                         f"{statistics.fmean(v):.1f} |")
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(args.top)
    report = "\n".join(lines)
    print(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"profile-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(report + "\n\n## cProfile of the last pass (cumulative)\n\n```\n" + buf.getvalue() + "```\n",
                    encoding="utf-8")
    print(f"\nRapport: {path}")
    return 0
