"""Eval report: one self-contained HTML file (plots embedded as base64 PNG), JSON and a Markdown summary.

``write_report(result, out_dir) -> {"html": path, "json": path, "md": path}``.
The HTML is static (no scripts, no external resources) so it can be downloaded and opened anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from pathlib import Path

from evals.metrics import (
    CATEGORY_NL,
    ROLE_NL,
    STAGES,
    VERDICT_FAIL,
    expected_nl,
    label_nl,
    reasons_nl,
    verdict_nl,
)
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


# Dutch names of the headline metrics (the trainer tab and the HTML report); the CLI keeps HEADLINE.
HEADLINE_NL = (
    ("pass_rate", "Geslaagd (juiste beslissing en reden, moet-noemen, geen lek, gemaskeerd)"),
    ("decision_accuracy", "Juiste beslissing"),
    ("refusal_recall", "Weigeringen terecht geweigerd"),
    ("refusal_category_accuracy", "Weigeringen met de juiste reden"),
    ("false_refusal_rate", "Onterecht geweigerd"),
    ("leaks", "Runs met een lek"),
    ("crashes", "Vastgelopen runs"),
    ("must_mention_rate", "Moet-noemen gevonden (groepen)"),
    ("citation_source_match", "Juiste bron geciteerd"),
    ("retrieval_recall_at_k", "Zoeken: gevonden in top k"),
    ("retrieval_mrr", "Zoeken: gemiddelde reciproque rang (MRR)"),
    ("redaction_recall", "Persoonsgegevens gemaskeerd"),
    ("borderline_decision_accuracy", "Juiste beslissing bij grensgevallen"),
)
GROUP_NL = {
    "adversarial": "aanvallen en rare invoer",
    "intake": "gespreksscripts",
    "multi_turn": "gesprekken met voorgeschiedenis",
    "normative": "normatieve vragen",
    "not_found": "niet in de bronnen",
    "partial": "gedeeltelijk antwoord",
    "pii": "persoonsgegevens",
    "refuse_delegation": "weigeren: buiten de taakdelegatie",
    "refuse_health_data": "weigeren: gezondheidsgegevens",
    "refuse_medical": "weigeren: medisch oordeel",
    "refuse_injection": "weigeren: regels omzeilen",
    "refuse_out_of_scope": "weigeren: buiten het onderwerp",
    "trainer": "eigen cases (trainer)",
    "reference": "referentiecases",
}
SUITE_NL = {"project": "projectcases", "trainer": "eigen cases (trainer)", "reference": "referentiecases"}


def group_nl(group: str) -> str:
    """Readable Dutch name of a case group (file category)."""
    return GROUP_NL.get(group, group)


def _pct(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value * 100:.1f} %".replace(".", ",")
    return str(value)


def summary_rows_nl(result: EvalResult) -> list[tuple[str, str]]:
    """(Dutch name, value) rows of the headline metrics; rates as percentages with a decimal comma."""
    m = result.metrics
    rows = [("Runs / cases", f"{m.get('runs')} / {m.get('cases')}"),
            ("Geslaagd (aantal)", f"{m.get('passed')} van {m.get('runs')}")]
    for key, name in HEADLINE_NL:
        value = m.get(key)
        if key == "retrieval_recall_at_k" and m.get("retrieval_k"):
            name = f"Zoeken: gevonden in top {m['retrieval_k']}"
        rows.append((name, _pct(value) if key not in ("leaks", "crashes") else _fmt(value)))
    rows.append(("Duur (s)", f"{result.duration_s:.1f}".replace(".", ",")))
    return rows


def gate_nl(result: EvalResult) -> str:
    """The release gate in Dutch: ``groen`` or ``rood: ...``."""
    problems = result.gate()
    return "groen" if not problems else "rood: " + "; ".join(problems)


def corpus_rows_nl(g: dict) -> list[tuple[str, str]]:
    """(Dutch name, value) rows of the intent corpus test split (:func:`evals.intent_eval.metrics`)."""
    o = g.get("overall") or {}
    rows = [("Berichten", str(g.get("n", "–"))),
            ("Weigeringen terecht geweigerd (recall)", _pct(o.get("recall"))),
            ("Weigeringen die terecht waren (precisie)", _pct(o.get("precision"))),
            ("F1", _pct(o.get("f1"))),
            ("Onterecht geweigerd", f"{_pct(o.get('false_refusal'))} van {o.get('negatives', '–')} toegestane"),
            ("Met voorgeschiedenis: terecht geweigerd",
             _pct((g.get("multi_turn") or {}).get("recall")))]
    for cat, d in (g.get("per_category") or {}).items():
        rows.append((f"Reden {CATEGORY_NL.get(cat, cat)}: terecht geweigerd / juiste reden",
                     f"{_pct(d.get('recall'))} / {_pct(d.get('category_precision'))} (n={d.get('n')})"))
    return rows


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
        ax.set_xlabel("kreeg")
        ax.set_ylabel("verwacht")
        peak = max((v for row in matrix for v in row), default=0) or 1
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                if v:
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                            color="white" if v > peak / 2 else "black")
        ax.set_title("Verwacht tegen gekregen (uitkomsten)")
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
        ax.set_title("Per uitkomst: precisie / recall / F1")
        out["per_label"] = _png(fig)

    per_group = m.get("per_group") or {}
    if per_group:
        names = list(per_group)
        fig, ax = plt.subplots(figsize=(7, 3.2))
        ax.bar(names, [per_group[n]["pass_rate"] or 0 for n in names], color="#4c72b0", label="geslaagd")
        ax.plot(names, [per_group[n]["decision_accuracy"] or 0 for n in names], "o", color="#dd8452",
                label="juiste beslissing")
        ax.set_ylim(0, 1.05)
        ax.tick_params(axis="x", rotation=30, labelsize=8)
        ax.legend(fontsize=8)
        ax.set_title("Per categorie")
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
        ax.set_xlabel(f"ms (waarden boven {upper:.0f} ms aan de rechterrand)")
        ax.set_ylabel("runs")
        ax.legend(fontsize=8)
        ax.set_title("Snelheid per stap")
        out["latency"] = _png(fig)
    else:
        plt.close(fig)
    return out


_CSS = """
body{font-family:system-ui,sans-serif;margin:1rem;max-width:1200px;color:#222}
h1,h2,h3,th{overflow-wrap:normal;word-break:normal;hyphens:manual}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
font-size:.9rem;vertical-align:top;text-align:left}th{background:#f3f3f3}.bad{color:#b00020;font-weight:600}
.ok{color:#1b5e20;font-weight:600}.rows td{min-width:7rem}.rows td.q{min-width:14rem}
details{margin:.4rem 0;padding:.3rem .6rem;border:1px solid #ddd;border-radius:4px}
summary{cursor:pointer}section{margin-bottom:2rem}.meta{color:#666;font-size:.85rem}
pre{white-space:pre-wrap;background:#fafafa;padding:.4rem;font-size:.85rem;max-height:20rem;
overflow:auto}img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:1rem}
"""


def _esc(value) -> str:
    return html.escape(str(value if value is not None else ""))


def _short(text: str, limit: int = 2000) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + f"… [nog {len(text) - limit} tekens]"


def _table(head: list[str], rows: list[list[str]], *, cls: str = "") -> str:
    """An HTML table inside its own horizontally scrolling box (cells already escaped)."""
    out = [f"<div class='scroll'><table class='{cls}'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(cell if cell.startswith("<td") else f"<td>{cell}</td>" for cell in row) + "</tr>"
            for row in rows]
    out.append("</table></div>")
    return "".join(out)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text) -> str:
    """Text safe for the screen and JSON: control characters and lone surrogates (adversarial cases)
    become U+FFFD, so a UI update never fails to serialise."""
    return _CONTROL_RE.sub("\ufffd", str(text or ""))


def row_nl(r) -> dict:
    """One run as the Dutch row of the screen and the report: question, expected, answer, verdict, why."""
    return {"vraag": printable(_short(r.message, 300)), "rol": ROLE_NL.get(r.role, r.role),
            "verwacht": expected_nl(r.acceptable), "kreeg": label_nl(r.got_label or ("crash" if r.crashed else None)),
            "antwoord": printable(_short(r.text or r.error, 240)), "oordeel": verdict_nl(r),
            "waarom": printable("; ".join(reasons_nl(r))), "case": r.run_id, "groep": group_nl(r.group)}


def corpus_section_html(generalisation: dict | None) -> str:
    """The intent corpus test split as its own report section (or a note that it was not run)."""
    parts = ["<section id='testsplit'><h2>Generalisatie: testsplit van het intentiecorpus</h2>",
             "<p>Berichten die nooit zijn gebruikt om te trainen of af te stemmen, door dezelfde assistent "
             "(Assistant.respond). Deze cijfers staan los van de eigen cases hierboven.</p>"]
    if not generalisation:
        parts.append("<p class='meta'>Niet gedraaid bij deze evaluatie (draai de testsplit in het tabblad "
                     "Evaluatie of met <code>tda eval</code>).</p></section>")
        return "".join(parts)
    parts.append(_table(["metriek", "waarde"], [[_esc(n), _esc(v)] for n, v in corpus_rows_nl(generalisation)]))
    fails = generalisation.get("failures") or []
    if fails:
        parts.append(f"<details><summary>Fout beoordeelde berichten ({len(fails)})</summary>")
        parts.append(_table(["bericht", "rol", "verwacht", "kreeg"], [
            [_esc(_short(f.get("text", ""), 300)), _esc(ROLE_NL.get(f.get("role"), f.get("role"))),
             _esc(_corpus_label(f.get("expected"))), _esc(_corpus_label(f.get("got")))] for f in fails[:500]]))
        parts.append("</details>")
    parts.append("</section>")
    return "".join(parts)


def _corpus_label(value) -> str:
    if value == "allow":
        return "toestaan"
    if value in CATEGORY_NL:
        return f"weigeren ({CATEGORY_NL[value]})"
    if value == "partial":
        return "gedeeltelijk weigeren"
    return str(value or "")


def render_html(result: EvalResult, *, with_plots: bool = True, generalisation: dict | None = None) -> str:
    """The self-contained Dutch HTML report: the own cases and the corpus test split apart."""
    m = result.metrics
    suites = ", ".join(SUITE_NL.get(s, s) for s in result.meta.get("suites", [])) or "–"
    sel = result.meta.get("selection") or {}
    scope = ""
    if sel.get("case_id"):
        scope = f" · alleen case {_esc(sel['case_id'])}"
    elif sel.get("group"):
        scope = f" · alleen categorie {_esc(group_nl(sel['group']))}"
    parts = ["<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<title>tda evaluatierapport</title>",
             f"<style>{_CSS}</style></head><body>", "<h1>Evaluatierapport</h1>",
             f"<p class='meta'>Gestart {_esc(result.started)} · {m.get('runs')} runs ({m.get('cases')} cases) · "
             f"{result.duration_s:.1f} s · instellingen {_esc(result.meta.get('settings_digest'))}{scope}</p>",
             "<section id='eigen-cases'><h2>Eigen cases</h2>",
             f"<p>De cases van het project en van de trainer ({_esc(suites)}). De regels en kaarten zijn op "
             "deze cases afgestemd; de testsplit hieronder meet hoe het daarbuiten gaat.</p>",
             "<p>Releasepoort: " + ("<span class='ok'>groen</span>" if not result.gate() else
                                    "<span class='bad'>rood</span> — " + _esc("; ".join(result.gate()))) + "</p>",
             "<h3>Kerncijfers</h3>",
             _table(["metriek", "waarde"], [[_esc(n), _esc(v)] for n, v in summary_rows_nl(result)])]
    group_rows = [[_esc(group_nl(g)), str(s["runs"]), _esc(_pct(s["pass_rate"])), _esc(_pct(s["decision_accuracy"])),
                   str(s["leaks"]), str(s["crashes"])] for g, s in m.get("per_group", {}).items()]
    parts.append("<h3>Per categorie</h3>")
    parts.append(_table(["categorie", "runs", "geslaagd", "juiste beslissing", "lekken", "vastgelopen"], group_rows))
    parts.append("<h3>Per uitkomst</h3>")
    parts.append(_table(["verwachte uitkomst", "precisie", "recall", "F1", "aantal", "voorspeld"], [
        [_esc(label_nl(lab)), _fmt(s["precision"]), _fmt(s["recall"]), _fmt(s["f1"]), str(s["support"]),
         str(s["predicted"])] for lab, s in m.get("per_label", {}).items()]))
    failing = sorted(result.failing(), key=lambda r: (r.group, r.run_id))
    parts.append(f"<h3>Alle runs ({len(result.results)}, waarvan {len(failing)} {VERDICT_FAIL})</h3>")
    rows = []
    for r in sorted(result.results, key=lambda r: (r.passed, r.group, r.run_id)):
        d = row_nl(r)
        cls = "ok" if r.passed else "bad"
        rows.append([f"<td class='q'>{_esc(d['vraag'])}<br><span class='meta'>{_esc(d['case'])} · "
                     f"{_esc(d['groep'])}</span></td>",
                     _esc(d["rol"]), _esc(d["verwacht"]), f"<td class='q'>{_esc(d['antwoord'])}</td>",
                     f"<td><span class='{cls}'>{_esc(d['oordeel'])}</span></td>", _esc(d["waarom"])])
    parts.append(_table(["vraag", "rol", "verwacht", "antwoord (ingekort)", "oordeel", "waarom"], rows,
                        cls="rows"))
    if failing:
        parts.append(f"<h3>Details van de runs die {VERDICT_FAIL} zijn ({len(failing)})</h3>")
        parts += [_case_html(r) for r in failing]
    parts.append("<h3>Snelheid (ms)</h3>")
    parts.append(_table(["stap", "p50", "p95", "max", "n"], [
        [_esc(_STAGE_NL.get(st, st)), _fmt(s["p50"]), _fmt(s["p95"]), _fmt(s["max"]), str(s["n"])]
        for st, s in m.get("latency_ms", {}).items()]))
    if m.get("per_rule"):
        parts.append("<h3>Per regel (geweigerd of deels geweigerd)</h3>")
        parts.append(_table(["regel", "runs", "geslaagd", "verwachte uitkomsten"], [
            [_esc(rid), str(s["runs"]), str(s["passed"]),
             _esc(", ".join(f"{label_nl(a)}: {n}" for a, n in sorted(s["expected"].items())))]
            for rid, s in m["per_rule"].items()]))
    if with_plots:
        try:
            images = plots(result)
        except Exception:  # the report must still be written without plots
            logger.exception("plotting failed")
            images = {}
        if images:
            parts.append("<h3>Grafieken</h3><div class='grid'>")
            parts += [f"<img alt='{_esc(name)}' src='data:image/png;base64,{b64}'>"
                      for name, b64 in images.items()]
            parts.append("</div>")
    parts.append("</section>")
    parts.append(corpus_section_html(generalisation))
    parts.append("<section><h2>Definities (technisch, Engels)</h2><pre>" + _esc(_definitions()) + "</pre></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


_STAGE_NL = {"input_rails": "invoercontrole", "retrieval": "zoeken", "compose": "antwoord opstellen",
             "output_rails": "uitvoercontrole", "total": "totaal (assistent)", "wall": "totaal (gemeten)"}


def _definitions() -> str:
    from evals import metrics

    return (metrics.__doc__ or "").strip()


def _case_html(r) -> str:
    d = row_nl(r)
    cites = "".join(
        f"<li>{_esc(c.get('source'))} r.{_esc(c.get('lines'))} §{_esc(c.get('section'))}: "
        f"{_esc(_short(str(c.get('quote', '')), 400))}</li>" for c in r.citations)
    rules = "".join(f"<li>{_esc(x.get('id'))}: {_esc(x.get('reason'))}</li>" for x in r.rules)
    trace = "".join(
        f"<tr><td>{_esc(x.get('rail'))}</td><td>{_esc(x.get('action'))}</td><td>{_esc(x.get('rule_id'))}</td>"
        f"<td>{_esc(x.get('category'))}</td><td>{_esc(x.get('reason'))}</td></tr>" for x in r.decisions)
    return (
        f"<details><summary><b>{_esc(_short(r.message, 120))}</b> ({_esc(d['rol'])}; {_esc(d['groep'])}) — "
        f"<span class='bad'>{_esc(d['oordeel'])}</span>: {_esc(d['waarom'][:300])}</summary>"
        f"<p class='meta'>case {_esc(r.run_id)}</p>"
        f"<p><b>Vraag</b></p><pre>{_esc(_short(r.message, 1500))}</pre>"
        f"<p><b>Verwacht</b>: {_esc(d['verwacht'])}; <b>kreeg</b>: {_esc(d['kreeg'])}</p>"
        f"<p><b>Antwoord</b></p><pre>{_esc(_short(r.text))}</pre>"
        + (f"<p><b>Regels</b></p><ul>{rules}</ul>" if rules else "")
        + (f"<p><b>Bronnen</b></p><ul>{cites}</ul>" if cites else "")
        + (f"<p><b>Beslissingen van de controles</b></p><div class='scroll'><table><tr><th>controle</th>"
           f"<th>actie</th><th>regel</th><th>reden</th><th>toelichting</th></tr>{trace}</table></div>"
           if trace else "")
        + (f"<p><b>Fout</b></p><pre>{_esc(r.error)}</pre>" if r.error else "")
        + "</details>"
    )


def write_report(result: EvalResult, out_dir: str | Path, *, with_plots: bool = True,
                 generalisation: dict | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.json`` and ``summary.md`` into ``out_dir``.

    ``generalisation`` (the intent corpus test split, :func:`evals.runner.run_corpus_split`) is shown
    as its own section of the HTML report, apart from the own cases.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "json": out / "report.json", "md": out / "summary.md"}
    result.save(paths["json"])
    # errors="replace": adversarial inputs may hold lone surrogates that UTF-8 cannot encode.
    paths["html"].write_text(render_html(result, with_plots=with_plots, generalisation=generalisation), encoding="utf-8", errors="replace")
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
