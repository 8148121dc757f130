"""Eval report: one self-contained HTML file (plots embedded as base64 PNG), JSON and a Markdown summary.

``write_report(result, out_dir) -> {"html": path, "json": path, "md": path}``.
The HTML is static (no scripts, no external resources) so it can be downloaded and opened anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path

from evals.metrics import STAGES
from evals.runner import EvalResult

logger = logging.getLogger(__name__)

HEADLINE = (
    ("decision_accuracy", "Decision accuracy"),
    ("pass_rate", "Pass rate (decision + mentions + no leak + redaction)"),
    ("refusal_recall", "Refusal recall"),
    ("refusal_category_accuracy", "Refusal category accuracy"),
    ("false_refusal_rate", "False-refusal rate"),
    ("leaks", "Runs with a leak"),
    ("crashes", "Crashes"),
    ("must_mention_rate", "Must-mention rate (groups)"),
    ("citation_source_match", "Citation source match"),
    ("retrieval_recall_at_k", "Retrieval recall@k"),
    ("retrieval_mrr", "Retrieval MRR"),
    ("redaction_recall", "Redaction recall (PII cases)"),
    ("borderline_decision_accuracy", "Decision accuracy on borderline cases"),
)


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def summary_rows(result: EvalResult) -> list[tuple[str, str]]:
    """(name, value) rows of the headline metrics, for tables and the gate test's print."""
    m = result.metrics
    rows = [("Runs / cases", f"{m.get('runs')} / {m.get('cases')}")]
    for key, name in HEADLINE:
        value = m.get(key)
        if key == "retrieval_recall_at_k" and m.get("retrieval_k"):
            name = f"Retrieval recall@{m['retrieval_k']}"
        rows.append((name, _fmt(value)))
    rows.append(("Duration (s)", _fmt(round(result.duration_s, 2))))
    return rows


