"""The assistant: loads the index, the rails, the audit log and the LLM, and answers turns.

A chat turn runs as the steps of ``app.turn`` (clean -> input rails -> route -> retrieve ->
retrieval rails -> compose -> output rails); every turn is recorded in the audit log (redacted).
``Assistant.respond`` is the single path used by the CLI, the Gradio app and the evaluation suite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import app  # noqa: F401  (offline environment first)
from app.reply import Reply, RuleRef
from app.settings import ROLES, Settings, load_settings
from app.turn import NOT_FOUND_TEXT, TurnPipeline, TurnState
from guardrails.types import Action, TurnContext
from knowledge.index import KnowledgeIndex
from knowledge.language import NOTICE as LANGUAGE_NOTICE
from knowledge.language import is_english
from knowledge.retrieval import HybridRetriever

log = logging.getLogger(__name__)

__all__ = ["Assistant", "ERROR_TEXT", "NOT_FOUND_TEXT"]

ERROR_TEXT = (
    "Er ging iets mis bij het verwerken van uw bericht. Er is niets opgeslagen of doorgegeven. "
    "Probeer het opnieuw of formuleer uw vraag anders."
)


def _now() -> float:
    return time.perf_counter()


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
        self.turn = TurnPipeline(settings, guardrails, self.retriever, cards=self.cards, llm=llm,
                                 scripts=self._script_reply, rules=self._rule_refs_by_id)

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
            self.guardrails.check_output("Volgens de leidraad vraagt u de bedrijfsarts.", ctx, cites=("002",))

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
        state = TurnState(message=message, role=role, history=history, session_id=session_id, user=user)
        return self.turn.run(state)

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

    def _script_reply(self, role: str, call_type: str, ctx: TurnContext, **options) -> Reply:
        from app.intake import build_script

        timings = {"input_rails": 0.0, "retrieval": 0.0, "compose": 0.0, "output_rails": 0.0, "total": 0.0}
        t = _now()
        script = build_script(role, call_type, **{k: v for k, v in options.items() if v is not None})
        timings["compose"] = (_now() - t) * 1000
        t = _now()
        lines_out, trace = [], []
        cites = [c.source for c in script.citations]  # every line cites the script's sources
        for line in script.markdown.split("\n"):
            if not line.strip():
                lines_out.append(line)
                continue
            out = self.guardrails.check_output(line, ctx, origin="source", cites=cites)
            if out.blocked:
                trace.extend(d for d in out.decisions if d.action is Action.BLOCK)
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

