"""The chat tab: message cleaning, reply rendering and the chat handlers."""

from __future__ import annotations

import functools
import html
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

# Runs in the browser after a chat turn: scroll the last assistant message's top into view (inside the
# chat panel and on the page). Waits briefly for Gradio to render the final message.
SCROLL_TO_REPLY_JS = """
() => {
  let tries = 0;
  const go = () => {
    const chat = document.querySelector('#tda-chatbot');
    const rows = chat ? chat.querySelectorAll('.message-row.bot-row, .bot-row, [data-testid="bot"]') : [];
    const last = rows.length ? rows[rows.length - 1] : null;
    const done = last && last.innerText.includes('antwoordtijd');
    if (!done && tries++ < 30) { setTimeout(go, 100); return; }
    if (last) {
      const row = last.closest('.message-row') || last;
      if (row.dataset.tdaShown) return;   // no new reply (e.g. an empty message was refused)
      row.dataset.tdaShown = '1';
      row.scrollIntoView({block: 'start', behavior: 'instant'});
    }
  };
  requestAnimationFrame(go);
}
"""

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


# -- reply rendering ---------------------------------------------------------------------------

# PDF debris in quotes (the knowledge cleaning keeps the stored text as shipped; the chat cleans
# what it shows). Every pattern has examples in tests/app/test_ui_chat14.py.
# A footnote number after a sentence mark: "werknemer.2 De" -> "werknemer. De", "delegeren;33" -> "delegeren;".
_FOOTNOTE_AFTER_MARK_RE = re.compile(r"(?<=[a-zà-ÿ)]{2}[.;:,])\d{1,2}(?=\s|$)")
# A footnote number glued to a lower-case word: "artsen14 en" -> "artsen en" (not "COVID19", not "2a").
_FOOTNOTE_GLUED_RE = re.compile(r"(?<=[a-zà-ÿ]{3})\d{1,2}(?=[\s,.;:)]|$)")
# Page or footnote numbers before the first word of a quote: "4 1Eigen regiemodel" -> "Eigen regiemodel"
# (a section number such as "2.2 Casemanagement" or a list number "3 Het" is kept).
_LEADING_DEBRIS_RE = re.compile(r"^\s*(?:\d{1,3}\s+)*\d{1,2}(?=[A-ZÀ-Ý][a-zà-ÿ])")
_SPACES_RE = re.compile(r"[ \t]+")


def clean_quote(text: str) -> str:
    """A source quote without PDF debris (footnote digits glued to words, page numbers at the start)."""
    text = _LEADING_DEBRIS_RE.sub("", text or "")
    text = _FOOTNOTE_AFTER_MARK_RE.sub("", text)
    text = _FOOTNOTE_GLUED_RE.sub("", text)
    return _SPACES_RE.sub(" ", text).strip()


@functools.lru_cache(maxsize=1)
def _short_titles() -> dict[str, str]:
    try:
        from knowledge.documents import load_manifest

        return {d.id: d.short for d in load_manifest().documents if getattr(d, "short", None)}
    except Exception:  # noqa: BLE001 - the chat still renders with the long titles
        logger.warning("knowledge manifest not readable; citations use their full titles")
        return {}


def short_title(source: str, title: str = "") -> str:
    """The short document title for a source chip ("NVAB Leidraad bedrijfsarts & casemanager")."""
    short = _short_titles().get(str(source))
    if short:
        return short
    title = re.sub(r"\s*\([^)]*\)", "", title or "").strip()
    if len(title) <= 40:
        return title or f"bron {source}"
    return title[:40].rsplit(" ", 1)[0] + "…"


_RULE_CODE_RE = re.compile(r"\s*\(Regel [a-z_]+\.[a-z0-9_]+;[^)\n]*\)\.?")
_DECLINED_RE = re.compile(r"^(?P<intro>.*?)\s*Hier help ik u niet mee: (?P<declined>[^\n]+?)\.?\s*$", re.M)
_WHY_RE = re.compile(r"^Waarom: [^\n]*\n?", re.M)
_ALTERNATIVE_RE = re.compile(r"^Wat (?:u wel kunt doen|wel kan): (?P<alt>.+?)\s*(?:\n\s*\n|\Z)", re.M | re.S)


def _line_span(value: Any) -> str:
    """"782–801", or "606" for a single line."""
    try:
        a, b = value
        if int(a) == int(b):
            return str(int(a))
    except (TypeError, ValueError):
        pass
    return _lines(value)


def _source_ref(source: str, lines: Any) -> str:
    return f"bron: {short_title(source)}, regels {_line_span(lines)}"


def _rule_text(rule) -> str:
    """A rule as readable Dutch: its reason and where it comes from (no rule code)."""
    return (f"{show_placeholders(' '.join(str(rule.reason).split()))} "
            f"<span class=\"tda-meta\">({html.escape(_source_ref(rule.source, rule.lines))})</span>")