def summary_table(result: EvalResult) -> str:
    """Plain-text table of the headline metrics plus per-label F1."""
    rows = summary_rows(result)
    width = max(len(n) for n, _ in rows)
    lines = [f"{n.ljust(width)}  {v}" for n, v in rows]
    lines.append("")
    lines.append(f"{'label'.ljust(20)} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
    for label, s in result.metrics.get("per_label", {}).items():
        lines.append(f"{label.ljust(20)} {_fmt(s['precision']):>6} {_fmt(s['recall']):>6} "
                     f"{_fmt(s['f1']):>6} {s['support']:>5}")
    gate = result.gate()
    lines.append("")
    lines.append("GATE: " + ("green" if not gate else "red: " + "; ".join(gate)))
    return "\n".join(lines)


def markdown_summary(result: EvalResult) -> str:
    """Short Markdown summary: headline metrics, per-label table, gate, failing runs by group."""
    m = result.metrics
    out = ["# tda eval summary", "", f"Started {result.started}, {m.get('runs')} runs "
           f"({m.get('cases')} cases) in {result.duration_s:.1f} s.", "",
           "| metric | value |", "| --- | --- |"]
    out += [f"| {n} | {v} |" for n, v in summary_rows(result)]
    out += ["", "| label | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for label, s in m.get("per_label", {}).items():
        out.append(f"| {label} | {_fmt(s['precision'])} | {_fmt(s['recall'])} | {_fmt(s['f1'])} "
                   f"| {s['support']} |")
    out += ["", "| group | runs | pass rate | decision accuracy | leaks |", "| --- | --- | --- | --- | --- |"]
    for g, s in m.get("per_group", {}).items():
        out.append(f"| {g} | {s['runs']} | {_fmt(s['pass_rate'])} | {_fmt(s['decision_accuracy'])} "
                   f"| {s['leaks']} |")
    gate = result.gate()
    out += ["", "**Gate:** " + ("green" if not gate else "red — " + "; ".join(gate)), ""]
    failing = result.failing()
    if failing:
        out.append(f"## Failing runs ({len(failing)})")
        out.append("")
        for r in failing:
            out.append(f"- `{r.run_id}` [{r.group}] expected {r.expected}, got {r.got_label}: "
                       + "; ".join(r.failures)[:300])
    return "\n".join(out) + "\n"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plots(result: EvalResult) -> dict[str, str]:
    """Base64 PNGs: confusion matrix, per-label F1 and per-group pass rate bars, latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    m = result.metrics
    conf = m.get("confusion") or {}
    labels, matrix = conf.get("labels") or [], conf.get("matrix") or []
    if labels:
        fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(labels), 0.8 + 0.6 * len(labels)))
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("got")
        ax.set_ylabel("expected")
        peak = max((v for row in matrix for v in row), default=0) or 1
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                if v:
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                            color="white" if v > peak / 2 else "black")
        ax.set_title("Confusion matrix (labels)")
        out["confusion"] = _png(fig)

    per_label = m.get("per_label") or {}
    if per_label:
        names = list(per_label)
        fig, ax = plt.subplots(figsize=(7, 3.2))
        width = 0.27
        for offset, key in ((-width, "precision"), (0, "recall"), (width, "f1")):
            ax.bar([i + offset for i in range(len(names))], [per_label[n][key] or 0 for n in names],
                   width=width, label=key)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8)
        ax.set_title("Per-label precision / recall / F1")
        out["per_label"] = _png(fig)

    per_group = m.get("per_group") or {}
    if per_group:
        names = list(per_group)
        fig, ax = plt.subplots(figsize=(7, 3.2))
        ax.bar(names, [per_group[n]["pass_rate"] or 0 for n in names], color="#4c72b0", label="pass rate")
        ax.plot(names, [per_group[n]["decision_accuracy"] or 0 for n in names], "o", color="#dd8452",
                label="decision accuracy")
        ax.set_ylim(0, 1.05)
        ax.tick_params(axis="x", rotation=30, labelsize=8)
        ax.legend(fontsize=8)
        ax.set_title("Per case group")
        out["per_group"] = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    plotted = False
    series = {stage: [r.timings_ms[stage] for r in result.results if stage in r.timings_ms and not r.crashed]
              for stage in STAGES}
    everything = sorted(v for values in series.values() for v in values)
    # Clip the x axis at the 98th percentile so one huge-input outlier does not flatten the histogram.
    upper = everything[int(0.98 * (len(everything) - 1))] if everything else 0.0
    for stage, values in series.items():
        if values:
            ax.hist([min(v, upper) for v in values], bins=30, range=(0, upper or 1.0), alpha=0.5, label=stage)
            plotted = True
    if plotted:
        ax.set_xlabel(f"ms (values above {upper:.0f} ms shown at the right edge)")
        ax.set_ylabel("runs")
        ax.legend(fontsize=8)
        ax.set_title("Latency per stage")
        out["latency"] = _png(fig)
    else:
        plt.close(fig)
    return out


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
font-size:.9rem;vertical-align:top;text-align:left}th{background:#f3f3f3}.bad{color:#b00020;font-weight:600}
.ok{color:#1b5e20;font-weight:600}
details{margin:.4rem 0;padding:.3rem .6rem;border:1px solid #ddd;border-radius:4px}
summary{cursor:pointer}
pre{white-space:pre-wrap;background:#fafafa;padding:.4rem;font-size:.85rem;max-height:20rem;
overflow:auto}img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:1rem}
"""


def _esc(value) -> str:
    return html.escape(str(value if value is not None else ""))


def _short(text: str, limit: int = 2000) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more chars]"


def render_html(result: EvalResult, *, with_plots: bool = True) -> str:
    """The self-contained HTML report."""
    m = result.metrics
    gate = result.gate()
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>tda eval report</title>",
             f"<style>{_CSS}</style></head><body>", "<h1>tda eval report</h1>",
             f"<p>Started {_esc(result.started)} · {m.get('runs')} runs ({m.get('cases')} cases) · "
             f"{result.duration_s:.1f} s · settings {_esc(result.meta.get('settings_digest'))}</p>",
             "<p>Gate: " + ("<span class='ok'>green</span>" if not gate else
                            "<span class='bad'>red</span> — " + _esc("; ".join(gate))) + "</p>",
             "<h2>Headline metrics</h2><table>"]
    parts += [f"<tr><th>{_esc(n)}</th><td>{_esc(v)}</td></tr>" for n, v in summary_rows(result)]
    parts.append("</table>")
    parts.append("<h2>Per label</h2><table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
                 "<th>support</th><th>predicted</th></tr>")
    for label, s in m.get("per_label", {}).items():
        parts.append(f"<tr><td>{_esc(label)}</td><td>{_fmt(s['precision'])}</td><td>{_fmt(s['recall'])}</td>"
                     f"<td>{_fmt(s['f1'])}</td><td>{s['support']}</td><td>{s['predicted']}</td></tr>")
    parts.append("</table><h2>Per case group</h2><table><tr><th>group</th><th>runs</th><th>pass rate</th>"
                 "<th>decision accuracy</th><th>leaks</th><th>crashes</th></tr>")
    rows = list(m.get("per_group", {}).items())
    rows += [(f"suite: {k}", v) for k, v in m.get("per_suite", {}).items()]
    for g, s in rows:
        parts.append(f"<tr><td>{_esc(g)}</td><td>{s['runs']}</td><td>{_fmt(s['pass_rate'])}</td>"
                     f"<td>{_fmt(s['decision_accuracy'])}</td><td>{s['leaks']}</td>"
                     f"<td>{s['crashes']}</td></tr>")
    parts.append("</table><h2>Latency (ms)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th><th>max</th>"
                 "<th>n</th></tr>")
    for stage, s in m.get("latency_ms", {}).items():
        parts.append(f"<tr><td>{_esc(stage)}</td><td>{_fmt(s['p50'])}</td><td>{_fmt(s['p95'])}</td>"
                     f"<td>{_fmt(s['max'])}</td><td>{s['n']}</td></tr>")
    parts.append("</table>")
    if m.get("per_rail"):
        parts.append("<h2>Per rail (decision trace)</h2><table><tr><th>rail</th><th>p50 ms</th><th>p95 ms</th>"
                     "<th>actions</th></tr>")
        for rail, s in m["per_rail"].items():
            acts = ", ".join(f"{a}: {n}" for a, n in sorted(s["actions"].items()))
            parts.append(f"<tr><td>{_esc(rail)}</td><td>{_fmt(s['p50_ms'])}</td><td>{_fmt(s['p95_ms'])}</td>"
                         f"<td>{_esc(acts)}</td></tr>")
        parts.append("</table>")
    if m.get("per_rule"):
        parts.append("<h2>Per rule (blocked or declined)</h2><table><tr><th>rule id</th><th>runs</th>"
                     "<th>passed</th><th>expected labels</th></tr>")
        for rid, s in m["per_rule"].items():
            exp = ", ".join(f"{a}: {n}" for a, n in sorted(s["expected"].items()))
            parts.append(f"<tr><td>{_esc(rid)}</td><td>{s['runs']}</td><td>{s['passed']}</td>"
                         f"<td>{_esc(exp)}</td></tr>")
        parts.append("</table>")
    if with_plots:
        try:
            images = plots(result)
        except Exception:  # the report must still be written without plots
            logger.exception("plotting failed")
            images = {}
        if images:
            parts.append("<h2>Plots</h2><div class='grid'>")
            parts += [f"<img alt='{_esc(name)}' src='data:image/png;base64,{b64}'>"
                      for name, b64 in images.items()]
            parts.append("</div>")
    failing = result.failing()
    parts.append(f"<h2>Failing runs ({len(failing)})</h2>")
    for r in sorted(failing, key=lambda r: (r.group, r.run_id)):
        parts.append(_case_html(r))
    parts.append("<h2>Metric definitions</h2><pre>" + _esc(_definitions()) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _definitions() -> str:
    from evals import metrics

    return (metrics.__doc__ or "").strip()


def _case_html(r) -> str:
    cites = "".join(
        f"<li>{_esc(c.get('source'))} r.{_esc(c.get('lines'))} §{_esc(c.get('section'))}: "
        f"{_esc(_short(str(c.get('quote', '')), 400))}</li>" for c in r.citations)
    rules = "".join(f"<li>{_esc(x.get('id'))}: {_esc(x.get('reason'))}</li>" for x in r.rules)
    trace = "".join(
        f"<tr><td>{_esc(d.get('rail'))}</td><td>{_esc(d.get('action'))}</td><td>{_esc(d.get('rule_id'))}</td>"
        f"<td>{_esc(d.get('category'))}</td><td>{_esc(d.get('reason'))}</td></tr>" for d in r.decisions)
    return (
        f"<details><summary><b>{_esc(r.run_id)}</b> [{_esc(r.group)}; {_esc(r.role)}] expected "
        f"<b>{_esc(r.expected)}</b>, got <span class='bad'>{_esc(r.got_label)}</span> — "
        f"{_esc('; '.join(r.failures)[:240])}</summary>"
        f"<p><b>Message</b></p><pre>{_esc(_short(r.message, 1500))}</pre>"
        f"<p><b>Reply</b> ({_esc(r.got_decision)} / {_esc(r.got_category)})</p>"
        f"<pre>{_esc(_short(r.text))}</pre>"
        + (f"<p><b>Rules</b></p><ul>{rules}</ul>" if rules else "")
        + (f"<p><b>Citations</b></p><ul>{cites}</ul>" if cites else "")
        + (f"<p><b>Decisions</b></p><table><tr><th>rail</th><th>action</th><th>rule</th><th>category</th>"
           f"<th>reason</th></tr>{trace}</table>" if trace else "")
        + (f"<p><b>Error</b></p><pre>{_esc(r.error)}</pre>" if r.error else "")
        + "</details>"
    )


def write_report(result: EvalResult, out_dir: str | Path, *, with_plots: bool = True) -> dict[str, Path]:
    """Write ``report.html``, ``report.json`` and ``summary.md`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "json": out / "report.json", "md": out / "summary.md"}
    result.save(paths["json"])
    # errors="replace": adversarial inputs may hold lone surrogates that UTF-8 cannot encode.
    paths["html"].write_text(render_html(result, with_plots=with_plots), encoding="utf-8", errors="replace")
    paths["md"].write_text(markdown_summary(result), encoding="utf-8", errors="replace")
    return paths


def format_comparison(diff: dict) -> str:
    """Plain-text rendering of :func:`evals.runner.compare`."""
    lines = ["Metrics (old -> new):"]
    for key, d in diff["metrics"].items():
        delta = f" ({d['delta']:+.4f})" if d["delta"] is not None else ""
        lines.append(f"  {key}: {_fmt(d['old'])} -> {_fmt(d['new'])}{delta}")
    for title, rows in (("Better", diff["better"]), ("Worse", diff["worse"]), ("Changed", diff["changed"])):
        lines.append(f"{title} ({len(rows)}):")
        for row in rows:
            if row["new_failures"]:
                why = "now: " + "; ".join(row["new_failures"])[:160]
            else:
                why = "was: " + "; ".join(row["old_failures"])[:160] if row["old_failures"] else ""
            lines.append(f"  {row['run_id']} [{row['group']}] expected {row['expected']}: "
                         f"{row['old']} -> {row['new']}" + (f" — {why}" if why else ""))
    if diff["added"]:
        lines.append(f"New runs ({len(diff['added'])}): " + ", ".join(diff["added"][:50]))
    if diff["removed"]:
        lines.append(f"Removed runs ({len(diff['removed'])}): " + ", ".join(diff["removed"][:50]))
    return "\n".join(lines)
