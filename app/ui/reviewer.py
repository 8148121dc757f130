"""The reviewer tab ("Auditlog"): search, show, verify and export the audit log.

Everything is shown in Dutch: labels instead of codes (the codes stay in the detail view), local
time (Europe/Amsterdam) instead of UTC, Dutch field names, placeholders such as ``<HEALTH_DATA>``
as ``[gezondheidsgegeven]``. Turns of the trainer's evaluation runs are hidden unless asked for;
the risk queue shows refusals, health data seen in an employer's message and failed redactions.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import datetime
from types import SimpleNamespace

import gradio as gr

from app.audit.export import (
    ACTION_NL,
    CATEGORY_NL,
    DECISION_NL,
    FIELD_NL,
    KIND_NL,
    LOCAL_TZ,
    RISK_NL,
    ROLE_NL,
    label,
    local_time,
    nl_placeholders,
    rail_nl,
)
from app.audit.filters import is_eval, risk_reasons
from app.ui.chat import clean_message
from app.ui.layout import (
    AUDIT_ROLES,
    CHAT_ROLES,
    _lines,
    _md_escape,
    _request_cookies,
    _short,
    guarded,
)

#: The results table: headers and column widths (the table scrolls inside its own box on a phone).
TABLE_HEADERS = ["Nr.", "Tijd", "Rol", "Besluit", "Categorie", "Risico", "Gebruiker", "Vraag (afgeschermd)"]
TABLE_WIDTHS = ["56px", "105px", "105px", "110px", "195px", "215px", "130px", "300px"]
#: The style of a row in the risk queue (the whole row, so that it shows on a phone too).
RISK_ROW_STYLE = "background-color: #fdecea; color: #7b241c"
MAX_ROWS = 500
VIEW_ALL, VIEW_RISK = "all", "risk"
RISK_MARK = "⚠"

# Column widths and phone layout of the audit tab (in a <style> of the tab: the shared CSS is
# app.ui.layout's). Headers never break inside a word; the table scrolls in its own box.
REVIEWER_CSS = """
#tab-audit, #tab-audit * { box-sizing: border-box; }
#tab-audit { max-width: 100%; overflow-x: hidden; }
#tda-audit-table { max-width: 100%; }
#tda-audit-table .table-wrap, #tda-audit-table .table-container { overflow-x: auto; max-width: 100%; }
#tda-audit-table th, #tda-audit-table th * { word-break: normal !important; overflow-wrap: normal !important;
  hyphens: none !important; }