def parse_refusal(text: str) -> dict | None:
    """The parts of a guardrails refusal (prompts/refusals.yaml ``block``): intro, declined, alternative.

    ``None`` when the text does not have that shape (then it is shown as it is, without rule codes).
    """
    m = _DECLINED_RE.search(text or "")
    if not m:
        return None
    alt = _ALTERNATIVE_RE.search(text)
    return {"intro": m.group("intro").strip(), "declined": m.group("declined").strip(),
            "alternative": " ".join(alt.group("alt").split()) if alt else ""}


def strip_rule_codes(text: str, rules=()) -> str:
    """Reply text without "(Regel x.y; bron ...)" and, when the rules are shown apart, without "Waarom:"."""
    text = _RULE_CODE_RE.sub("", text or "")
    if rules:
        text = _WHY_RE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_verdict(reply) -> str:
    """The first block of a reply: for a refusal "Nee, dat doe ik niet: ...", the rule, the alternative."""
    decision = getattr(reply, "decision", "answer")
    category = getattr(reply, "category", None)
    text = getattr(reply, "text", "") or ""
    rules = list(getattr(reply, "rules", []) or [])
    if decision == "refuse":
        label = CATEGORY_LABELS.get(category or "", category or "")
        head = f"<div class=\"tda-verdict-head\">GEWEIGERD{' · ' + html.escape(label) if label else ''}</div>"
        parts = refusal_parts(reply)
        body = [f"**Nee, dat doe ik niet:** {show_placeholders(parts['verdict'])}"]
        for rule in rules:
            body.append(f"**Regel:** {_rule_text(rule)}")
        if parts["rest"]:
            body.append(show_placeholders(parts["rest"]))
        if parts["alternative"]:
            body.append(f"**Wat u wel kunt doen:** {show_placeholders(parts['alternative'])}")
        return f"<div class=\"tda-refusal\">\n{head}\n\n" + "\n\n".join(body) + "\n\n</div>"
    if decision == "not_found":
        return (f"<div class=\"tda-notfound\">\n<div class=\"tda-verdict-head\">NIET GEVONDEN in de bronnen</div>"
                f"\n\n{show_placeholders(strip_rule_codes(text))}\n\n</div>")
    body = show_placeholders(strip_rule_codes(text, rules))
    if rules:  # declined parts of an answered question: each rule once, readable
        body += "\n\n" + "\n".join(f"- **Regel:** {_rule_text(r)}" for r in rules)
    return body


def refusal_parts(reply) -> dict:
    """``verdict`` (after "Nee, dat doe ik niet:"), ``alternative`` and ``rest`` of a refusal text."""
    text = getattr(reply, "text", "") or ""
    rules = list(getattr(reply, "rules", []) or [])
    parsed = parse_refusal(text)
    if parsed:
        verdict = parsed["declined"].rstrip(".") + "."
        if parsed["intro"]:
            verdict += " " + parsed["intro"]
        return {"verdict": verdict, "alternative": parsed["alternative"], "rest": ""}
    # another shape (e.g. a rail error): the first paragraph is the verdict, the reason is not repeated
    rest = strip_rule_codes(text, rules)
    alt = _ALTERNATIVE_RE.search(rest)
    alternative = " ".join(alt.group("alt").split()) if alt else ""
    if alt:
        rest = (rest[:alt.start()] + rest[alt.end():]).strip()
    for rule in rules:
        rest = rest.replace(" ".join(str(rule.reason).split()), "").strip()
    first, _, rest = rest.partition("\n\n")
    verdict = first.strip() or "dit verzoek valt buiten wat ik mag doen."
    if len(verdict) > 1 and verdict[1].islower():
        verdict = verdict[0].lower() + verdict[1:]
    return {"verdict": verdict, "alternative": alternative, "rest": rest.strip()}


def render_chips(citations) -> str:
    """Compact source chips (short title + lines) that open to the cleaned quote."""
    chips = []
    for n, c in enumerate(list(citations or []), start=1):
        where = f", §{c.section}" if c.section else ""
        label = f"[{n}] {short_title(c.source, c.title)} · regels {_line_span(c.lines)}"
        quote = clean_quote(c.quote)
        chips.append(
            f"<details class=\"tda-chip\"><summary>{html.escape(label)}</summary>"
            f"<div class=\"tda-quote-src\">Bron {html.escape(str(c.source))}: {html.escape(c.title)}"
            f"{html.escape(where)}, regels {_line_span(c.lines)}</div>"
            f"<blockquote>{html.escape(quote) if quote else '(geen citaat)'}</blockquote></details>")
    if not chips:
        return ""
    return "<div class=\"tda-chips\"><span class=\"tda-chips-label\">Bronnen:</span> " + "".join(chips) + "</div>"


HEALTH_NOTICE = "Uw vraag bevatte gezondheidsinformatie; die is niet opgeslagen."
IDENTIFIER_NOTICE = ("Uw vraag bevatte persoonsgegevens (zoals een naam of BSN); die zijn afgeschermd en "
                     "niet opgeslagen.")


