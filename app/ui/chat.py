"""The chat tab: message cleaning, reply rendering and the chat handlers."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.loader import LOADING_TEXT
from app.ui.layout import (
    CATEGORY_LABELS,
    CHAT_ROLES,
    DECISION_LABELS,
    _lines,
    _md_escape,
    guarded,
    logger,
    show_placeholders,
)

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
        get = (d if isinstance(d, dict) else d.to_dict()).get  # typed decisions (a Reply) or stored dicts
        action = get("action")
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


class ChatTab:
    """The chat tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``assistant``, ``turns``
    and ``max_input_chars`` of the app)."""

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

    # -- layout --------------------------------------------------------------------------------
    def _build_chat_tab(self) -> SimpleNamespace:
        """The chat tab's components (inside the app's ``gr.Tabs``)."""
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
        return SimpleNamespace(tab=tab_chat, practice=practice, chatbot=chatbot, history=history, msg=msg,
                               send=send, status=status, suggestions=suggestions, new=new, why=why)

    def _wire_chat_tab(self, c: SimpleNamespace, session: gr.State) -> None:
        """The chat tab's events."""
        chat_io = dict(fn=self.chat, inputs=[c.msg, c.chatbot, c.history, session],
                       outputs=[c.chatbot, c.msg, c.history, c.why, c.status])
        c.msg.submit(api_name="chat", **chat_io)
        c.send.click(api_visibility="private", **chat_io)
        c.suggestions.click(self.pick_suggestion, c.suggestions, c.msg, api_visibility="private")
        c.new.click(self.clear_chat, None, [c.chatbot, c.history, session, c.why, c.status],
                    api_visibility="private")