#tda-audit-table td, #tda-audit-table td * { word-break: normal; overflow-wrap: normal; hyphens: none; }
#tda-audit-detail { overflow-wrap: anywhere; }
#tda-audit-detail table { display: block; overflow-x: auto; max-width: 100%; }
#tda-audit-detail th { word-break: normal; overflow-wrap: normal; white-space: nowrap; }
.tda-risk-banner { border-left: 6px solid #c0392b; background: #fdecea; padding: 6px 10px; border-radius: 6px; }
@media (max-width: 640px) {
  #tab-audit .form, #tab-audit .row { flex-wrap: wrap; }
  #tab-audit .row > * { min-width: 100% !important; flex: 1 1 100% !important; }
}
"""


def _day(value, what: str) -> dt.date | None:
    """A filter date as typed: ``JJJJ-MM-DD`` or ``DD-MM-JJJJ`` (None when empty)."""
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise gr.Error(f"{what}: gebruik de vorm JJJJ-MM-DD of DD-MM-JJJJ (bijvoorbeeld 2026-12-01).",
                   title="Ongeldige invoer")


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _records_word(n: int) -> str:
    return "1 record" if n == 1 else f"{n} records"


class ReviewerTab:
    """The audit-log tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``audit`` and
    ``downloads`` of the app)."""

    def _need_audit(self):
        if self.audit is None:
            raise gr.Error("Er is geen auditlog geconfigureerd (audit_enabled staat uit).")
        return self.audit

    @staticmethod
    def _filter(date_from, date_to, role, decision, category, rule_id, text, user="", show_eval=False,
                view=VIEW_ALL):
        """The ``AuditFilter`` of the tab's fields. Days are local (Europe/Amsterdam) days."""
        from app.audit import AuditFilter

        def s(value):
            value = value.strip() if isinstance(value, str) else value
            return value or None

        day_from, day_to = _day(date_from, "Vanaf"), _day(date_to, "Tot en met")
        if day_from and day_to and day_to < day_from:
            raise gr.Error("Tot en met ligt vóór Vanaf.", title="Ongeldige invoer")
        text_value = s(text)
        if text_value is not None:
            text_value, _, problem = clean_message(text_value, 500)
            if problem:
                raise gr.Error(f"Zoektekst: {problem}", title="Ongeldige invoer")
        user_value = s(user)
        if user_value is not None and len(user_value) > 200:
            raise gr.Error("Gebruiker: die naam is te lang.", title="Ongeldige invoer")
        return AuditFilter(
            date_from=_local_midnight(day_from) if day_from else None,
            date_to=_local_midnight(day_to + dt.timedelta(days=1)) if day_to else None,  # exclusive
            role=s(role), decision=s(decision), category=s(category), rule_id=s(rule_id),
            text=text_value or None, user=user_value, include_eval=bool(show_eval), risk=view == VIEW_RISK)

    @staticmethod
    def _describe(flt) -> str:
        """What the filter hides, for the status lines."""
        parts = []
        if flt.risk:
            parts.append("alleen de risico-wachtrij")
        if not flt.include_eval:
            parts.append("evaluatieturns verborgen")
        return f" ({'; '.join(parts)})" if parts else ""

    @guarded
    def audit_query(self, date_from, date_to, role, decision, category, rule_id, text,
                    request: gr.Request, user="", show_eval=False, view=VIEW_ALL):
        """Search the audit log. Returns a table of records and a status line.

        ``request`` sits before the newer filters so that callers passing the first seven filters
        positionally keep working (Gradio inserts the request by its annotation).
        """
        self.role_for(request, AUDIT_ROLES)
        audit = self._need_audit()
        flt = self._filter(date_from, date_to, role, decision, category, rule_id, text, user, show_eval, view)
        records = audit.query(flt, limit=MAX_ROWS, offset=0)
        rows = [_row(r) for r in records]
        if not rows:
            return rows, f"Geen records gevonden met deze filters{self._describe(flt)}."
        more = f" De nieuwste {MAX_ROWS} worden getoond." if len(rows) >= MAX_ROWS else ""
        return rows, (f"{_records_word(len(rows))} gevonden{self._describe(flt)}.{more} "
                      f"Klik op een rij voor de details.")

    @guarded
    def audit_query_view(self, date_from, date_to, role, decision, category, rule_id, text,
                         request: gr.Request, user="", show_eval=False, view=VIEW_ALL):
        """``audit_query`` for the screen: the rows of the risk queue tinted (a pandas Styler)."""
        rows, status = self.audit_query(date_from, date_to, role, decision, category, rule_id, text, request,
                                        user, show_eval, view)
        return _styled(rows), status

    @guarded
    def audit_detail(self, record_id, request: gr.Request):
        """Show one audit record with its decisions and citations."""
        self.role_for(request, AUDIT_ROLES)
        audit = self._need_audit()
        try:
            rid = int(record_id)
        except (TypeError, ValueError):
            raise gr.Error("Vul een geldig recordnummer in.", title="Ongeldige invoer") from None
        record = audit.get(rid)
        if not record:
            return f"Record {rid} bestaat niet."
        return _record_md(record)

    @guarded
    def audit_pick(self, evt: gr.SelectData, request: gr.Request):
        """Show the record of the clicked row in the results table."""
        self.role_for(request, AUDIT_ROLES)
        row = getattr(evt, "row_value", None) or []
        try:
            rid = int(row[0])
        except (TypeError, ValueError, IndexError):
            return gr.skip(), gr.skip()
        return rid, self.audit_detail(rid, request)

    @guarded
    def audit_verify(self, request: gr.Request):
        """Verify the hash chain of the audit log."""
        self.role_for(request, AUDIT_ROLES)
        res = self._need_audit().verify()
        if res.ok:
            return f"Keten intact: {_records_word(res.checked)} gecontroleerd."
        return (f"KETEN VERBROKEN bij record {res.first_bad}: {res.problem} "
                f"({_records_word(res.checked)} gecontroleerd).")

    @guarded
    def audit_export(self, fmt, date_from, date_to, role, decision, category, rule_id, text,
                     request: gr.Request, user="", show_eval=False, view=VIEW_ALL):
        """Export the records the current filters show, as CSV (Dutch Excel) or JSONL: a one-time
        link bound to this session. Never an empty file: no match is said in Dutch."""
        username, _role = self.role_for(request, AUDIT_ROLES)
        audit = self._need_audit()
        fmt = fmt if fmt in ("csv", "jsonl") else "csv"
        flt = self._filter(date_from, date_to, role, decision, category, rule_id, text, user, show_eval, view)
        if audit.count(flt) == 0:
            return (f"**Niets geëxporteerd:** geen enkel record past bij de filters die nu aanstaan"
                    f"{self._describe(flt)}. Pas de filters aan en probeer het opnieuw.")
        counted: dict = {}
        name = f"auditlog-{datetime.now(LOCAL_TZ).strftime('%Y%m%d-%H%M%S')}.{fmt}"
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
        try:
            url = self.downloads.create(
                cookies=_request_cookies(request), user=username, roles=AUDIT_ROLES, filename=name, media_type=media,
                write=lambda fh: counted.update(n=audit.export(flt, fmt, fh, dutch=fmt == "csv")))
        except PermissionError:
            raise gr.Error("Geen sessie gevonden om de export aan te koppelen. Log opnieuw in.") from None
        minutes = round(self.downloads.ttl_s / 60)
        kind = "CSV (voor Excel)" if fmt == "csv" else "JSONL"
        return (f"{_records_word(counted['n'])} geëxporteerd als {kind}{self._describe(flt)}. "
                f"[Download {name}]({url}) — alleen in deze sessie, één keer, {minutes} minuten geldig.")

    # -- layout --------------------------------------------------------------------------------
    def _build_reviewer_tab(self) -> SimpleNamespace:
        """The audit-log tab's components (inside the app's ``gr.Tabs``)."""
        with gr.Tab("Auditlog", id="audit", visible=False, elem_id="tab-audit") as tab_audit:
            gr.HTML(f"<style>{REVIEWER_CSS}</style>", js_on_load=None, elem_id="tda-audit-css")
            with gr.Row():
                f_view = gr.Radio(label="Weergave", value=VIEW_ALL, elem_id="tda-audit-view",
                                  choices=[("Alle turns", VIEW_ALL), (f"{RISK_MARK} Risico-wachtrij", VIEW_RISK)])
                f_eval = gr.Checkbox(label="Evaluatieturns tonen", value=False, elem_id="tda-audit-eval")
            with gr.Row():
                f_from = gr.Textbox(label="Vanaf (JJJJ-MM-DD)", elem_id="tda-audit-from")
                f_to = gr.Textbox(label="Tot en met (JJJJ-MM-DD)", elem_id="tda-audit-to")
                f_user = gr.Textbox(label="Gebruiker", elem_id="tda-audit-user")
                f_text = gr.Textbox(label="Tekst bevat", elem_id="tda-audit-text")
            with gr.Row():
                f_role = gr.Dropdown(label="Rol", value="", elem_id="tda-audit-role",
                                     choices=[("alle", "")] + [(ROLE_NL.get(r, r), r) for r in CHAT_ROLES])
                f_decision = gr.Dropdown(label="Besluit", value="", elem_id="tda-audit-decision",
                                         choices=[("alle", "")] + [(v, k) for k, v in DECISION_NL.items()])
                f_category = gr.Dropdown(label="Categorie", value="", elem_id="tda-audit-category",
                                         choices=[("alle", "")] + [(v, k) for k, v in CATEGORY_NL.items()])
                f_rule = gr.Textbox(label="Regel-id", elem_id="tda-audit-rule")
            with gr.Row():
                search = gr.Button("Zoeken", variant="primary", elem_id="tda-audit-search")
                export_csv = gr.Button("Exporteer wat getoond wordt (CSV voor Excel)", elem_id="tda-export-csv")
                export_jsonl = gr.Button("Exporteer als JSONL", elem_id="tda-export-jsonl")
            export_status = gr.Markdown("", elem_id="tda-export-status")
            audit_status = gr.Markdown("", elem_id="tda-audit-status")
            audit_table = gr.Dataframe(headers=TABLE_HEADERS, column_widths=TABLE_WIDTHS, interactive=False,
                                       wrap=True, max_height=560, elem_id="tda-audit-table")
            with gr.Row():
                rec_id = gr.Number(label="Recordnummer", precision=0)
                show = gr.Button("Details tonen")
                verify = gr.Button("Keten controleren", elem_id="tda-audit-verify")
            verify_status = gr.Markdown("", elem_id="tda-verify-status")
            detail = gr.Markdown("", elem_id="tda-audit-detail")
            # the export format as a (hidden) input: the API endpoint takes it as its first value
            fmt_csv = gr.Textbox(value="csv", visible=False)
            fmt_jsonl = gr.Textbox(value="jsonl", visible=False)

        # The first seven in the order of the handlers' positional filters, then the newer ones.
        filters = [f_from, f_to, f_role, f_decision, f_category, f_rule, f_text, f_user, f_eval, f_view]
        return SimpleNamespace(tab=tab_audit, filters=filters, search=search, status=audit_status,
                               table=audit_table, rec_id=rec_id, show=show, verify=verify,
                               verify_status=verify_status, detail=detail, export_csv=export_csv,
                               export_jsonl=export_jsonl, fmt_csv=fmt_csv, fmt_jsonl=fmt_jsonl,
                               export_status=export_status,
                               textboxes=[f_from, f_to, f_user, f_text, f_rule],
                               toggles=[f_view, f_eval, f_role, f_decision, f_category])

    def _wire_reviewer_tab(self, c: SimpleNamespace) -> None:
        """The audit-log tab's events: Enter in a field and every choice run the search."""
        out = [c.table, c.status]

        def clear_export():
            return ""   # an export message belongs to the filters it was made with

        events = [c.search.click(self.audit_query_view, c.filters, out, api_name="audit_query")]
        for box in c.textboxes:
            events.append(box.submit(self.audit_query_view, c.filters, out, api_visibility="private"))
        for choice in c.toggles:
            events.append(choice.input(self.audit_query_view, c.filters, out, api_visibility="private"))
        events.append(c.tab.select(self.audit_query_view, c.filters, out, api_visibility="private"))
        for event in events:
            event.then(clear_export, None, c.export_status, api_visibility="private")
        c.show.click(self.audit_detail, c.rec_id, c.detail, api_name="audit_detail")
        c.table.select(self.audit_pick, None, [c.rec_id, c.detail], api_visibility="private")
        c.verify.click(self.audit_verify, None, c.verify_status, api_name="audit_verify")
        c.export_csv.click(self.audit_export, [c.fmt_csv, *c.filters], [c.export_status], api_name="audit_export")
        c.export_jsonl.click(self.audit_export, [c.fmt_jsonl, *c.filters], [c.export_status],
                             api_visibility="private")