def masked_notices(reply, role: str | None = None) -> list[str]:
    """Dutch notices for what was masked in the question (never the masked value itself)."""
    health = identifiers = False
    for r in list(getattr(reply, "redactions", []) or []):
        entity = str(getattr(r, "entity", "") or "")
        if entity.upper().startswith("HEALTH"):
            health = True
        else:
            identifiers = True
    for d in list(getattr(reply, "decisions", []) or []):
        get = (d if isinstance(d, dict) else d.to_dict()).get
        if not str(get("rail") or "").startswith("input.health"):
            continue
        action = get("action")
        action = getattr(action, "value", action)
        if action == "redact" or (role == "employer" and get("evidence") and action != "allow"):
            health = True
    out = []
    if health:
        out.append(HEALTH_NOTICE)
    if identifiers:
        out.append(IDENTIFIER_NOTICE)
    return out


# General wording per category for the consult request: never the user's words.
_ESCALATION_TOPICS = {
    "medical_judgement": ("een medische kwestie (zoals ziekte, belastbaarheid of behandeling)",
                          "Dit vraagt een medisch oordeel, dat alleen u als bedrijfsarts kunt geven."),
    "outside_delegation": ("een onderwerp dat buiten mijn taakdelegatie als casemanager valt",
                           "Dit valt buiten de taken die u aan mij hebt gedelegeerd."),
}
ESCALATION_ROLES = ("casemanager",)


def escalation_request(reply, role: str | None) -> str | None:
    """A PII-free consult request to the bedrijfsarts for a refusal that belongs to the bedrijfsarts.

    Built only from the reply's category and rule (reason, source): never from the user's message.
    """
    category = getattr(reply, "category", None)
    if role not in ESCALATION_ROLES or getattr(reply, "decision", "") != "refuse" or category not in _ESCALATION_TOPICS:
        return None
    topic, why = _ESCALATION_TOPICS[category]
    rules = list(getattr(reply, "rules", []) or [])
    lines = ["Verzoek om beoordeling door de bedrijfsarts", "",
             "Geachte bedrijfsarts,", "",
             f"In de verzuimbegeleiding ligt een vraag van de werknemer over {topic}. {why} "
             "Daarom leg ik deze vraag aan u voor."]
    for rule in rules[:1]:
        reason = " ".join(str(rule.reason).split())
        first = re.split(r"(?<=[.!?])\s+", reason)[0]
        lines += ["", f"Grond: {first} ({_source_ref(rule.source, rule.lines)})"]
    lines += ["", "Wilt u de werknemer hierover zelf spreken en mij laten weten wat ik met de werknemer en de "
                  "werkgever kan afspreken? Namen en medische details staan bewust niet in dit bericht.",
              "", "Met vriendelijke groet,", "[naam casemanager]"]
    return "\n".join(lines)


def render_escalation(text: str) -> str:
    """The escalation block: a short heading and the request in a code block (Gradio adds a copy button)."""
    return ("<div class=\"tda-escalation\">\n\n**Voorleggen aan de bedrijfsarts** — kopieer dit verzoek "
            "(zonder namen of medische details) met de kopieerknop:\n\n```text\n" + text.replace("```", "'''")
            + "\n```\n\n</div>")


def render_reply(reply, wall_ms: float, role: str | None = None) -> list[dict]:
    """Turn a Reply into one chatbot message: verdict first, masked-notice, escalation, source chips, timing."""
    parts: list[str] = [render_verdict(reply)]
    notices = masked_notices(reply, role) + list(getattr(reply, "notices", []) or [])
    if notices:
        parts.append("\n".join(f"<div class=\"tda-masked\">{html.escape(n)}</div>" for n in dict.fromkeys(notices)))
    escalation = escalation_request(reply, role)
    if escalation:
        parts.append(render_escalation(escalation))
    chips = render_chips(getattr(reply, "citations", []) or [])
    if chips:
        parts.append(chips)
    total = (getattr(reply, "timings_ms", {}) or {}).get("total", 0.0)
    parts.append(f"<span class=\"tda-meta\">antwoordtijd {wall_ms:.0f} ms (verwerking {total:.0f} ms)</span>")
    return [{"role": "assistant", "content": "\n\n".join(parts)}]


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
        messages = render_reply(reply, wall, role)
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
            chatbot = gr.Chatbot(label="Gesprek", height=480, elem_id="tda-chatbot", autoscroll=False,
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
        # Gradio would scroll to the end of the chat: a long reply's start (its verdict) would be out of
        # sight on a phone. After each turn the browser scrolls the new reply's top into view instead.
        c.msg.submit(api_name="chat", **chat_io).then(None, js=SCROLL_TO_REPLY_JS)
        c.send.click(api_visibility="private", **chat_io).then(None, js=SCROLL_TO_REPLY_JS)
        c.suggestions.click(self.pick_suggestion, c.suggestions, c.msg, api_visibility="private")
        c.new.click(self.clear_chat, None, [c.chatbot, c.history, session, c.why, c.status],
                    api_visibility="private")
