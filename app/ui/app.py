"""The Gradio app: a thin adapter over the Assistant, the audit log and the eval suite.

Every handler looks up the caller's role server-side from the login (``request.username`` and the
users file) and refuses when the role may not use it, so calling a handler through the API from the
wrong role fails exactly as the hidden tab would. The role never comes from a UI component.

This module assembles the Blocks app from the tabs (:mod:`app.ui.chat`, :mod:`app.ui.intake`,
:mod:`app.ui.trainer`, :mod:`app.ui.reviewer`), the login handling (:mod:`app.ui.login`) and the
shared layout (:mod:`app.ui.layout`), and gives the keyword arguments for ``launch``.
All user-facing text is Dutch.
"""

from __future__ import annotations

import html
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from app.auth import UserStore
from app.downloads import DownloadStore
from app.throttle import LoginGuard, LoginThrottle, distrust_proxy_headers
from app.ui.chat import SUGGESTIONS, ChatTab
from app.ui.intake import IntakeTab
from app.ui.layout import AUDIT_ROLES, CHAT_ROLES, CSS, EVAL_ROLES, INTAKE_ROLES, ROLE_LABELS, guarded
from app.ui.login import LoginMixin, render_login_page
from app.ui.reviewer import ReviewerTab
from app.ui.trainer import TrainerTab
from app.web_guard import SESSION_EXPIRED, SameOriginMiddleware, web_middleware

# Logout in the same tab: empty the conversation view, forget a kept draft, then replace this page
# by Gradio's /logout (which ends every session of the user and shows the login page), so "Back"
# does not lead to the conversation either. Outputs: chatbot, history, message, why, status, session.
LOGOUT_JS = """() => {
  try { sessionStorage.removeItem("tda-chat-draft"); } catch (e) {}
  setTimeout(() => window.location.replace(new URL("logout", document.baseURI).href), 0);
  return [[], [], "", "", "", ""];
}"""

# The session guard of the chat (in the page head). Before a message is sent (Enter in the message
# box or the "Versturen" button) it asks /tda/session; without a live session (logged out, also in
# another tab, or the server restarted) nothing is sent: the typed text stays in the box, is kept in
# sessionStorage for the same user, and a Dutch message with a login link is shown instead of
# Gradio's bare error badges. The login form of this tab gets the user name; after logging in again
# (as the same user) the text is put back in the box.
# A 401 on any other Gradio call shows the same message.
SESSION_JS = """<script>
(function () {
  if (window.tdaSessionGuard) { return; }
  window.tdaSessionGuard = true;
  var MESSAGE = %(message)s, LOGIN = "Opnieuw inloggen", KEY = "tda-chat-draft";
  var bypass = false;
  function user() { return (window.gradio_config && window.gradio_config.username) || ""; }
  function box() { return document.querySelector("#tda-input textarea"); }
  function keepDraft() {
    var b = box();
    if (!b || !b.value) { return; }
    try { sessionStorage.setItem(KEY, JSON.stringify({user: user(), text: b.value})); } catch (e) {}
  }
  function showExpired() {
    keepDraft();
    try { if (user()) { sessionStorage.setItem("tda-login-user", user()); } } catch (e) {}  // the login form fills it in
    var el = document.getElementById("tda-session-expired");
    if (!el) {
      el = document.createElement("div");
      el.id = "tda-session-expired";
      el.setAttribute("role", "alert");
      el.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:1000;padding:10px 14px;" +
        "border-left:6px solid #c0392b;background:#fdecea;color:#1f2933;font-size:16px;" +
        "box-shadow:0 2px 6px rgba(0,0,0,.2);";
      var text = document.createElement("span");
      text.textContent = MESSAGE + " ";
      var link = document.createElement("a");
      link.href = new URL("./", document.baseURI).href;
      link.textContent = LOGIN;
      link.style.cssText = "color:#1d4ed8;text-decoration:underline;font-weight:600;";
      el.appendChild(text);
      el.appendChild(link);
      var root = document.querySelector(".gradio-container") || document.body;
      root.insertBefore(el, root.firstChild);
    }
  }
  async function alive() {
    try {
      var r = await _fetch(new URL("tda/session", document.baseURI).href,
                           {credentials: "same-origin", cache: "no-store"});
      return r.status !== 401;
    } catch (e) {
      return true;  // no answer at all: let Gradio report the broken connection
    }
  }
  async function guard(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
    if (await alive()) {
      var send = document.querySelector("#tda-send");
      if (send) { bypass = true; try { send.click(); } finally { bypass = false; } }
    } else {
      showExpired();
    }
  }
  function isSend(event) {
    if (bypass) { return false; }
    if (event.type === "click") {
      return !!(event.target && event.target.closest && event.target.closest("#tda-send"));
    }
    return event.key === "Enter" && !event.shiftKey && !event.isComposing && event.target === box();
  }
  ["click", "keydown", "keypress"].forEach(function (type) {
    window.addEventListener(type, function (event) {
      if (!isSend(event)) { return; }
      if (event.type === "keypress") { event.preventDefault(); event.stopImmediatePropagation(); return; }
      guard(event);
    }, true);
  });
  var _fetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    var response = await _fetch(input, init);
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (response.status === 401 && url.indexOf("gradio_api/") !== -1) { showExpired(); }
    return response;
  };
  function restore() {
    var raw = null;
    try { raw = sessionStorage.getItem(KEY); } catch (e) {}
    if (!raw) { return; }
    var b = box();
    if (!b || !user()) { setTimeout(restore, 300); return; }
    try { sessionStorage.removeItem(KEY); } catch (e) {}
    var draft = {};
    try { draft = JSON.parse(raw); } catch (e) {}
    if (draft.user === user() && draft.text && !b.value) {
      b.value = draft.text;
      b.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", restore); }
  else { restore(); }
})();
</script>""" % {"message": json.dumps(SESSION_EXPIRED)}


