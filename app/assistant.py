"""The turn pipeline: normalise -> input rails -> retrieve -> retrieval rails -> compose -> output rails.

Every turn is recorded in the audit log (redacted). ``Assistant.respond`` is the single path used by
the CLI, the Gradio app and the evaluation suite.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from functools import lru_cache

import app  # noqa: F401  (offline environment first)
from app.reply import Citation, Reply, RuleRef
from app.settings import ROLES, Settings, load_settings
from guardrails.intent.clauses import CLAUSE_SPLIT
from guardrails.types import Action, TurnContext, Verdict
from knowledge.documents import load_manifest, source_lines
from knowledge.index import KnowledgeIndex
from knowledge.language import NOTICE as LANGUAGE_NOTICE
from knowledge.language import is_english
from knowledge.retrieval import HybridRetriever, Passage
from knowledge.text import tokenize

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = (
    "Dit staat niet in de bronnen die ik gebruik: de vijf documenten (RSC Beroepscode, RSC Kader "
    "Bekwaamheid, NVAB Leidraad en de twee RSC-standpunten) beschrijven dit niet. Ik geef daarom geen "
    "antwoord, om niets te verzinnen. Raadpleeg hiervoor de wet- en regelgeving (bijvoorbeeld via UWV) "
    "of de bedrijfsarts."
)
ERROR_TEXT = (
    "Er ging iets mis bij het verwerken van uw bericht. Er is niets opgeslagen of doorgegeven. "
    "Probeer het opnieuw of formuleer uw vraag anders."
)
INVALID_INPUT_RULE = "input.invalid"


def _now() -> float:
    return time.perf_counter()


@lru_cache(maxsize=512)
def _quote(doc: str, start: int, end: int, limit: int = 600) -> str:
    """Verbatim quote of source lines (whitespace collapsed), cut at ``limit`` characters."""
    try:
        lines = source_lines(doc)[start - 1:end]
    except Exception:
        return ""
    text = re.sub(r"\s+", " ", " ".join(lines)).replace("\ufffd", "").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _title(doc: str) -> str:
    try:
        return load_manifest().doc(doc).title
    except KeyError:
        return doc




class Assistant:
    """Answers questions from the sources within the rails, for one of the four roles."""

    def __init__(self, settings: Settings, index: KnowledgeIndex, guardrails, *, audit=None, llm=None) -> None:
        self.settings = settings
        self.index = index
        self.retriever = HybridRetriever(index, settings)
        from knowledge.card_match import CardMatcher

        try:
            self.cards = CardMatcher(index)
        except Exception:  # answer cards are an extra: without them the extractive answer serves
            log.warning("answer cards unavailable", exc_info=True)
            self.cards = None
        self.guardrails = guardrails
        self.audit = audit
        self.llm = llm
        self.notices = list(index.notices)
        self.load_timings: dict[str, float] = {}

    # ---- construction --------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings | None = None, *, audit=None,
             progress: Callable[[int, int], None] | None = None, warm: bool = True) -> "Assistant":
        """Load settings, the index (built if missing or stale), the rails, the audit log and the LLM.

        Args:
            audit: ``None`` follows the settings, ``False``/``True`` switch the audit log off/on, and
                an open audit log is used as it is (``tda serve`` opens it before the models load).

        The seconds each stage took are kept in ``assistant.load_timings`` (``make profile``).
        """
        stages: dict[str, float] = {}
        t = _now()

        def lap(name: str) -> None:
            nonlocal t
            stages[name] = _now() - t
            t = _now()

        settings = settings or load_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        from guardrails.recognizers import deduce_recognizer

        deduce_recognizer.configure(settings.cache_path)
        index = KnowledgeIndex.load_or_build(settings, progress=progress)
        lap("index")
        from guardrails.intent.store import ModelProvider
        from guardrails.pipeline import Guardrails

        intent_model = ModelProvider(settings.intent_dir, config=settings.intent_config(),
                                     cache_dir=settings.cache_path)
        intent_model()  # load, or build when the corpus, code or settings changed (fails loudly here, not mid-call)
        lap("intent_model")
        guardrails = Guardrails.load(intent_model=intent_model)
        lap("guardrails")
        audit_log = None
        if audit is not None and not isinstance(audit, bool):
            audit_log = audit
        elif settings.audit_enabled if audit is None else audit:
            from app.audit import AuditLog

            audit_log = AuditLog.open(settings)
        lap("audit")
        llm = None
        if settings.llm_backend != "none":
            try:
                from app.llm import LLMComposer

                llm = LLMComposer.from_settings(settings)
            except Exception as exc:
                log.warning("LLM backend unavailable (%s); using the extractive composer", type(exc).__name__)
        assistant = cls(settings, index, guardrails, audit=audit_log, llm=llm)
        lap("assistant")
        if warm:
            assistant.warm_up()
            lap("warm_up")
        assistant.load_timings = stages
        return assistant

    def warm_up(self) -> None:
        """Load lazy models (deduce, embeddings) so the first real turn is fast."""
        from concurrent.futures import ThreadPoolExecutor

        ctx = TurnContext(role="casemanager")

        def rails() -> None:
            self.guardrails.check_input("Jan de Vries belde over zijn verzuim.", ctx)
            self.guardrails.check_output("Volgens de leidraad vraagt u de bedrijfsarts.", ctx, citations=1)

        def retrieval() -> None:
            self.retriever.search("eerste contact na ziekmelding", k=1)

        # deduce (rails) and the embedding model (retrieval) load in parallel: the slowest sets the start time
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(rails), pool.submit(retrieval)]:
                try:
                    future.result()
                except Exception:
                    log.warning("warm-up failed", exc_info=True)

    # ---- public API ----------------------------------------------------------------------------

    def retrieve(self, query: str, k: int = 5) -> list[dict]:
        """Ranked passages with source, section, lines, text and fused score."""
        return [p.to_dict() for p in self.retriever.search(query, k=k)]

    def respond(self, message: object, role: str = "casemanager", history: list[dict] | None = None, *,
                session_id: str = "", user: str = "") -> Reply:
        """One turn, exactly as the app answers it. Never raises on bad input."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        t0 = _now()
        try:
            reply = self._respond(message, role, list(history or []), session_id, user)
        except Exception as exc:  # fail closed: an error is a refusal, never an unchecked answer
            log.error("turn failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            reply = Reply(decision="refuse", text=ERROR_TEXT, notices=["Interne fout; de beurt is geweigerd."])
        if reply.decision in ("answer", "not_found") and isinstance(message, str) and is_english(message):
            reply.text = f"{LANGUAGE_NOTICE}\n\n{reply.text}"  # a constant: it needs no output rail
        reply.timings_ms["total"] = (_now() - t0) * 1000
        self._record(reply, message, role, session_id, user)
        return reply

    def intake_script(self, role: str, call_type: str, *, bedrijfsarts: str | None = None,
                      organisation: str | None = None, call_date: str | None = None,
                      user: str = "", session_id: str = "", exclude_topics: tuple[str, ...] = ()) -> Reply:
        """Build an intake-call script; every line passes the output rails; the turn is audited."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        t0 = _now()
        label = f"[belscript {role}/{call_type}]"
        try:
            reply = self._script_reply(role, call_type, TurnContext(role=role, session_id=session_id, user=user),
                                       bedrijfsarts=bedrijfsarts, organisation=organisation, call_date=call_date,
                                       exclude_topics=exclude_topics)
        except ValueError as exc:
            reply = Reply(decision="refuse", text=str(exc), kind="intake_script")
        except Exception as exc:
            log.error("intake script failed: %s", type(exc).__name__)
            reply = Reply(decision="refuse", text=ERROR_TEXT, kind="intake_script")
        reply.timings_ms["total"] = (_now() - t0) * 1000
        self._record(reply, label, role, session_id, user, kind="intake_script")
        return reply

    # ---- the pipeline --------------------------------------------------------------------------

    def _respond(self, message: object, role: str, history: list[dict], session_id: str, user: str) -> Reply:
        from guardrails.normalize import clean_input

        timings = {"input_rails": 0.0, "retrieval": 0.0, "compose": 0.0, "output_rails": 0.0, "total": 0.0}
        t = _now()
        cleaned = clean_input(message, self.settings.max_input_chars)
        if cleaned.error:
            timings["input_rails"] = (_now() - t) * 1000
            return Reply(decision="refuse", text=cleaned.error, timings_ms=timings,
                         notices=list(cleaned.notices),
                         decisions=[{"rail": "input.clean", "action": "block", "rule_id": INVALID_INPUT_RULE,
                                     "reason": cleaned.error, "category": None, "risk": 1.0, "evidence": []}])
        ctx = TurnContext(role=role, history=history, session_id=session_id, user=user)
        verdict = self.guardrails.check_input(cleaned.text, ctx)
        timings["input_rails"] = (_now() - t) * 1000
        redactions = self._redactions(verdict)
        trace = [d.to_dict() for d in verdict.decisions]
        notices = list(cleaned.notices)

        partial_refusal: Verdict | None = None
        if verdict.blocked:
            allowed = self._allowed_clauses(cleaned.text, verdict, ctx)
            if not allowed:
                return self._refusal(verdict, ctx, timings, redactions, trace, notices)
            # A compound question: serve the allowed clauses, decline the rest (reply "answer" + rules).
            partial_refusal = verdict
            t = _now()
            verdict = self.guardrails.check_input(" ".join(allowed), ctx)
            timings["input_rails"] += (_now() - t) * 1000
            trace += [d.to_dict() for d in verdict.decisions]
            if verdict.blocked:
                return self._refusal(partial_refusal, ctx, timings, redactions, trace, notices)

        partial_rules = self._rule_refs(verdict.partial)
        if partial_refusal is not None:
            declined = [d for d in partial_refusal.decisions if d.action is Action.BLOCK and d.rule_id]
            partial_rules = self._rule_refs(declined) + partial_rules
        text = verdict.text  # PII / health data already masked

        # "maak een belscript ..." is answered with the intake-script builder
        from app.intake import detect_script_request

        script_req = detect_script_request(cleaned.text, role) if role in ("casemanager", "employer") else None
        if script_req:
            call_type, forbidden = script_req
            t = _now()
            reply = self._script_reply(role, call_type, ctx, exclude_topics=tuple(forbidden))
            reply.timings_ms.update({k: v for k, v in timings.items() if k == "input_rails"})
            reply.timings_ms["compose"] = (_now() - t) * 1000
            seen = {r.id for r in reply.rules}
            reply.rules = [r for r in partial_rules if r.id not in seen] + reply.rules
            if forbidden and not reply.rules:
                reply.rules = self._rule_refs_by_id(["employer.no_health_questions"])
            reply.redactions = redactions
            reply.decisions = trace + reply.decisions
            reply.notices = notices + reply.notices
            return reply

        # retrieval
        t = _now()
        query = self._query_with_context(text, history)
        try:
            passages = self.retriever.search(query, k=self.settings.top_k)
            confidence = self.retriever.confidence(query, passages)
        except Exception:  # retrieval never crashes the turn: nothing found, with a notice
            log.error("retrieval failed", exc_info=log.isEnabledFor(logging.DEBUG))
            passages, confidence = [], 0.0
            notices.append("Het zoeken in de bronnen is mislukt; probeer het opnieuw.")
        passage_dicts = [p.to_dict() for p in passages]
        try:
            passage_dicts = self.guardrails.check_retrieval(passage_dicts, ctx)
        except Exception:
            log.error("retrieval rail failed; passages withheld")
            passage_dicts = []
        timings["retrieval"] = (_now() - t) * 1000
        trace.append({"rail": "retrieval.confidence", "action": "allow", "rule_id": "", "category": None,
                      "reason": f"dekking {confidence:.2f} (drempel {self.settings.not_found_threshold:.2f})",
                      "risk": 0.0, "evidence": []})

        if not passage_dicts or confidence < self.settings.not_found_threshold:
            return Reply(decision="not_found", text=NOT_FOUND_TEXT, timings_ms=timings, redactions=redactions,
                         rules=partial_rules, decisions=trace, notices=notices)

        # compose: a direct answer (answer card) or the best sentence first, then the quotes
        t = _now()
        answer_text, citations, card_trace = self._compose(text, role, passages[: len(passage_dicts)], passage_dicts)
        trace += card_trace
        if not citations:
            timings["compose"] = (_now() - t) * 1000
            return Reply(decision="not_found", text=NOT_FOUND_TEXT, timings_ms=timings, redactions=redactions,
                         rules=partial_rules, decisions=trace, notices=notices)
        llm_used = False
        if self.llm is not None:
            answer_text, citations, llm_notice = self._llm_compose(text, role, passage_dicts, citations,
                                                                   answer_text, ctx)
            llm_used = llm_notice is None
            if llm_notice:
                notices.append(llm_notice)
        if partial_refusal is not None:
            declined_text, _ = self.guardrails.refusal(partial_refusal, ctx)
            answer_text += "\n\n**Niet beantwoord (deel van uw vraag):** " + declined_text
        elif partial_rules:
            answer_text += "\n\n**Niet beantwoord:** " + " ".join(r.reason for r in partial_rules)
        timings["compose"] = (_now() - t) * 1000

        # output rails over the text and every quote shown
        t = _now()
        out = self.guardrails.check_output(answer_text, ctx, user_text=cleaned.text, citations=len(citations),
                                           source_text=not llm_used)
        trace += [d.to_dict() for d in out.decisions]
        if out.blocked:
            timings["output_rails"] = (_now() - t) * 1000
            return self._refusal(out, ctx, timings, redactions, trace, notices)
        answer_text = out.text
        safe_citations = []
        for c in citations:
            q = self.guardrails.check_output(c.quote, ctx, user_text=cleaned.text, citations=1, source_text=True)
            if q.blocked:
                continue
            safe_citations.append(Citation(c.source, c.title, c.section, c.lines, q.text))
        timings["output_rails"] = (_now() - t) * 1000
        if not safe_citations:
            return Reply(decision="not_found", text=NOT_FOUND_TEXT, timings_ms=timings, redactions=redactions,
                         decisions=trace, notices=notices)
        return Reply(decision="answer", text=answer_text, citations=safe_citations, rules=partial_rules,
                     redactions=redactions, timings_ms=timings, decisions=trace, notices=notices)

    # ---- helpers -------------------------------------------------------------------------------

    _CLAUSE_SPLIT = CLAUSE_SPLIT
    _QUESTION = re.compile(r"\?\s*$|^(wat|welke|welk|hoe|waarom|wanneer|wie|waar|mag|mogen|kan|kun|kunnen|moet|"
                           r"moeten|is|zijn|geef|leg|noem|beschrijf|licht)\b", re.IGNORECASE)

    # A clause that points back at the others ("hoe lang gaat dat duren?", "wat is jouw oordeel?") is not
    # a question of its own: it belongs to the refused part.
    _ANAPHORA = re.compile(r"\b(dat|dit|daar\w*|hij|zij|ze|hem|haar|jouw|je oordeel|vind je|denk je|volgens jou)\b",
                           re.IGNORECASE)

    def _allowed_clauses(self, text: str, verdict: Verdict, ctx: TurnContext) -> list[str]:
        """Clauses of a blocked message that pass the rails on their own, in the context of the ones before.

        Only for refusals about medical judgement, delegation or health data (never injection or
        out-of-scope), and only clauses that are questions or requests themselves: context such as
        "Hij heeft een hernia." never turns a refusal into a partial answer.
        """
        blocking = verdict.blocking
        if blocking is None or blocking.category is None or blocking.category.value not in (
                "medical_judgement", "outside_delegation", "health_data"):
            return []
        clauses = [c.strip(" ,;") for c in self._CLAUSE_SPLIT.split(text) if c and c.strip(" ,;")]
        if len(clauses) < 2 or len(clauses) > 6:
            return []
        allowed, any_blocked = [], False
        history = list(ctx.history)
        for clause in clauses:
            sub = TurnContext(role=ctx.role, history=history, session_id=ctx.session_id, user=ctx.user)
            v = self.guardrails.check_input(clause, sub)
            if v.blocked:
                any_blocked = True
            elif self._QUESTION.search(clause) and len(tokenize(clause)) >= 2 and not self._ANAPHORA.search(clause):
                allowed.append(clause)
            history = history + [{"role": "user", "content": clause}]
        return allowed if allowed and any_blocked else []

    @staticmethod
    def _query_with_context(text: str, history: list[dict]) -> str:
        """Short follow-ups ("en de werkgever?") are searched together with the previous question."""
        if len(tokenize(text)) >= 4:
            return text
        for msg in reversed(history):
            if msg.get("role") == "user" and isinstance(msg.get("content"), str):
                return f"{msg['content']} {text}"
        return text

    @staticmethod
    def _redactions(verdict: Verdict) -> list:
        from app.reply import Redaction

        out = []
        for d in verdict.decisions:
            if d.action is Action.REDACT:
                out.extend(Redaction(e.label, e.start, e.end) for e in d.evidence)
        out.sort(key=lambda r: (r.start, r.end))
        return out

    def _rule_refs(self, decisions) -> list[RuleRef]:
        return self._rule_refs_by_id([d.rule_id for d in decisions if d.rule_id])

    def _rule_refs_by_id(self, ids: list[str]) -> list[RuleRef]:
        refs, seen = [], set()
        for rid in ids:
            if rid in seen:
                continue
            seen.add(rid)
            try:
                rule = self.guardrails.rule(rid)
                refs.append(RuleRef(rule.id, rule.reason, str(rule.source), tuple(self._lines(rule.lines))))
            except Exception:
                refs.append(RuleRef(rid, "", "", (0, 0)))
        return refs

    @staticmethod
    def _lines(lines) -> tuple[int, int]:
        if isinstance(lines, (list, tuple)) and len(lines) == 2:
            return int(lines[0]), int(lines[1])
        a, _, b = str(lines).partition("-")
        return int(a), int(b or a)

    def _refusal(self, verdict: Verdict, ctx: TurnContext, timings, redactions, trace, notices) -> Reply:
        text, rules = self.guardrails.refusal(verdict, ctx)
        blocking = verdict.blocking
        category = blocking.category.value if blocking is not None and blocking.category else None
        citations = []
        for r in rules:
            if r.source and r.lines and r.lines[0] > 0:
                quote = _quote(r.source, r.lines[0], r.lines[1])
                if quote:
                    out = self.guardrails.check_output(quote, ctx, citations=1, source_text=True)
                    if not out.blocked:
                        citations.append(Citation(r.source, _title(r.source), "", r.lines, out.text))
        return Reply(decision="refuse", category=category, text=text, citations=citations, rules=rules,
                     redactions=redactions, timings_ms=timings, decisions=trace, notices=notices)

    def _compose(self, question: str, role: str, passages: list[Passage], passage_dicts: list[dict]):
        """(text, citations, trace): an answer card's direct answer when one matches, else the
        extractive answer (best sentence first). Each citation quotes the text it supports."""
        from knowledge.compose import compose

        trace: list[dict] = []
        citations: list[Citation] = []
        first = ""
        match = None
        if self.cards is not None:
            try:
                match = self.cards.match(question, role, passages, self.settings.card_threshold)
            except Exception:
                log.warning("answer-card match failed; extractive answer", exc_info=True)
        if match is not None:
            src = match.card.sources[0]
            quote = _quote(src.doc, src.start, src.end, limit=900)
            if quote:
                section = next((f"{p.section} {p.heading}".strip() for p in passages
                                if p.source == src.doc and p.lines[0] <= src.end and p.lines[1] >= src.start), "")
                citations.append(Citation(src.doc, _title(src.doc), section, (src.start, src.end), quote))
                first = f"{match.card.answer} [1]"
                trace.append({"rail": "compose.answer_card", "action": "allow", "rule_id": "", "category": None,
                              "reason": f"antwoordkaart {match.card.id} (score {match.score:.2f}, drempel "
                                        f"{self.settings.card_threshold:.2f})", "risk": 0.0, "evidence": []})
        texts = [(pd.get("text", p.text), rank) for rank, (p, pd) in enumerate(zip(passages, passage_dicts))]
        comp = compose(question, texts, max_support=2 if first else 3)
        lines: list[str] = []
        if comp is not None:
            renumber = {}
            for n, q in enumerate(comp.quotes, start=1):
                p, pd = passages[q.passage], passage_dicts[q.passage]
                plines = tuple(pd.get("lines", p.lines))
                if first and any(p.source == s.doc and plines[0] <= s.end and plines[1] >= s.start
                                 for s in match.card.sources[:1]):
                    renumber[n] = 1  # the card's own source: cited once, as [1]
                    continue
                renumber[n] = len(citations) + 1
                citations.append(Citation(p.source, p.title, f"{p.section} {p.heading}".strip(),
                                          (int(plines[0]), int(plines[1])), q.text))
            for line in ([comp.first] + comp.support):
                lines.append(re.sub(r"\[(\d+)\]$", lambda m: f"[{renumber[int(m.group(1))]}]", line))
        if first:
            text = first + ("\n\nUit de bronnen:\n" + "\n".join(f"- {ln}" for ln in lines[:2]) if lines else "")
        elif lines:
            text = lines[0] + ("\n\nUit de bronnen:\n" + "\n".join(f"- {ln}" for ln in lines[1:]) if len(lines) > 1 else "")
        else:
            text = ""
        return text, citations, trace

    def _llm_compose(self, question, role, passage_dicts, citations, fallback_text, ctx):
        """Let the optional LLM phrase the answer; any failure falls back to the extractive text."""
        from app.llm import LLMUnavailable

        notice = "Het taalmodel was niet beschikbaar of gaf geen bruikbaar antwoord; u ziet het antwoord uit de bronnen."
        try:
            text = self.llm.compose(question, passage_dicts, role)
        except LLMUnavailable:
            return fallback_text, citations, notice
        except Exception:
            log.warning("LLM backend error; falling back")
            return fallback_text, citations, notice
        check = self.guardrails.check_output(text, ctx, citations=len(citations))
        if check.blocked:
            return fallback_text, citations, ("Het antwoord van het taalmodel is door de controles tegengehouden; "
                                              "u ziet het antwoord uit de bronnen.")
        try:
            cited = self.llm.cited_passages(text, passage_dicts) or passage_dicts
        except Exception:
            cited = passage_dicts
        all_cits = [Citation(pd["source"], pd.get("title", _title(pd["source"])),
                             f"{pd.get('section', '')} {pd.get('heading', '')}".strip(),
                             tuple(pd["lines"]), _clip(pd.get("text", ""))) for pd in cited]
        return text, all_cits, None

    def _script_reply(self, role: str, call_type: str, ctx: TurnContext, **options) -> Reply:
        from app.intake import build_script

        timings = {"input_rails": 0.0, "retrieval": 0.0, "compose": 0.0, "output_rails": 0.0, "total": 0.0}
        t = _now()
        script = build_script(role, call_type, **{k: v for k, v in options.items() if v is not None})
        timings["compose"] = (_now() - t) * 1000
        t = _now()
        lines_out, trace = [], []
        for line in script.markdown.split("\n"):
            if not line.strip():
                lines_out.append(line)
                continue
            out = self.guardrails.check_output(line, ctx, citations=1, source_text=True)
            if out.blocked:
                trace.extend(d.to_dict() for d in out.decisions if d.action is Action.BLOCK)
                continue  # a line that fails the output rails is left out
            lines_out.append(out.text)
        timings["output_rails"] = (_now() - t) * 1000
        rules = self._rule_refs_by_id(list(script.declined))
        return Reply(decision="answer", text="\n".join(lines_out), citations=list(script.citations), rules=rules,
                     timings_ms=timings, decisions=trace, kind="intake_script")

    def _record(self, reply: Reply, message: object, role: str, session_id: str, user: str,
                kind: str | None = None) -> None:
        if self.audit is None:
            return
        t = _now()
        try:
            text = message if isinstance(message, str) else repr(type(message))
            self.audit.record_turn(user=user, role=role, session_id=session_id, input_text=text, reply=reply,
                                   kind=kind or reply.kind)
        except Exception as exc:
            log.error("audit record failed: %s", type(exc).__name__)
            reply.notices.append("Let op: deze beurt kon niet in het auditlog worden vastgelegd.")
        reply.timings_ms["audit"] = (_now() - t) * 1000


def _clip(text: str, limit: int = 700) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
