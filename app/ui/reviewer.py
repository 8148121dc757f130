"""The reviewer tab ("Auditlog"): search, show, verify and export the audit log."""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace

import gradio as gr

from app.ui.chat import clean_message
from app.ui.layout import (
    AUDIT_ROLES,
    CATEGORY_LABELS,
    CHAT_ROLES,
    DECISION_LABELS,
    _lines,
    _md_escape,
    _request_cookies,
    _short,
    guarded,
    show_placeholders,
)


class ReviewerTab:
    """The audit-log tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``audit`` and
    ``downloads`` of the app)."""

    def _need_audit(self):
        if self.audit is None:
            raise gr.Error("Er is geen auditlog geconfigureerd (audit_enabled staat uit).")
        return self.audit

    @staticmethod
    def _filter(date_from, date_to, role, decision, category, rule_id, text):
        from app.audit import AuditFilter

        def s(value):
            value = value.strip() if isinstance(value, str) else value
            return value or None

        for value, label in ((date_from, "Vanaf"), (date_to, "Tot en met")):
            value = s(value)
            if value is not None:
                try:
                    date.fromisoformat(str(value)[:10])
                except ValueError:
                    raise gr.Error(f"{label}: gebruik de vorm JJJJ-MM-DD.", title="Ongeldige invoer") from None
        text_value = s(text)
        if text_value is not None:
            text_value, _, problem = clean_message(text_value, 500)
            if problem:
                raise gr.Error(f"Zoektekst: {problem}", title="Ongeldige invoer")
        return AuditFilter(date_from=(s(date_from) or "")[:10] or None, date_to=(s(date_to) or "")[:10] or None,
                           role=s(role), decision=s(decision), category=s(category),
                           rule_id=s(rule_id), text=text_value or None)

    @guarded
    def audit_query(self, date_from, date_to, role, decision, category, rule_id, text,
                    request: gr.Request):
        """Search the audit log. Returns a table of records and a status line."""
        self.role_for(request, AUDIT_ROLES)
        audit = self._need_audit()
        flt = self._filter(date_from, date_to, role, decision, category, rule_id, text)
        records = audit.query(flt, limit=500, offset=0)
        rows = [[r.get("id"), str(r.get("ts") or ""),
                 r.get("role"), r.get("decision"), r.get("category") or "",
                 ", ".join(_rule_ids(r)), r.get("user") or "", _short(r.get("input_redacted"))]
                for r in records]
        return rows, f"{len(rows)} record(s) gevonden (maximaal 500 getoond)."

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
            return f"Keten intact: {res.checked} record(s) gecontroleerd."
        return (f"KETEN VERBROKEN bij record {res.first_bad}: {res.problem} "
                f"({res.checked} record(s) gecontroleerd).")

    @guarded
    def audit_export(self, fmt, date_from, date_to, role, decision, category, rule_id, text,
                     request: gr.Request):
        """Export the filtered records as CSV or JSONL: a one-time link bound to this session."""
        username, _role = self.role_for(request, AUDIT_ROLES)
        audit = self._need_audit()
        fmt = fmt if fmt in ("csv", "jsonl") else "csv"
        flt = self._filter(date_from, date_to, role, decision, category, rule_id, text)
        counted: dict = {}
        name = f"audit-export-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{fmt}"
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
        try:
            url = self.downloads.create(cookies=_request_cookies(request), user=username, roles=AUDIT_ROLES,
                                        filename=name, media_type=media,
                                        write=lambda fh: counted.update(n=audit.export(flt, fmt, fh)))
        except PermissionError:
            raise gr.Error("Geen sessie gevonden om de export aan te koppelen. Log opnieuw in.") from None
        minutes = round(self.downloads.ttl_s / 60)
        return (f"{counted['n']} record(s) geëxporteerd als {fmt.upper()}. "
                f"[Download {name}]({url}) — alleen in deze sessie, één keer, {minutes} minuten geldig.")

    # -- layout --------------------------------------------------------------------------------
    def _build_reviewer_tab(self) -> SimpleNamespace:
        """The audit-log tab's components (inside the app's ``gr.Tabs``)."""
        with gr.Tab("Auditlog", id="audit", visible=False, elem_id="tab-audit") as tab_audit:
            with gr.Row():
                f_from = gr.Textbox(label="Vanaf (JJJJ-MM-DD)")
                f_to = gr.Textbox(label="Tot en met (JJJJ-MM-DD)")
                f_role = gr.Dropdown(label="Rol", choices=[("alle", "")] + [(r, r) for r in CHAT_ROLES],
                                     value="")
                f_decision = gr.Dropdown(label="Besluit", value="",
                                         choices=[("alle", "")] + [(v, k) for k, v in DECISION_LABELS.items()])
                f_category = gr.Dropdown(label="Categorie", value="",
                                         choices=[("alle", "")] + [(v, k) for k, v in CATEGORY_LABELS.items()])
            with gr.Row():
                f_rule = gr.Textbox(label="Regel-id")
                f_text = gr.Textbox(label="Tekst bevat")
                search = gr.Button("Zoeken", variant="primary", elem_id="tda-audit-search")
            audit_status = gr.Markdown("")
            audit_table = gr.Dataframe(headers=["id", "tijd", "rol", "besluit", "categorie", "regels", "gebruiker", "invoer (afgeschermd)"],
                                       interactive=False, wrap=True, elem_id="tda-audit-table")
            with gr.Row():
                rec_id = gr.Number(label="Recordnummer", precision=0)
                show = gr.Button("Details tonen")
                verify = gr.Button("Keten controleren", elem_id="tda-audit-verify")
            verify_status = gr.Markdown("", elem_id="tda-verify-status")
            detail = gr.Markdown("", elem_id="tda-audit-detail")
            with gr.Row():
                fmt = gr.Radio(["csv", "jsonl"], value="csv", label="Exportformaat")
                export = gr.Button("Exporteren")
            export_status = gr.Markdown("", elem_id="tda-export-status")

        filters = [f_from, f_to, f_role, f_decision, f_category, f_rule, f_text]
        return SimpleNamespace(tab=tab_audit, filters=filters, search=search, status=audit_status,
                               table=audit_table, rec_id=rec_id, show=show, verify=verify,
                               verify_status=verify_status, detail=detail, fmt=fmt, export=export,
                               export_status=export_status)

    def _wire_reviewer_tab(self, c: SimpleNamespace) -> None:
        """The audit-log tab's events."""
        c.search.click(self.audit_query, c.filters, [c.table, c.status], api_name="audit_query")
        c.tab.select(self.audit_query, c.filters, [c.table, c.status], api_visibility="private")
        c.show.click(self.audit_detail, c.rec_id, c.detail, api_name="audit_detail")
        c.table.select(self.audit_pick, None, [c.rec_id, c.detail], api_visibility="private")
        c.verify.click(self.audit_verify, None, c.verify_status, api_name="audit_verify")
        c.export.click(self.audit_export, [c.fmt, *c.filters], [c.export_status], api_name="audit_export")