class TdaBlocks(gr.Blocks):
    """``gr.Blocks`` whose login-page message can depend on the request.

    Gradio reads ``blocks.auth_message`` each time it renders the login page, inside the request,
    so ``login_notice`` (a callable, set by :meth:`TdaUI.build`) can show a lockout notice to a
    locked-out client address. The login form itself only reacts to HTTP 400 (a fixed
    "Onjuiste inloggegevens") and 200, so this page text is the only place for a lockout message.
    """

    login_notice: Any = None

    @property
    def auth_message(self) -> str | None:
        base = self.__dict__.get("_tda_auth_message")
        notice = self.login_notice() if callable(self.login_notice) else None
        if not notice:
            return base
        return f"{notice}<br><br>{base}" if base else notice

    @auth_message.setter
    def auth_message(self, value: str | None) -> None:
        self.__dict__["_tda_auth_message"] = value

    @property
    def server_app(self):
        """The FastAPI app ``launch`` creates; :class:`app.web_guard.SameOriginMiddleware` is added
        as its outermost layer when it is set (before the first request builds the stack), outside
        Gradio's own CORS middleware, which would answer every loopback origin."""
        return self.__dict__.get("_tda_server_app")

    @server_app.setter
    def server_app(self, app) -> None:
        if app is not None and not getattr(app, "_tda_guarded", False):
            app.add_middleware(SameOriginMiddleware)
            app._tda_guarded = True
        self.__dict__["_tda_server_app"] = app

    def get_api_info(self, all_endpoints: bool = False) -> dict:
        """No API map: Gradio embeds it in every page, the login page included, and the app has no
        public API (every endpoint needs a login and checks the role)."""
        return {"named_endpoints": {}, "unnamed_endpoints": {}}