def _styled(rows: list[list]):
    """The rows as a table value: a DataFrame whose risk-queue rows are tinted."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=TABLE_HEADERS)
    if df.empty:
        return df
    risk_col = TABLE_HEADERS.index("Risico")
    return df.style.apply(lambda row: [RISK_ROW_STYLE if row.iloc[risk_col] else "" for _ in row], axis=1)


def _risk_text(record: dict) -> str:
    reasons = risk_reasons(record)
    return f"{RISK_MARK} " + ", ".join(RISK_NL.get(r, r) for r in reasons) if reasons else ""


def _row(r: dict) -> list:
    decision = label(DECISION_NL, r.get("decision"))
    kind = r.get("kind") or "chat"
    if kind != "chat":
        decision = f"{decision} · {label(KIND_NL, kind)}" if decision else label(KIND_NL, kind)
    user = r.get("user") or ""
    if is_eval(r):
        user = f"{user} (evaluatie)"
    return [r.get("id"), local_time(r.get("ts")), label(ROLE_NL, r.get("role")), decision,
            label(CATEGORY_NL, r.get("category")), _risk_text(r), user,
            _short(nl_placeholders(r.get("input_redacted")))]


def _rule_ids(record: dict) -> list[str]:
    ids = record.get("rule_ids")
    if isinstance(ids, list):
        return [str(i) for i in ids if i]
    ids = []
    for r in record.get("rules") or []:
        ids.append(r.get("id", "") if isinstance(r, dict) else str(r))
    return [i for i in ids if i]


def _text(value, n: int = 2000) -> str:
    """Stored text for Markdown: Dutch placeholders, escaped, cut."""
    return _md_escape(_short(nl_placeholders(value), n))


def _coded(mapping: dict, value) -> str:
    """``geweigerd (`refuse`)``: the Dutch label with the stored code next to it."""
    if value is None or value == "":
        return "–"
    text = label(mapping, value)
    return f"{_md_escape(text)} (`{_md_escape(value)}`)" if text != str(value) else f"`{_md_escape(value)}`"


def _evidence(d: dict) -> str:
    labels: dict[str, int] = {}
    for e in d.get("evidence") or ():
        if isinstance(e, dict):
            key = nl_placeholders(e.get("label") or "?")
            labels[key] = labels.get(key, 0) + 1
    return ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in labels.items())


def _record_md(record: dict) -> str:
    lines = [f"### Record {record.get('id')}"]
    reasons = risk_reasons(record)
    if reasons:
        lines.append(f"> {RISK_MARK} **Risico:** " + ", ".join(RISK_NL.get(r, r) for r in reasons))
    if is_eval(record):
        lines.append("> Deze turn komt uit een evaluatierun van de trainer.")
    ts = record.get("ts")
    lines.append(f"- **Tijd**: {_md_escape(local_time(ts))} (Nederlandse tijd; opgeslagen als `{_md_escape(ts)}` UTC)")
    lines.append(f"- **{FIELD_NL['kind']}**: {_coded(KIND_NL, record.get('kind'))}")
    lines.append(f"- **{FIELD_NL['user']}**: {_md_escape(record.get('user') or '–')}")
    lines.append(f"- **{FIELD_NL['role']}**: {_coded(ROLE_NL, record.get('role'))}")
    lines.append(f"- **{FIELD_NL['session_id']}**: `{_md_escape(record.get('session_id') or '')}`")
    lines.append(f"- **{FIELD_NL['decision']}**: {_coded(DECISION_NL, record.get('decision'))}")
    lines.append(f"- **{FIELD_NL['category']}**: {_coded(CATEGORY_NL, record.get('category'))}")
    ids = _rule_ids(record)
    lines.append(f"- **{FIELD_NL['rule_ids']}**: " + (", ".join(f"`{_md_escape(i)}`" for i in ids) or "–"))
    lines.append(f"- **{FIELD_NL['input_redacted']}**: {_text(record.get('input_redacted'))}")
    lines.append(f"- **{FIELD_NL['reply_redacted']}**: {_text(record.get('reply_redacted'))}")
    notices = record.get("notices") or []
    if notices:
        lines.append(f"- **{FIELD_NL['notices']}**: " + " · ".join(_text(n, 400) for n in notices))
    rules = record.get("rules") or []
    if rules:
        lines.append("\n**Regels**\n")
        for r in rules:
            if isinstance(r, dict):
                lines.append(f"- `{_md_escape(r.get('id', ''))}`: {_text(r.get('reason', ''), 600)} "
                             f"_(bron {_md_escape(r.get('source', ''))}, regels {_lines(r.get('lines'))})_")
    decisions = record.get("decisions") or []
    if decisions:
        rows = ["| rail | actie | regel | reden | categorie | risico | gevonden |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for d in decisions:
            if isinstance(d, dict):
                risk = d.get("risk")
                rows.append("| " + " | ".join([
                    f"{_md_escape(rail_nl(d.get('rail', '')))} (`{_md_escape(d.get('rail', ''))}`)",
                    _md_escape(label(ACTION_NL, d.get("action", ""))), _md_escape(d.get("rule_id", "")),
                    _text(d.get("reason", ""), 300), _md_escape(label(CATEGORY_NL, d.get("category") or "")),
                    f"{risk:.2f}" if isinstance(risk, (int, float)) else "", _md_escape(_evidence(d))]) + " |")
        lines.append("\n**Railbeslissingen**\n\n" + "\n".join(rows))
    citations = record.get("citations") or []
    if citations:
        lines.append("\n**Citaten**\n")
        for c in citations:
            if isinstance(c, dict):
                lines.append(f"- bron {_md_escape(c.get('source', ''))} {_md_escape(c.get('section', ''))}, "
                             f"regels {_lines(c.get('lines'))}: _{_text(c.get('quote'), 400)}_")
    timings = record.get("timings_ms")
    if timings:
        lines.append(f"\n**{FIELD_NL['timings_ms']}:** `{_md_escape(json.dumps(timings, ensure_ascii=False))}`")
    meta = record.get("meta")
    tech = [(FIELD_NL["app_version"], record.get("app_version")),
            (FIELD_NL["settings_digest"], record.get("settings_digest")),
            (FIELD_NL["key_id"], record.get("key_id")), (FIELD_NL["prev_hash"], record.get("prev_hash")),
            (FIELD_NL["hash"], record.get("hash"))]
    if meta:
        tech.append((FIELD_NL["meta"], json.dumps(meta, ensure_ascii=False)))
    lines.append("\n**Technisch**\n")
    lines += [f"- {name}: `{_md_escape(value or '')}`" for name, value in tech]
    lines.append("\n_Afgeschermde delen staan tussen [ ], bijvoorbeeld [gezondheidsgegeven]; "
                 "opgeslagen (en in de export) als `<HEALTH_DATA>`._")
    return "\n".join(lines)
