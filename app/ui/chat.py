"""The Gradio app: a thin adapter over the Assistant, the audit log and the eval suite.

Every handler looks up the caller's role server-side from the login (``request.username`` and the
users file) and refuses when the role may not use it, so calling a handler through the API from the
wrong role fails exactly as the hidden tab would. The role never comes from a UI component.
All user-facing text is Dutch.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import re
import tempfile
import time
import unicodedata
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import HTTPException

from app.auth import UserStore
from app.downloads import DownloadStore
from app.loader import LOADING_TEXT
from app.throttle import (
    LoginGuard,
    LoginLocked,
    LoginThrottle,
    current_client,
    distrust_proxy_headers,
    lockout_message,
    log_user,
    minutes_text,
)
from app.web_guard import SameOriginMiddleware, web_middleware

logger = logging.getLogger(__name__)

# Which role may use which tab (and its handlers).
CHAT_ROLES = ("casemanager", "employer", "trainer", "reviewer")
INTAKE_ROLES = ("casemanager", "employer", "trainer")
EVAL_ROLES = ("trainer",)
AUDIT_ROLES = ("reviewer",)

ROLE_LABELS = {
    "casemanager": "casemanager (taakdelegatie bedrijfsarts)",
    "employer": "werkgever / leidinggevende",
    "trainer": "trainer",
    "reviewer": "reviewer (audit)",
}
CATEGORY_LABELS = {
    "medical_judgement": "medisch oordeel",
    "outside_delegation": "buiten de taakdelegatie of rol",
    "health_data": "gezondheidsgegevens",
    "out_of_scope": "buiten het onderwerp",
    "prompt_injection": "poging de regels te omzeilen",
}
DECISION_LABELS = {"answer": "antwoord", "refuse": "geweigerd", "not_found": "niet gevonden"}

# Suggested questions to start from, per role.
SUGGESTIONS: dict[str, list[str]] = {
    "casemanager": [
        "Welke taken mag ik als casemanager uitvoeren in taakdelegatie van de bedrijfsarts?",
        "Wat moet ik de werknemer vertellen aan het begin van het eerste gesprek?",
        "Welke gegevens mag ik doorgeven aan de werkgever?",
        "Wanneer moet ik de bedrijfsarts inschakelen?",
    ],
    "employer": [
        "Wat mag ik vragen bij een ziekmelding?",
        "Welke gegevens mag ik vastleggen over een zieke werknemer?",
        "Wat mag ik niet vragen aan een zieke medewerker?",
        "Wat is de rol van de bedrijfsarts bij verzuim?",
    ],
    "trainer": [
        "Wat is taakdelegatie door de bedrijfsarts?",
        "Welke verantwoordelijkheid houdt de bedrijfsarts bij taakdelegatie?",
        "Wat mag een werkgever vragen bij een ziekmelding?",
    ],
    "reviewer": [
        "Welke gezondheidsgegevens mag een werkgever verwerken?",
        "Wat zijn de voorwaarden voor taakdelegatie?",
    ],
}

# Input limits for chat messages. The hard cap bounds the work done on absurd input before cutting.
HARD_INPUT_CAP = 200_000
BINARY_RATIO = 0.10
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

CSS = """
.tda-refusal { border-left: 6px solid #c0392b; background: #fdecea; padding: 8px 12px; border-radius: 6px; }
.tda-notfound { border-left: 6px solid #b9770e; background: #fef5e7; padding: 8px 12px; border-radius: 6px; }
.tda-practice { border: 2px dashed #8e44ad; background: #f5eef8; padding: 6px 12px; border-radius: 6px; }
.tda-meta { color: #666; font-size: 0.85em; }
"""


class AccessDenied(gr.Error):
    """Raised by a handler when the logged-in role may not use it (shown as an error in the UI).

    Logged once by :meth:`TdaUI.role_for` as one line with user and role; Gradio prints no traceback.
    """

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("print_exception", False)
        super().__init__(message, **kwargs)


def guarded(fn):
    """Turn an unexpected exception in a handler into a Dutch error message with a reference code.

    ``gr.Error`` (including :class:`AccessDenied`) passes through unchanged. The signature is kept
    (``functools.wraps``), so Gradio still injects ``gr.Request``, ``gr.Progress`` and ``gr.SelectData``.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            logger.error("handler %s failed (ref %s, %s)", fn.__name__, ref, type(exc).__name__, exc_info=True)
            raise gr.Error(f"Er ging iets mis (foutcode {ref}). Probeer het opnieuw; de app blijft werken.",
                           title="Fout") from None

    return wrapper


def _now_ms() -> float:
    return time.perf_counter() * 1000.0


def clean_message(message: Any, limit: int) -> tuple[str, list[str], str | None]:
    """Make a chat message safe to process.

    Args:
        message: What the browser or API client sent (anything).
        limit: Maximum number of characters passed on; longer text is cut with a notice.

    Returns:
        ``(text, notices, problem)``: ``problem`` is a Dutch message when the input cannot be used
        at all (then ``text`` is empty); ``notices`` are Dutch remarks about what was changed.
    """
    notices: list[str] = []
    if message is None:
        return "", notices, "Typ eerst een vraag."
    if isinstance(message, dict):  # a MultimodalTextbox-style payload
        message = message.get("text", "")
    if isinstance(message, bytes):
        return "", notices, "Dit bericht bevat binaire gegevens en is niet verwerkt. Typ uw vraag als gewone tekst."
    if not isinstance(message, str):
        return "", notices, "Dit bericht kon niet gelezen worden. Typ uw vraag als gewone tekst."
    raw = message[:HARD_INPUT_CAP]
    if raw:
        bad = sum(1 for ch in raw if ch == "\x00" or ch == "\ufffd" or (
            unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t"))
        if "\x00" in raw or (bad > 2 and bad / len(raw) > BINARY_RATIO):
            return "", notices, ("Dit bericht lijkt binaire gegevens of stuurtekens te bevatten en is niet "
                                 "verwerkt. Typ uw vraag als gewone tekst.")
    text = _CONTROL_RE.sub("", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cs", "Co"))
    if text != raw:
        notices.append("Onzichtbare tekens of stuurtekens zijn uit uw bericht verwijderd.")
    text = text.strip()
    if not text:
        return "", notices, "Typ eerst een vraag."
    if len(message) > limit:
        text = text[:limit].rstrip()
        notices.append(f"Uw bericht was {len(message)} tekens lang; alleen de eerste {limit} tekens zijn "
                       "gebruikt. Stel lange vragen liefst in delen.")
    return text, notices, None


_PLACEHOLDER_RE = re.compile(r"<([A-Z][A-Z0-9_]{1,40})>")


def show_placeholders(text: str) -> str:
    """Keep redaction placeholders such as ``<PERSON>`` visible: Markdown would take them for HTML tags."""
    return _PLACEHOLDER_RE.sub(r"&lt;\1&gt;", text or "")


def _md_escape(value: Any) -> str:
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\n", " ")


def _lines(value: Any) -> str:
    try:
        a, b = value
        return f"{int(a)}–{int(b)}"
    except (TypeError, ValueError):
        return str(value)


def render_reply(reply, wall_ms: float) -> list[dict]:
    """Turn a Reply into chatbot messages: the answer, then one collapsible quote per citation."""
    parts: list[str] = []
    decision = getattr(reply, "decision", "answer")
    category = getattr(reply, "category", None)
    text = show_placeholders(getattr(reply, "text", "") or "")
    if decision == "refuse":
        label = CATEGORY_LABELS.get(category or "", category or "")
        parts.append(f"<div class=\"tda-refusal\">\n\n**GEWEIGERD** — {label}\n\n{text}\n\n</div>")
    elif decision == "not_found":
        parts.append(f"<div class=\"tda-notfound\">\n\n**NIET GEVONDEN in de bronnen**\n\n{text}\n\n</div>")
    else:
        parts.append(text)
    rules = list(getattr(reply, "rules", []) or [])
    if rules:
        rule_lines = []
        for r in rules:
            rule_lines.append(f"- **Regel** `{r.id}`: {show_placeholders(r.reason)} "
                              f"_(bron {r.source}, regels {_lines(r.lines)})_")
        heading = "Toegepaste regel" if len(rules) == 1 else "Toegepaste regels"
        parts.append(f"**{heading}:**\n" + "\n".join(rule_lines))
    notices = list(getattr(reply, "notices", []) or [])
    if notices:
        parts.append("\n".join(f"> **Let op:** {show_placeholders(n)}" for n in notices))
    total = (getattr(reply, "timings_ms", {}) or {}).get("total", 0.0)
    parts.append(f"<span class=\"tda-meta\">antwoordtijd {wall_ms:.0f} ms (verwerking {total:.0f} ms)</span>")
    messages = [{"role": "assistant", "content": "\n\n".join(parts)}]
    for n, c in enumerate(list(getattr(reply, "citations", []) or []), start=1):
        where = f"§{c.section}, " if c.section else ""
        title = f"[{n}] Bron {c.source}: {c.title} — {where}regels {_lines(c.lines)}"
        quote = "\n".join("> " + line for line in show_placeholders(c.quote).splitlines()) or "> (geen citaat)"
        messages.append({"role": "assistant", "content": quote,
                         "metadata": {"title": title, "status": "done"}})
    return messages


def render_why(reply) -> str:
    """Markdown for the "Waarom?" panel: every rail decision of the turn, with rule and reason."""
    rows = ["| rail | actie | regel | reden | categorie | risico |", "| --- | --- | --- | --- | --- | --- |"]
    for d in list(getattr(reply, "decisions", []) or []):
        get = d.get if isinstance(d, dict) else (lambda k, _d=d: getattr(_d, k, ""))
        action = get("action")
        action = getattr(action, "value", action)
        risk = get("risk")
        risk_s = f"{float(risk):.2f}" if isinstance(risk, (int, float)) else _md_escape(risk or "")
        rows.append("| " + " | ".join([_md_escape(get("rail") or ""), _md_escape(action or ""),
                                        _md_escape(get("rule_id") or ""), _md_escape(get("reason") or ""),
                                        _md_escape(get("category") or ""), risk_s]) + " |")
    decision = getattr(reply, "decision", "")
    head = f"**Besluit:** {DECISION_LABELS.get(decision, decision)}"
    if getattr(reply, "category", None):
        head += f" · **categorie:** {CATEGORY_LABELS.get(reply.category, reply.category)}"
    redactions = list(getattr(reply, "redactions", []) or [])
    if redactions:
        head += " · **afgeschermd:** " + ", ".join(sorted({r.entity for r in redactions}))
    timings = getattr(reply, "timings_ms", {}) or {}
    timing = " · ".join(f"{k} {float(v):.0f} ms" for k, v in timings.items())
    body = "\n".join(rows) if len(rows) > 2 else "_Geen railbeslissingen vastgelegd._"
    intent = render_intent(reply)
    return f"{head}\n\n{intent}{body}\n\n<span class=\"tda-meta\">{timing}</span>"


def render_intent(reply) -> str:
    """Markdown of the intent model's explanation: intent, score, threshold, three nearest examples."""
    for d in list(getattr(reply, "decisions", []) or []):
        e = d.get("explanation") if isinstance(d, dict) else getattr(d, "explanation", None)
        if not e:
            continue
        lines = [f"**Herkende intentie:** {_md_escape(e.get('intent'))} (score {float(e.get('score', 0)):.2f}); "
                 f"weigerscore voor uw rol {float(e.get('refuse_score', 0)):.2f}, drempel "
                 f"{float(e.get('threshold', 0)):.2f}"
                 + (" · gelezen met uw eerdere berichten" if e.get("history_turns") else "")]
        near = e.get("nearest") or []
        if near:
            lines.append("Meest gelijkende trainingsvoorbeelden:")
            lines += [f"- _{_md_escape(n.get('text'))}_ ({_md_escape(n.get('intent'))}, "
                      f"{float(n.get('similarity', 0)):.2f})" for n in near]
        return "\n".join(lines) + "\n\n"
    return ""


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


class TdaUI:
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

    # -- access --------------------------------------------------------------------------------
    def role_for(self, request: gr.Request | None, allowed: tuple[str, ...]) -> tuple[str, str]:
        """Return ``(username, role)`` of the logged-in caller, or raise :class:`AccessDenied`."""
        username = getattr(request, "username", None) if request is not None else None
        role = self.users.role_of(username)
        if role is None:
            logger.warning("handler refused: no valid login user=%s", log_user(username))
            raise AccessDenied("Niet ingelogd of onbekende gebruiker. Log opnieuw in.", title="Geen toegang")
        if role not in allowed:
            logger.warning("handler refused user=%s role=%s allowed=%s", log_user(username), role, ",".join(allowed))
            raise AccessDenied(f"Uw rol ({ROLE_LABELS.get(role, role)}) heeft geen toegang tot deze functie.",
                               title="Geen toegang")
        return username, role

    async def auth(self, username: str, password: str) -> bool:
        """Gradio auth callback: a throttled check against the users file, off the event loop.

        The client address comes from :class:`app.throttle.ClientAddressMiddleware` (installed by
        :meth:`launch_kwargs`). During a lockout the login is refused with HTTP 429 and a Dutch
        message, without checking the password.
        """
        try:
            return await self.login_guard.login(username, password, current_client())
        except LoginLocked as exc:
            raise HTTPException(status_code=429, detail=lockout_message(exc.retry_after),
                                headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))}) from None

    def login_notice(self) -> str | None:
        """The lockout notice for the login page when the requesting client address is locked."""
        remaining = self.throttle.client_locked(current_client())
        if remaining <= 0:
            return None
        return f"<strong>{html.escape(lockout_message(remaining))}</strong>"

    def auth_message(self) -> str:
        """The login-page text (Dutch), with the throttle's limits."""
        t = self.throttle
        return ("Log in met uw tda-account. De rol hoort bij de login. "
                f"Na {t.lock_after} mislukte pogingen is inloggen {minutes_text(t.lockout_s)} geblokkeerd. "
                "Reageert de knop Inloggen niet meer, herlaad dan de pagina om de wachttijd te zien.")

    # -- page load -----------------------------------------------------------------------------
    @guarded
    def on_load(self, request: gr.Request):
        """Show the tabs, banner and suggestions of the logged-in role; start a session id."""
        username, role = self.role_for(request, CHAT_ROLES)
        header = (f"Ingelogd als **{html.escape(username)}** · rol: **{ROLE_LABELS.get(role, role)}** · "
                  "[Uitloggen](/logout)")
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

    @guarded
    def pick_suggestion(self, sample, request: gr.Request):
        """Copy a suggested question into the message box."""
        self.role_for(request, CHAT_ROLES)
        if isinstance(sample, (list, tuple)):
            sample = sample[0] if sample else ""
        return sample or ""

    # -- chat ----------------------------------------------------------------------------------
    def chat(self, message, chat_history, history, session_id, request: gr.Request):
        """Stream one chat turn. Yields ``(chatbot, textbox, history, why, status)``."""
        username, role = self.role_for(request, CHAT_ROLES)
        chat_history = list(chat_history or [])
        history = list(history or [])
        session_id = session_id or uuid.uuid4().hex
        text, notices, problem = clean_message(message, self.max_input_chars)
        if problem:
            gr.Warning(problem)
            yield chat_history, "", history, gr.skip(), f"**Let op:** {problem}"
            return
        shown = text if len(text) <= 2000 else text[:2000] + " …"
        chat_history.append({"role": "user", "content": shown})
        if getattr(self.assistant, "ready", True):
            pending = chat_history + [{"role": "assistant", "content": "_Bezig met antwoorden…_"}]
            yield pending, "", history, gr.skip(), "Bezig…"
        else:  # tda serve loads the models in the background: say so, then wait for them
            pending = chat_history + [{"role": "assistant", "content": f"_{LOADING_TEXT}_"}]
            yield pending, "", history, gr.skip(), "Assistent wordt geladen…"
        start = _now_ms()
        try:
            responder = self.turns if self.turns is not None else self.assistant
            reply = responder.respond(text, role=role, history=history, session_id=session_id, user=username)
        except Exception as exc:  # the app keeps serving; the user sees a clear error
            ref = uuid.uuid4().hex[:8]
            logger.error("chat turn failed (ref %s, %s)", ref, type(exc).__name__, exc_info=True)
            msg = (f"Er ging iets mis bij het beantwoorden van uw vraag (foutcode {ref}). "
                   "Probeer het opnieuw of formuleer de vraag anders.")
            chat_history.append({"role": "assistant", "content": f"<div class=\"tda-refusal\">\n\n**FOUT:** {msg}\n\n</div>"})
            yield chat_history, "", history, gr.skip(), f"**FOUT:** {msg}"
            return
        wall = _now_ms() - start
        if notices:
            reply.notices = list(notices) + list(getattr(reply, "notices", []) or [])
        # The reply is complete here: shown at once (no typing effect; each partial update would
        # cost the web process a full chat re-render per turn under load).
        messages = render_reply(reply, wall)
        history = history + [{"role": "user", "content": text},
                             {"role": "assistant", "content": reply.text}]
        status = f"Antwoordtijd: {wall:.0f} ms · besluit: {DECISION_LABELS.get(reply.decision, reply.decision)}"
        yield chat_history + messages, "", history, render_why(reply), status

    @guarded
    def clear_chat(self, request: gr.Request):
        """Start a new conversation (new session id, empty history)."""
        self.role_for(request, CHAT_ROLES)
        return [], [], uuid.uuid4().hex, "", ""

    # -- intake scripts ------------------------------------------------------------------------
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

    # -- trainer: evaluation -------------------------------------------------------------------
    @guarded
    def run_eval(self, request: gr.Request, progress=gr.Progress()):
        """Run the eval suite with a progress bar.

        Returns:
            ``(metrics markdown, table rows, rows state, report download, status)``.
        """
        self.role_for(request, EVAL_ROLES)
        from evals.report import summary_rows, write_report
        from evals.runner import load_default_cases, run_suite

        settings = getattr(self.assistant, "settings", None)
        cases = load_default_cases(settings)
        progress(0.0, desc="Evaluatie gestart")

        def cb(done: int, total: int) -> None:
            total = max(1, int(total))
            progress(min(1.0, int(done) / total), desc=f"Run {int(done)} van {total}")

        result = run_suite(self.assistant, cases, progress=cb)
        out = self.out_dir / f"eval-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        paths = write_report(result, out)
        rows = [[r.run_id, r.role, r.expected, r.got_label or "", "ja" if r.passed else "nee",
                 _short("; ".join(r.failures), 300)] for r in result.results]
        table = ["| metriek | waarde |", "| --- | --- |"]
        table += [f"| {_md_escape(n)} | {_md_escape(v)} |" for n, v in summary_rows(result)]
        gate = result.gate()
        table.append("")
        table.append("**Poort:** " + ("groen" if not gate else "rood: " + _md_escape("; ".join(gate))))
        failing = len(result.failing())
        status = f"{len(rows)} runs, waarvan {failing} mislukt. Rapport: {paths['html'].name}"
        return ("\n".join(table), rows, rows,
                gr.DownloadButton(value=str(paths["html"]), visible=True), status)

    @guarded
    def filter_eval(self, rows, failing_only, request: gr.Request):
        """Filter the last eval results to failing cases."""
        self.role_for(request, EVAL_ROLES)
        return _rows_to_table(rows or [], failing_only=bool(failing_only))

    @guarded
    def trainer_cases(self, request: gr.Request):
        """Choices for the "case bewerken" dropdown: the trainer's own cases, plus the file list."""
        self.role_for(request, EVAL_ROLES)
        from evals.trainer import list_case_files, list_trainer_cases

        settings = getattr(self.assistant, "settings", None)
        ids = [c.id for c in list_trainer_cases(settings)]
        files = list_case_files(settings)
        info = "\n".join(f"- `{_md_escape(f['name'])}` ({f['suite']}): {f['cases']} cases, {f['runs']} runs"
                         + (" — bewerkbaar" if f.get("editable") else "") for f in files)
        return gr.Dropdown(choices=[("(nieuwe case)", "")] + [(i, i) for i in ids], value=""), info

    @guarded
    def load_case(self, case_id, request: gr.Request):
        """Fill the case form with an existing trainer case."""
        self.role_for(request, EVAL_ROLES)
        from evals.trainer import list_trainer_cases

        empty = ("", "employer", "", "answer", "", "", "")
        if not case_id:
            return empty
        case = next((c for c in list_trainer_cases(getattr(self.assistant, "settings", None))
                     if c.id == case_id), None)
        if case is None:
            return empty
        messages = case.messages if case.messages is not None else [case.message or ""]
        mention = "\n".join(", ".join(group) for group in case.must_mention_any)
        return (case.id, case.role, "\n".join(messages), case.expected, mention,
                ", ".join(case.tags), case.notes)

    @guarded
    def save_case(self, editing_id, case_id, role, messages, expected, mention, tags, notes,
                  request: gr.Request):
        """Validate and save a trainer case from the form (add when new, else update)."""
        self.role_for(request, EVAL_ROLES)
        from evals.schema import CaseError
        from evals.trainer import add_case, update_case

        lines = [ln.strip() for ln in str(messages or "").splitlines() if ln.strip()]
        if not lines:
            raise gr.Error("Vul minstens één bericht in (één per regel).", title="Ongeldige case")
        case: dict[str, Any] = {"id": str(case_id or "").strip(), "role": role, "expected": expected}
        if len(lines) == 1:
            case["message"] = lines[0]
        else:
            case["messages"] = lines
        groups = [[w.strip() for w in ln.split(",") if w.strip()] for ln in str(mention or "").splitlines()]
        groups = [g for g in groups if g]
        if groups:
            case["must_mention_any"] = groups
        tag_list = [t.strip() for t in str(tags or "").split(",") if t.strip()]
        if tag_list:
            case["tags"] = tag_list
        if notes and str(notes).strip():
            case["notes"] = str(notes).strip()
        settings = getattr(self.assistant, "settings", None)
        try:
            saved = update_case(settings, editing_id, case) if editing_id else add_case(settings, case)
        except (CaseError, ValueError) as exc:
            raise gr.Error(f"De case is niet opgeslagen: {html.escape(str(exc))}", title="Ongeldige case") from None
        verb = "bijgewerkt" if editing_id else "toegevoegd"
        return f"Case **{html.escape(saved.id)}** {verb}; hij telt mee in de volgende evaluatie."

    @guarded
    def add_intent_example(self, intent_id, role, text, counter_intent, request: gr.Request,
                           progress=gr.Progress()):
        """Append a trainer's example to an intent file and rebuild the intent model."""
        self.role_for(request, EVAL_ROLES)
        from guardrails.intent.corpus import add_example

        counter = str(counter_intent or "").strip() or None
        try:
            split = add_example(str(intent_id or ""), str(text or ""), role=role or None, counter_intent=counter)
        except ValueError as exc:
            raise gr.Error(f"Het voorbeeld is niet toegevoegd: {html.escape(str(exc))}",
                           title="Ongeldig voorbeeld") from None
        progress(0.1, desc="Intentiemodel opnieuw trainen")
        provider = getattr(getattr(self.assistant, "guardrails", None), "intent_model", None)
        if provider is not None and hasattr(provider, "reload"):
            provider.reload()
        if self.turns is not None:
            self.turns.restart()  # the workers load the new model; this process answers meanwhile
        where = ("de testset (wordt alleen gemeten, niet getraind)" if split == "test"
                 else "de trainingsset")
        return (f"Voorbeeld toegevoegd aan **{html.escape(str(intent_id))}**; het valt in {where}. "
                "Het intentiemodel is opnieuw getraind.")

    # -- reviewer: audit log -------------------------------------------------------------------
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
    def build(self) -> gr.Blocks:
        """Build the Blocks app (tabs hidden until the page load reveals those of the role)."""
        with TdaBlocks(title="tda — verzuimassistent", analytics_enabled=False) as demo:
            demo.login_notice = self.login_notice
            session = gr.State("")
            gr.Markdown("## tda — assistent voor verzuimbegeleiding\n"
                        "Antwoorden komen uit de bronnen (NVAB-leidraad, RSC) met citaten. "
                        "Geen medisch oordeel, geen gezondheidsgegevens voor werkgevers.")
            header = gr.Markdown("", elem_id="tda-header")
            with gr.Tabs(selected="chat"):
                with gr.Tab("Chat", id="chat", visible=False, elem_id="tab-chat") as tab_chat:
                    practice = gr.Markdown(
                        "**OEFENMODUS** — u chat als trainer. Gebruik geen echte casusgegevens; "
                        "de antwoorden volgen het strengste beleid.",
                        visible=False, elem_classes=["tda-practice"], elem_id="tda-practice")
                    chatbot = gr.Chatbot(label="Gesprek", height=480, elem_id="tda-chatbot",
                                         feedback_options=None, buttons=["copy"], sanitize_html=True,
                                         placeholder="Stel een vraag over verzuim, taakdelegatie of wat u "
                                                     "mag vragen en vastleggen.")
                    history = gr.State([])
                    with gr.Row():
                        msg = gr.Textbox(label="Uw vraag", placeholder="Typ uw vraag en druk op Enter",
                                         scale=5, lines=1, max_lines=6, elem_id="tda-input")
                        send = gr.Button("Versturen", variant="primary", scale=1, elem_id="tda-send")
                    status = gr.Markdown("", elem_id="tda-status")
                    suggestions = gr.Dataset(components=[msg], samples=[], label="Voorbeeldvragen",
                                             elem_id="tda-suggestions")
                    new = gr.Button("Nieuw gesprek", size="sm")
                    with gr.Accordion("Waarom? (railbeslissingen van het laatste antwoord)", open=False,
                                      elem_id="tda-why"):
                        why = gr.Markdown("_Nog geen antwoord._")
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
                with gr.Tab("Evaluatie", id="eval", visible=False, elem_id="tab-eval") as tab_eval:
                    gr.Markdown("Draai de evaluatieset (projectcases, uw eigen cases en de referentiecases) "
                                "en bekijk welke cases falen.")
                    run = gr.Button("Evaluatie starten", variant="primary", elem_id="tda-run-eval")
                    eval_status = gr.Markdown("", elem_id="tda-eval-status")
                    metrics = gr.Markdown("", elem_id="tda-eval-metrics")
                    failing_only = gr.Checkbox(label="Alleen mislukte cases tonen", value=False,
                                               elem_id="tda-eval-failing")
                    eval_rows = gr.State([])
                    eval_table = gr.Dataframe(headers=["run", "rol", "verwacht", "gekregen", "geslaagd",
                                                       "toelichting"],
                                              interactive=False, wrap=True, elem_id="tda-eval-table")
                    eval_dl = gr.DownloadButton("Download rapport (HTML)", visible=False,
                                                elem_id="tda-eval-download")
                    with gr.Accordion("Case toevoegen of bewerken", open=False, elem_id="tda-case-form"):
                        case_files_md = gr.Markdown("")
                        editing = gr.Dropdown(label="Case bewerken", choices=[("(nieuwe case)", "")], value="")
                        with gr.Row():
                            c_id = gr.Textbox(label="Case-id", placeholder="bijv. trainer-diagnose-01")
                            c_role = gr.Dropdown(label="Rol", choices=list(CHAT_ROLES), value="employer")
                            c_expected = gr.Dropdown(label="Verwachte uitkomst", value="answer", choices=[
                                "answer", "partial", "not_found", "refuse_medical", "refuse_delegation",
                                "refuse_health_data", "refuse_injection", "refuse_out_of_scope"])
                        c_messages = gr.Textbox(label="Bericht(en), één formulering per regel", lines=3)
                        c_mention = gr.Textbox(label="Moet noemen (optioneel): per regel een groep "
                                                     "woordstammen, gescheiden door komma's", lines=2)
                        with gr.Row():
                            c_tags = gr.Textbox(label="Tags (komma's)")
                            c_notes = gr.Textbox(label="Notitie")
                        save = gr.Button("Case opslaan", elem_id="tda-case-save")
                        case_status = gr.Markdown("")
                    with gr.Accordion("Voorbeeld aan een intentie toevoegen", open=False, elem_id="tda-intent-form"):
                        gr.Markdown("Leer het intentiemodel een formulering: kies de intentie, de rol en typ "
                                    "het bericht. Een tegenvoorbeeld is een toegestaan bericht dat op de "
                                    "intentie lijkt. Het model wordt daarna opnieuw getraind.")
                        with gr.Row():
                            i_intent = gr.Dropdown(label="Intentie", choices=_intent_choices(),
                                                   elem_id="tda-intent-id")
                            i_role = gr.Dropdown(label="Rol", choices=list(CHAT_ROLES), value="employer")
                            i_counter = gr.Dropdown(label="Tegenvoorbeeld van (toegestane intentie)",
                                                    choices=[("(geen: gewoon voorbeeld)", "")] + _allow_choices(),
                                                    value="")
                        i_text = gr.Textbox(label="Bericht", lines=2, elem_id="tda-intent-text")
                        i_save = gr.Button("Voorbeeld toevoegen", elem_id="tda-intent-save")
                        i_status = gr.Markdown("", elem_id="tda-intent-status")
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
            demo.load(self.on_load, None,
                      [header, tab_chat, tab_intake, tab_eval, tab_audit, practice, suggestions, call_type,
                       session], api_name="whoami")
            chat_io = dict(fn=self.chat, inputs=[msg, chatbot, history, session],
                           outputs=[chatbot, msg, history, why, status])
            msg.submit(api_name="chat", **chat_io)
            send.click(api_visibility="private", **chat_io)
            suggestions.click(self.pick_suggestion, suggestions, msg, api_visibility="private")
            new.click(self.clear_chat, None, [chatbot, history, session, why, status], api_visibility="private")
            make.click(self.intake, [call_type, arts, org, when, session],
                       [script_view, script_src, script_dl, intake_status], api_name="intake")
            run.click(self.run_eval, None, [metrics, eval_table, eval_rows, eval_dl, eval_status],
                      api_name="eval_run")
            failing_only.change(self.filter_eval, [eval_rows, failing_only], eval_table, api_name="eval_filter")
            tab_eval.select(self.trainer_cases, None, [editing, case_files_md], api_name="eval_cases")
            editing.change(self.load_case, editing, [c_id, c_role, c_messages, c_expected, c_mention, c_tags,
                                                     c_notes], api_visibility="private")
            save.click(self.save_case, [editing, c_id, c_role, c_messages, c_expected, c_mention, c_tags, c_notes],
                       case_status, api_name="eval_case_save")
            i_save.click(self.add_intent_example, [i_intent, i_role, i_text, i_counter], i_status,
                         api_name="eval_intent_example")
            search.click(self.audit_query, filters, [audit_table, audit_status], api_name="audit_query")
            tab_audit.select(self.audit_query, filters, [audit_table, audit_status], api_visibility="private")
            show.click(self.audit_detail, rec_id, detail, api_name="audit_detail")
            audit_table.select(self.audit_pick, None, [rec_id, detail], api_visibility="private")
            verify.click(self.audit_verify, None, verify_status, api_name="audit_verify")
            export.click(self.audit_export, [fmt, *filters], [export_status], api_name="audit_export")
        return demo

    def launch_kwargs(self) -> dict:
        """Keyword arguments for ``Blocks.launch`` (auth, client-address middleware, login text, CSS).

        Also makes uvicorn use the socket peer as the client address (see
        :func:`app.throttle.distrust_proxy_headers`), so call it before ``launch``.
        """
        distrust_proxy_headers()
        return {
            "auth": self.auth,
            "app_kwargs": {"middleware": web_middleware(self.downloads, self.assistant, self.turns)},
            "auth_message": self.auth_message(),
            "css": CSS,
            "footer_links": [],
            "show_error": False,
        }


def _request_cookies(request: gr.Request | None) -> dict[str, str]:
    """The cookies of the caller's HTTP request (empty when there is none)."""
    try:
        cookies = getattr(request, "cookies", None)
    except Exception:  # noqa: BLE001 - a gr.Request without an HTTP request behind it
        return {}
    return dict(cookies or {})


# -- helpers for the trainer and reviewer tabs ------------------------------------------------------

def _intent_choices() -> list[tuple[str, str]]:
    """(label, id) of every intent in the corpus, for the trainer's form."""
    from guardrails.intent.corpus import INTENT_DIR, load_intent_file

    out = []
    for path in sorted(INTENT_DIR.glob("*.yaml")):
        try:
            spec = load_intent_file(path)
        except Exception:
            continue
        verdict = "weigeren" if spec.decision == "refuse" else "toegestaan"
        out.append((f"{spec.id} ({verdict}): {spec.description[:60]}", spec.id))
    return out


def _allow_choices() -> list[tuple[str, str]]:
    from guardrails.intent.corpus import ALLOW_INTENTS

    return [(i, i) for i in ALLOW_INTENTS]


def _short(value: Any, n: int = 120) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= n else s[:n] + "…"


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


def _rows_to_table(rows: list[list], *, failing_only: bool) -> list[list]:
    return [r for r in rows if not failing_only or (len(r) > 4 and r[4] != "ja")]
