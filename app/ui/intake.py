"""The script tab ("Gespreksscript"): intake scripts per role and call type, with a one-time download."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.ui.layout import INTAKE_ROLES, _request_cookies, guarded, logger, show_placeholders


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

    # -- layout --------------------------------------------------------------------------------
    def _build_intake_tab(self) -> SimpleNamespace:
        """The script tab's components (inside the app's ``gr.Tabs``)."""
        with gr.Tab("Gespreksscript", id="intake", visible=False, elem_id="tab-intake") as tab_intake:
            gr.Markdown("Maak een gespreksscript voor uw rol en het type gesprek. "
                        "Het script bevat de verplichte mededelingen aan de werknemer.")
            with gr.Row():
                call_type = gr.Dropdown(label="Gesprekstype", choices=[], elem_id="tda-calltype")
                arts = gr.Textbox(label="Naam bedrijfsarts (optioneel)", elem_id="tda-arts")
                org = gr.Textbox(label="Organisatie (optioneel)", elem_id="tda-org")
                when = gr.Textbox(label="Datum gesprek (JJJJ-MM-DD of DD-MM-JJJJ, optioneel)", elem_id="tda-date")
            make = gr.Button("Script maken", variant="primary", elem_id="tda-make-script")
            intake_status = gr.Markdown("")
            script_view = gr.Markdown("", elem_id="tda-script")
            with gr.Accordion("Markdown om te kopiëren", open=False):
                script_src = gr.Textbox(label="Markdown", lines=12, buttons=["copy"],
                                        interactive=False, elem_id="tda-script-src")
            script_dl = gr.Markdown("", elem_id="tda-script-download")
        return SimpleNamespace(tab=tab_intake, call_type=call_type, arts=arts, org=org, when=when, make=make,
                               status=intake_status, view=script_view, src=script_src, download=script_dl)

    def _wire_intake_tab(self, c: SimpleNamespace, session: gr.State) -> None:
        """The script tab's events."""
        c.make.click(self.intake, [c.call_type, c.arts, c.org, c.when, session],
                     [c.view, c.src, c.download, c.status], api_name="intake")