def _rule_ids(record: dict) -> list[str]:
    ids = record.get("rule_ids")
    if isinstance(ids, list):
        return [str(i) for i in ids if i]
    ids = []
    for r in record.get("rules") or []:
        ids.append(r.get("id", "") if isinstance(r, dict) else str(r))
    return [i for i in ids if i]


def _record_md(record: dict) -> str:
    lines = [f"### Record {record.get('id')}"]
    skip = ("decisions", "citations", "rules", "redactions", "timings_ms", "rule_ids")
    for key, value in record.items():
        if key in skip:
            continue
        lines.append(f"- **{_md_escape(key)}**: {show_placeholders(_md_escape(_short(value, 2000)))}")
    rules = record.get("rules") or []
    if rules:
        lines.append("\n**Regels**\n")
        for r in rules:
            if isinstance(r, dict):
                lines.append(f"- `{_md_escape(r.get('id', ''))}`: {_md_escape(r.get('reason', ''))} "
                             f"_(bron {_md_escape(r.get('source', ''))}, regels {_lines(r.get('lines'))})_")
    decisions = record.get("decisions") or []
    if decisions:
        rows = ["| rail | actie | regel | reden | categorie | risico |", "| --- | --- | --- | --- | --- | --- |"]
        for d in decisions:
            if isinstance(d, dict):
                risk = d.get("risk")
                rows.append("| " + " | ".join([
                    _md_escape(d.get("rail", "")), _md_escape(d.get("action", "")), _md_escape(d.get("rule_id", "")),
                    _md_escape(d.get("reason", "")), _md_escape(d.get("category") or ""),
                    f"{risk:.2f}" if isinstance(risk, (int, float)) else ""]) + " |")
        lines.append("\n**Railbeslissingen**\n\n" + "\n".join(rows))
    citations = record.get("citations") or []
    if citations:
        lines.append("\n**Citaten**\n")
        for c in citations:
            if isinstance(c, dict):
                lines.append(f"- bron {_md_escape(c.get('source', ''))} {_md_escape(c.get('section', ''))}, "
                             f"regels {_lines(c.get('lines'))}: _{show_placeholders(_md_escape(_short(c.get('quote'), 400)))}_")
    for key, title in (("redactions", "Afschermingen"), ("timings_ms", "Tijden (ms)")):
        value = record.get(key)
        if value:
            lines.append(f"\n**{title}:** `{_md_escape(json.dumps(value, ensure_ascii=False))}`")
    return "\n".join(lines)
