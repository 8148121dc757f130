"""One chat turn as a list of steps over one :class:`~app.turn.state.TurnState`.

    clean -> input_rails -> route -> retrieve -> retrieval_rails -> compose -> output_rails

Each step is a function ``TurnState -> TurnState``; a step that decides the turn (a refusal,
nothing found, an intake script) ends it and the later steps are skipped. ``build_reply`` in
``app.turn.reply`` is the one place that turns the state into a ``Reply``. To change one part of
a turn, change its step: the steps share nothing but the state.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from app.reply import Citation, Redaction, RuleRef
from app.turn import compose as composition
from app.turn.reply import build_reply
from app.turn.state import TurnState
from guardrails.intent.clauses import allowed_clauses
from guardrails.types import Action, Decision, TurnContext, Verdict
from knowledge.text import tokenize
from vocab import SCRIPT_ROLES  # roles whose chat may ask for an intake script

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = (
    "Dit staat niet in de bronnen die ik gebruik: de vijf documenten (RSC Beroepscode, RSC Kader "
    "Bekwaamheid, NVAB Leidraad en de twee RSC-standpunten) beschrijven dit niet. Ik geef daarom geen "
    "antwoord, om niets te verzinnen. Raadpleeg hiervoor de wet- en regelgeving (bijvoorbeeld via UWV) "
    "of de bedrijfsarts."
)
INVALID_INPUT_RULE = "input.invalid"
SEARCH_FAILED = "Het zoeken in de bronnen is mislukt; probeer het opnieuw."

Step = Callable[[TurnState], TurnState]


class TurnPipeline:
    """The steps of a chat turn, over the assistant's services.

    Args:
        settings: Input limit, ``top_k``, thresholds.
        guardrails: ``guardrails.pipeline.Guardrails``.
        retriever: ``knowledge.retrieval.HybridRetriever``.
        cards: ``knowledge.card_match.CardMatcher`` or ``None``.
        llm: Optional LLM composer.
        scripts: Builds an intake-script reply: ``scripts(role, call_type, ctx, exclude_topics=...)``.
        rules: ``rule ids -> [RuleRef]`` (the policy's rules as the reply cites them).
    """

    def __init__(self, settings, guardrails, retriever, *, cards=None, llm=None, scripts=None, rules=None) -> None:
        self.settings = settings
        self.guardrails = guardrails
        self.retriever = retriever
        self.cards = cards
        self.llm = llm
        self.scripts = scripts
        self.rules = rules
        # (step, the timing stage it counts towards)
        self.steps: list[tuple[Step, str]] = [
            (self.clean, "input_rails"), (self.input_rails, "input_rails"), (self.route, "compose"),
            (self.retrieve, "retrieval"), (self.retrieval_rails, "retrieval"), (self.compose, "compose"),
            (self.output_rails, "output_rails"),
        ]

    def run(self, state: TurnState):
        """Run the steps until one ends the turn; the reply of the final state."""
        for step, stage in self.steps:
            t = time.perf_counter()
            state = step(state)
            state.timings[stage] = state.timings.get(stage, 0.0) + (time.perf_counter() - t) * 1000
            if state.ended:
                break
        if not state.ended:  # every step passed without an outcome: nothing to answer with
            state.end("not_found", NOT_FOUND_TEXT)
        return build_reply(state)

    # -- steps ---------------------------------------------------------------------------------
    def clean(self, s: TurnState) -> TurnState:
        """Normalise the message (control characters, obfuscation, length); refuse what cannot be read."""
        from guardrails.normalize import clean_input

        cleaned = clean_input(s.message, self.settings.max_input_chars)
        s.notices.extend(cleaned.notices)
        if cleaned.error:
            s.decisions.append(Decision(rail="input.clean", action=Action.BLOCK, rule_id=INVALID_INPUT_RULE,
                                        reason=cleaned.error, risk=1.0))
            return s.end("refuse", cleaned.error)
        s.cleaned = cleaned.text
        s.ctx = TurnContext(role=s.role, history=s.history, session_id=s.session_id, user=s.user)
        return s

    def input_rails(self, s: TurnState) -> TurnState:
        """The input rails; a refused compound message keeps its allowed clauses (a partial answer)."""
        verdict = self.guardrails.check_input(s.cleaned, s.ctx)
        s.decisions.extend(verdict.decisions)
        s.redactions = _redactions(verdict)
        if verdict.blocked:
            allowed = allowed_clauses(s.cleaned, verdict, s.ctx, self.guardrails.check_input, tokenize)
            if not allowed:
                return self._refuse(s, verdict)
            s.partial_refusal = verdict  # serve the allowed clauses, decline the rest
            rest = self.guardrails.check_input(" ".join(allowed), s.ctx)
            s.decisions.extend(rest.decisions)
            if rest.blocked:
                return self._refuse(s, s.partial_refusal)
            verdict = rest
        s.partial_rules = self.rules([d.rule_id for d in verdict.partial if d.rule_id])
        if s.partial_refusal is not None:
            declined = [d.rule_id for d in s.partial_refusal.decisions if d.action is Action.BLOCK and d.rule_id]
            s.partial_rules = _unique(self.rules(declined) + s.partial_rules)
        s.text = verdict.text  # PII / health data already masked
        return s

    def route(self, s: TurnState) -> TurnState:
        """"maak een belscript ..." is answered by the intake-script builder, everything else by the sources."""
        from app.intake import detect_script_request

        if s.role not in SCRIPT_ROLES or self.scripts is None:
            return s
        request = detect_script_request(s.cleaned, s.role)
        if not request:
            return s
        call_type, forbidden = request
        s.script = (call_type, list(forbidden))
        script = self.scripts(s.role, call_type, s.ctx, exclude_topics=tuple(forbidden))
        s.decisions.extend(script.decisions)
        s.notices.extend(script.notices)
        s.timings["output_rails"] += script.timings_ms.get("output_rails", 0.0)
        seen = {r.id for r in script.rules}
        rules = [r for r in s.partial_rules if r.id not in seen] + list(script.rules)
        if forbidden and not rules:  # health topics left out of an employer's script: say why
            rules = self.rules(["employer.no_health_questions"])
        return s.end(script.decision, script.text, category=script.category, citations=list(script.citations),
                     rules=rules, kind=script.kind)

    def retrieve(self, s: TurnState) -> TurnState:
        """Search the sources; short follow-ups are searched with the previous question."""
        query = _query_with_context(s.text, s.history)
        try:
            s.passages = self.retriever.search(query, k=self.settings.top_k)
            s.confidence = self.retriever.confidence(query, s.passages)
        except Exception:  # retrieval never crashes the turn: nothing found, with a notice
            log.error("retrieval failed", exc_info=log.isEnabledFor(logging.DEBUG))
            s.passages, s.confidence = [], 0.0
            s.notices.append(SEARCH_FAILED)
        return s

    def retrieval_rails(self, s: TurnState) -> TurnState:
        """The retrieval rails per passage (each keeps its own redacted text); too little coverage ends the turn."""
        kept = []
        for p in s.passages:
            try:
                checked = self.guardrails.check_retrieval([p.to_dict()], s.ctx)
            except Exception:
                log.error("retrieval rail failed; passages withheld")
                kept = []
                break
            if checked:
                kept.append(dataclasses.replace(p, text=checked[0]["text"]))
        s.passages = kept
        threshold = self.settings.not_found_threshold
        s.decisions.append(Decision(rail="retrieval.confidence", action=Action.ALLOW,
                                    reason=f"dekking {s.confidence:.2f} (drempel {threshold:.2f})"))
        if not s.passages or s.confidence < threshold:
            return s.end("not_found", NOT_FOUND_TEXT, rules=s.partial_rules)
        return s

    def compose(self, s: TurnState) -> TurnState:
        """A direct answer (answer card) or the best sentence first, then the quotes; the declined part last."""
        s.answer, s.citations, decisions = composition.compose_answer(
            s.text, s.role, s.passages, cards=self.cards, card_threshold=self.settings.card_threshold)
        s.decisions.extend(decisions)
        if not s.citations:
            return s.end("not_found", NOT_FOUND_TEXT, rules=s.partial_rules)
        if self.llm is not None:
            phrased, notice = composition.llm_answer(self.llm, self.guardrails, s.text, s.role, s.passages, s.ctx)
            if phrased is None:
                s.notices.append(notice)
            else:
                (s.answer, s.citations), s.origin = phrased, "llm"
        if s.partial_refusal is not None:
            declined_text, _ = self.guardrails.refusal(s.partial_refusal, s.ctx)
            s.answer += "\n\n**Niet beantwoord (deel van uw vraag):** " + declined_text
        elif s.partial_rules:
            s.answer += "\n\n**Niet beantwoord:** " + " ".join(r.reason for r in s.partial_rules)
        return s

    def output_rails(self, s: TurnState) -> TurnState:
        """The output rails over the answer and every quote shown; a blocked quote is left out."""
        out = self.guardrails.check_output(s.answer, s.ctx, origin=s.origin, cites=[c.source for c in s.citations],
                                           user_text=s.cleaned)
        s.decisions.extend(out.decisions)
        if out.blocked:
            return self._refuse(s, out)
        safe = []
        for c in s.citations:
            q = self.guardrails.check_output(c.quote, s.ctx, origin="source", cites=(c.source,), user_text=s.cleaned)
            if not q.blocked:
                safe.append(Citation(c.source, c.title, c.section, c.lines, q.text))
        if not safe:
            return s.end("not_found", NOT_FOUND_TEXT)
        return s.end("answer", out.text, citations=safe, rules=s.partial_rules)

    # -- shared --------------------------------------------------------------------------------
    def _refuse(self, s: TurnState, verdict: Verdict) -> TurnState:
        """End the turn with the refusal for ``verdict``: the rule, its source quoted, an alternative."""
        text, rules = self.guardrails.refusal(verdict, s.ctx)
        rules = [RuleRef(r.id, r.reason, r.source, tuple(r.lines)) for r in rules]
        blocking = verdict.blocking
        category = blocking.category.value if blocking is not None and blocking.category else None
        citations = []
        for r in rules:
            if r.source and r.lines and r.lines[0] > 0:
                text_quoted = composition.quote(r.source, r.lines[0], r.lines[1])
                if text_quoted:
                    out = self.guardrails.check_output(text_quoted, s.ctx, origin="source", cites=(r.source,))
                    if not out.blocked:
                        citations.append(Citation(r.source, composition.title(r.source), "", r.lines, out.text))
        return s.end("refuse", text, category=category, citations=citations, rules=rules)


def _redactions(verdict: Verdict) -> list[Redaction]:
    out = [Redaction(e.label, e.start, e.end)
           for d in verdict.decisions if d.action is Action.REDACT for e in d.evidence]
    return sorted(out, key=lambda r: (r.start, r.end))


def _unique(rules: list[RuleRef]) -> list[RuleRef]:
    seen, out = set(), []
    for r in rules:
        if r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out


def _query_with_context(text: str, history: list[dict]) -> str:
    """Short follow-ups ("en de werkgever?") are searched together with the previous question."""
    if len(tokenize(text)) >= 4:
        return text
    for msg in reversed(history):
        if msg.get("role") == "user" and isinstance(msg.get("content"), str):
            return f"{msg['content']} {text}"
    return text
