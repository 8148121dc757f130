"""The script tab ("Gespreksscript"): intake scripts per role and call type, as a call companion.

The script is shown next to a checklist (a checkbox and a note field per step). The ticks and notes
stay in the browser; they are sent to the server only when the user exports them, and are then
redacted before they go into the file (one-time, session-bound download links, :mod:`app.downloads`).
They never reach the assistant or the audit log. The script itself can be copied as plain text and
downloaded as Markdown or DOCX.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.ui.layout import INTAKE_ROLES, _md_escape, _request_cookies, guarded, logger, show_placeholders


class IntakeTab:
    """The script tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``assistant`` and
    ``downloads`` of the app)."""

    def _call_types(self, role: str) -> list[tuple[str, str]]:
        if role not in INTAKE_ROLES:
            return []
        try:
            from app.intake import CALL_TYPES
        except ImportError:
            logger.warning("app.intake is not available")
            return []
        return [(str(cid), str(label)) for cid, label in CALL_TYPES.get(role, [])]

    @guarded
    def intake(self, call_type, bedrijfsarts, organisation, call_date, session_id, request: gr.Request):
        """Build an intake script. Returns ``(markdown view, markdown source, download link, status)``."""
        username, role = self.role_for(request, INTAKE_ROLES)
        allowed = dict(self._call_types(role))
        if call_type not in allowed:
            raise gr.Error("Kies een gesprekstype uit de lijst.", title="Ongeldige invoer")
        opts: dict[str, Any] = {}
        for key, value in (("bedrijfsarts", bedrijfsarts), ("organisation", organisation), ("call_date", call_date)):
            if isinstance(value, str) and value.strip():
                opts[key] = value.strip()[:1000]  # app.intake cleans, caps and validates further
        try:
            reply = self.assistant.intake_script(role, call_type, user=username,
                                                 session_id=session_id or "", **opts)
        except (ValueError, KeyError) as exc:
            raise gr.Error(html.escape(str(exc)), title="Ongeldige invoer") from None
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            logger.error("intake script failed (ref %s, %s)", ref, type(exc).__name__, exc_info=True)
            raise gr.Error(f"Er ging iets mis bij het maken van het script (foutcode {ref}).") from None
        text = reply.text or ""
        if getattr(reply, "decision", "answer") != "answer":
            return "", "", "", f"**Niet gemaakt:** {text}"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"gespreksscript-{role}-{re.sub(r'[^a-z0-9_-]', '', call_type)}-{stamp}.md"
        try:   # the script may hold the names typed above: a one-time link for this session only
            url = self.downloads.create(cookies=_request_cookies(request), user=username, roles=INTAKE_ROLES,
                                        filename=name, media_type="text/markdown; charset=utf-8",
                                        write=lambda fh: fh.write(text))
            link = f"[Download script (.md)]({url}) — alleen in deze sessie, één keer te downloaden."
        except PermissionError:
            link = ""
        status = f"Script gemaakt voor **{html.escape(allowed[call_type])}**."
        return show_placeholders(text), text, link, status

    @guarded
    def intake_companion(self, call_type, bedrijfsarts, organisation, call_date, session_id,
                         request: gr.Request):
        """The script tab's build button: :meth:`intake` plus the call companion.

        Returns ``(script view, plain text to copy, .md link, .docx link, status, checklist items,
        script state, export message)``. The plain text has no Markdown markup; the downloads are one-time
        links (.md and .docx) without notes; the checklist items are rendered as checkboxes with a
        note field each (see :meth:`intake_export`).
        """
        view, src, link, status = self.intake(call_type, bedrijfsarts, organisation, call_date, session_id,
                                              request)
        if not src:
            return view, "", link, "", status, [], "", ""
        from app.intake import DOCX_MEDIA_TYPE, checklist_items, export_docx, plain_text

        docx_link = ""
        if link:
            username, _role = self.role_for(request, INTAKE_ROLES)
            try:
                url = self.downloads.create(cookies=_request_cookies(request), user=username,
                                            roles=INTAKE_ROLES,
                                            filename=self._intake_filename(request, call_type, "docx"),
                                            media_type=DOCX_MEDIA_TYPE, binary=True,
                                            write=lambda fh: fh.write(export_docx(src)))
                docx_link = f"[Download script (.docx)]({url}) — ook één keer te downloaden."
            except PermissionError:
                pass
        items = [{"id": i.id, "section": i.section, "label": i.label} for i in checklist_items(src)]
        return view, plain_text(src), link, docx_link, status, items, src, ""

    @guarded
    def intake_export(self, request: gr.Request, script_md, items, *values):
        """Export the script with the ticks and notes of the checklist (one-time .md and .docx links).

        ``values`` are the checkboxes, then the note fields, in the order of ``items``. The notes are
        redacted (``guardrails.pii.redact_for_storage``) inside :func:`app.intake.export_markdown` /
        :func:`app.intake.export_docx`; they are never logged, audited or given to the assistant.
        """
        username, role = self.role_for(request, INTAKE_ROLES)
        if not isinstance(script_md, str) or not script_md.strip() or not isinstance(items, list):
            raise gr.Error("Maak eerst een script.", title="Geen script")
        from app.intake import DOCX_MEDIA_TYPE, export_docx, export_markdown

        n = len(items)
        ids = [str(it.get("id", "")) if isinstance(it, dict) else "" for it in items]
        checks, notes = list(values[:n]), list(values[n:2 * n])
        done = {k: bool(v) for k, v in zip(ids, checks)}
        typed = {k: v for k, v in zip(ids, notes) if isinstance(v, str) and v.strip()}
        md = export_markdown(script_md, done, typed)
        docx = export_docx(script_md, done, typed)
        cookies = _request_cookies(request)
        try:
            url_md = self.downloads.create(cookies=cookies, user=username, roles=INTAKE_ROLES,
                                           filename=self._intake_filename(request, "notities", "md"),
                                           media_type="text/markdown; charset=utf-8",
                                           write=lambda fh: fh.write(md))
            url_docx = self.downloads.create(cookies=cookies, user=username, roles=INTAKE_ROLES,
                                             filename=self._intake_filename(request, "notities", "docx"),
                                             media_type=DOCX_MEDIA_TYPE, binary=True,
                                             write=lambda fh: fh.write(docx))
        except PermissionError:
            raise gr.Error("Er is geen sessie om de download aan te koppelen. Log opnieuw in.",
                           title="Geen sessie") from None
        ticked = sum(done.values())
        return (f"Klaar: {ticked} van {n} afgevinkt, {len(typed)} notitie(s), gemaskeerd. "
                f"[Download (.md)]({url_md}) · [Download (.docx)]({url_docx}) — alleen in deze sessie, "
                "één keer te downloaden.")

    def _intake_filename(self, request, call_type, ext: str) -> str:
        _username, role = self.role_for(request, INTAKE_ROLES)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return f"gespreksscript-{role}-{re.sub(r'[^a-z0-9_-]', '', str(call_type))}-{stamp}.{ext}"

    # -- layout --------------------------------------------------------------------------------
    def _build_intake_tab(self) -> SimpleNamespace:
        """The script tab's components (inside the app's ``gr.Tabs``)."""
        with gr.Tab("Gespreksscript", id="intake", visible=False, elem_id="tab-intake") as tab_intake:
            gr.HTML(f"<style>{INTAKE_CSS}</style>", padding=False, elem_id="tda-intake-css")
            gr.Markdown("Maak een gespreksscript voor uw rol en het type gesprek. "
                        "Het script bevat de verplichte mededelingen aan de werknemer. "
                        "Tijdens het gesprek vinkt u de stappen af en maakt u notities.")
            with gr.Row(elem_id="tda-intake-options"):
                call_type = gr.Dropdown(label="Gesprekstype", choices=[], elem_id="tda-calltype",
                                        min_width=160)
                arts = gr.Textbox(label="Naam bedrijfsarts (optioneel)", elem_id="tda-arts", min_width=160)
                org = gr.Textbox(label="Werkgever (organisatie, optioneel)", elem_id="tda-org", min_width=160)
                when = gr.Textbox(label="Datum gesprek (optioneel)", placeholder="JJJJ-MM-DD of DD-MM-JJJJ",
                                  elem_id="tda-date", min_width=160)
            make = gr.Button("Script maken", variant="primary", elem_id="tda-make-script")
            intake_status = gr.Markdown("")
            items = gr.State([])
            script = gr.State("")
            with gr.Row(equal_height=False, elem_id="tda-intake-body"):
                with gr.Column(scale=3, min_width=300):
                    script_view = gr.Markdown("", elem_id="tda-script")
                    with gr.Accordion("Tekst om te kopiëren (zonder opmaak)", open=False):
                        script_src = gr.Textbox(label="Script als platte tekst", lines=12, buttons=["copy"],
                                                interactive=False, elem_id="tda-script-src")
                    script_dl = gr.Markdown("", elem_id="tda-script-download")
                    script_docx = gr.Markdown("", elem_id="tda-script-download-docx")
                with gr.Column(scale=2, min_width=300, elem_id="tda-checklist-col"):
                    gr.Markdown("### Afvinklijst tijdens het gesprek", elem_id="tda-checklist-title")
                    with gr.Column(elem_id="tda-checklist") as checklist:
                        self._render_checklist(items, script, lambda: (export, export_dl))
                    gr.Markdown(NOTES_HINT_UI, elem_id="tda-checklist-hint")
                    export = gr.Button("Downloaden met vinkjes en notities", elem_id="tda-export-notes")
                    export_dl = gr.Markdown("", elem_id="tda-export-download")
        return SimpleNamespace(tab=tab_intake, call_type=call_type, arts=arts, org=org, when=when, make=make,
                               status=intake_status, view=script_view, src=script_src, download=script_dl,
                               download_docx=script_docx,
                               items=items, script=script, checklist=checklist, export=export,
                               export_download=export_dl)

    def _render_checklist(self, items: gr.State, script: gr.State, export_parts) -> None:
        """The checklist (a checkbox and a note field per step), rendered again for every new script.

        ``export_parts()`` returns the export button and its link area (made after this column). The
        ticks and notes stay in the browser until that button sends them to :meth:`intake_export`.
        """

        @gr.render(inputs=[items], triggers=[items.change])
        def _checklist(shown):
            if not shown:
                gr.Markdown("Maak eerst een script; dan verschijnen hier de stappen om af te vinken.",
                            elem_classes=["tda-check-empty"])
                return
            checks, notes, section = [], [], None
            for n, it in enumerate(shown, start=1):
                if it.get("section") != section:
                    section = it.get("section")
                    gr.Markdown(f"**{_md_escape(section or '')}**", elem_classes=["tda-check-section"])
                checks.append(gr.Checkbox(label=str(it.get("label", "")), value=False, container=False,
                                          elem_classes=["tda-check"], elem_id=f"tda-check-{n}"))
                notes.append(gr.Textbox(show_label=False, placeholder="Notitie (optioneel)", lines=1, max_lines=6,
                                        container=False, elem_classes=["tda-note"], elem_id=f"tda-note-{n}"))
            export, export_dl = export_parts()
            export.click(self.intake_export, [script, items, *checks, *notes], [export_dl])

    def _wire_intake_tab(self, c: SimpleNamespace, session: gr.State) -> None:
        """The script tab's events (the checklist and its export are wired where it is rendered)."""
        c.make.click(self.intake_companion, [c.call_type, c.arts, c.org, c.when, session],
                     [c.view, c.src, c.download, c.download_docx, c.status, c.items, c.script,
                      c.export_download],
                     api_name="intake")