class TdaUI(LoginMixin, ChatTab, IntakeTab, TrainerTab, ReviewerTab):
    """The Gradio Blocks app over the tda services.

    Args:
        assistant: A loaded :class:`app.assistant.Assistant` (``respond``, ``intake_script``,
            ``.audit``, ``.settings``).
        users: The login store; roles are looked up here for every handler call.
        audit: The audit log (defaults to ``assistant.audit``); None hides nothing but reports
            "niet beschikbaar" in the reviewer tab.
        report_dir: Where eval reports and downloads are written (default: a temp dir).
        throttle: The login throttle (default: 5 failures, then growing delays; 10, then a
            15-minute lockout; per user name and per client address).
        turns: Where chat turns are answered (:class:`app.workers.TurnPool`); default the assistant.
    """

    def __init__(self, assistant, users: UserStore, *, audit=None, report_dir: str | Path | None = None,
                 throttle: LoginThrottle | None = None, turns=None):
        self.assistant = assistant
        self.turns = turns  # app.workers.TurnPool: chat turns in worker processes (None: in this process)
        self.users = users
        self.throttle = throttle if throttle is not None else LoginThrottle()
        self.login_guard = LoginGuard(users.verify, self.throttle)
        self.audit = audit if audit is not None else getattr(assistant, "audit", None)
        settings = getattr(assistant, "settings", None)
        self.max_input_chars = int(getattr(settings, "max_input_chars", 4000) or 4000)
        self.out_dir = Path(report_dir) if report_dir else Path(tempfile.mkdtemp(prefix="tda-ui-"))
        self.out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Audit exports: private per session, served only to it (app.downloads), never via Gradio's cache.
        data_dir = getattr(settings, "data_dir", None)
        self.downloads = DownloadStore(Path(data_dir) / "exports" if data_dir else self.out_dir / "exports",
                                       users.role_of)

    # -- page load -----------------------------------------------------------------------------
    @guarded
    def on_load(self, request: gr.Request):
        """Show the tabs, banner and suggestions of the logged-in role; start a session id."""
        username, role = self.role_for(request, CHAT_ROLES)
        header = f"Ingelogd als **{html.escape(username)}** · rol: **{ROLE_LABELS.get(role, role)}**"
        practice = role == "trainer"
        call_types = self._call_types(role)
        return (
            header,
            gr.Tab(visible=role in CHAT_ROLES),
            gr.Tab(visible=role in INTAKE_ROLES and bool(call_types)),
            gr.Tab(visible=role in EVAL_ROLES),
            gr.Tab(visible=role in AUDIT_ROLES),
            gr.Markdown(visible=practice),
            gr.Dataset(samples=[[q] for q in SUGGESTIONS.get(role, [])]),
            gr.Dropdown(choices=[(label, cid) for cid, label in call_types],
                        value=call_types[0][0] if call_types else None),
            uuid.uuid4().hex,
        )

    # -- layout --------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        """Build the Blocks app (tabs hidden until the page load reveals those of the role)."""
        with TdaBlocks(title="tda — verzuimassistent", analytics_enabled=False) as demo:
            demo.login_notice = self.login_notice
            session = gr.State("")
            gr.Markdown("## tda — assistent voor verzuimbegeleiding\n"
                        "Antwoorden komen uit de bronnen (NVAB-leidraad, RSC) met citaten. "
                        "Geen medisch oordeel, geen gezondheidsgegevens voor werkgevers.")
            with gr.Row(equal_height=False, elem_id="tda-header-row"):
                header = gr.Markdown("", elem_id="tda-header")
                logout = gr.Button("Uitloggen", size="sm", variant="secondary", scale=0, min_width=110,
                                   elem_id="tda-logout")
            with gr.Tabs(selected="chat"):
                chat = self._build_chat_tab()
                intake = self._build_intake_tab()
                trainer = self._build_trainer_tab()
                reviewer = self._build_reviewer_tab()

            demo.load(self.on_load, None,
                      [header, chat.tab, intake.tab, trainer.tab, reviewer.tab, chat.practice, chat.suggestions,
                       intake.call_type, session], api_name="whoami")
            self._wire_chat_tab(chat, session)
            logout.click(None, None, [chat.chatbot, chat.history, chat.msg, chat.why, chat.status, session],
                         js=LOGOUT_JS, api_visibility="private")
            self._wire_intake_tab(intake, session)
            self._wire_trainer_tab(trainer)
            self._wire_reviewer_tab(reviewer)
        return demo

    def launch_kwargs(self) -> dict:
        """Keyword arguments for ``Blocks.launch`` (auth, client-address middleware, login text, CSS).

        Also makes uvicorn use the socket peer as the client address (see
        :func:`app.throttle.distrust_proxy_headers`), so call it before ``launch``.
        """
        distrust_proxy_headers()
        return {
            "auth": self.auth,
            "app_kwargs": {"middleware": web_middleware(self.downloads, self.assistant, self.turns,
                                                        login_page=render_login_page)},
            "head": SESSION_JS,
            "auth_message": self.auth_message(),
            "css": CSS,
            "footer_links": [],
            "show_error": False,
        }