NOTES_HINT_UI = (
    "Uw vinkjes en notities blijven in dit scherm. Ze gaan niet naar de assistent en niet naar het "
    "auditlog, en worden niet bewaard. Alleen als u hieronder downloadt, komen ze in het bestand, "
    "en dan gemaskeerd: namen, BSN, telefoonnummers, adressen en gezondheidsgegevens worden "
    "vervangen door bijvoorbeeld &lt;PERSON&gt;."
)

# The script tab at phone width: nothing wider than the screen, headings break between words only.
INTAKE_CSS = """
#tab-intake, #tab-intake * { min-width: 0; }
#tab-intake h1, #tab-intake h2, #tab-intake h3 {
  word-break: normal; overflow-wrap: break-word; hyphens: manual;
}
#tda-script, #tda-script * { overflow-wrap: break-word; word-break: normal; }
#tda-checklist .tda-check-section { margin-top: 8px; }
#tda-checklist .tda-note textarea { font-size: 0.95em; }
#tda-checklist-hint { color: #555; font-size: 0.9em; }
@media (max-width: 600px) {
  #tab-intake h1 { font-size: 1.35em; }
  #tab-intake h2 { font-size: 1.15em; }
  #tda-intake-options > *, #tda-intake-options .form > *, #tda-intake-body > * {
    flex: 1 1 100% !important; min-width: 0 !important;
  }
  /* on a phone the checklist is the call companion: it comes first, the full script below it */
  #tda-checklist-col { order: -1; }
}
"""
