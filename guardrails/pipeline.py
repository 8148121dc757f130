"""The guardrails pipeline: stages input / retrieval / output built from ``policies/rails.yaml``.

Usage (the Assistant)::

    g = Guardrails.load()
    verdict = g.check_input(text, TurnContext(role="employer", history=[...]))
    if verdict.blocked:
        reply_text, rules = g.refusal(verdict, ctx)
    passages = g.check_retrieval(passages, ctx)
    out = g.check_output(answer, ctx, origin="source", cites=("000",), user_text=text)

Every rail runs wrapped: an exception becomes a BLOCK decision citing ``system.rail_error`` (fail
closed), and each decision carries its duration.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from guardrails.policy import POLICY_DIR, Policy, Rule
from guardrails.rails import RAIL_TYPES
from guardrails.rails.base import BaseRail
from guardrails.types import Action, Decision, TurnContext, Verdict

logger = logging.getLogger(__name__)

STAGES = ("input", "retrieval", "output")
ERROR_RULE = "system.rail_error"
SOURCE_CACHE_SIZE = 4096  # output-rail verdicts on verbatim source text kept for reuse


def run_rails(rails: Sequence[BaseRail], text: str, ctx: TurnContext, *, fail_fast: bool = True,
              error_rule: Rule | None = None) -> Verdict:
    """Run ``rails`` in order; each sees the previous rewrite; a raising rail is a BLOCK.

    After a BLOCK (with ``fail_fast``) only rails marked ``always`` (redaction) still run, so a
    refused message still leaves with identifiers masked.

    Args:
        rails: Rails of one stage, in order.
        text: Text to check.
        ctx: Turn context.
        fail_fast: Stop at the first BLOCK.
        error_rule: Rule cited when a rail raises.

    Returns:
        The verdict: final text and every decision (with ``duration_ms``).
    """
    decisions: list[Decision] = []
    blocked = False
    for rail in rails:
        if blocked and not getattr(rail, "always", False):
            continue
        t0 = time.perf_counter()
        try:
            d = rail.check(text, ctx)
            if not isinstance(d, Decision):
                raise TypeError(f"rail {rail.name} returned {type(d).__name__}, not Decision")
        except Exception as exc:  # fail closed: a broken rail never lets a message pass
            logger.exception("rail %s raised %s; blocking", getattr(rail, "name", rail), type(exc).__name__)
            d = Decision(
                rail=getattr(rail, "name", "unknown"), action=Action.BLOCK,
                rule_id=error_rule.id if error_rule else ERROR_RULE,
                reason=" ".join(error_rule.reason.split()) if error_rule else "Controle mislukt.",
                risk=1.0, category=error_rule.category if error_rule else None,
            )
        d = _with_duration(d, (time.perf_counter() - t0) * 1000.0)
        decisions.append(d)
        if d.text is not None and d.action in (Action.REDACT, Action.PARTIAL):
            text = d.text
        if d.action is Action.BLOCK:
            if fail_fast:
                blocked = True  # later rails only run when marked `always` (redaction)
    return Verdict(text=text, decisions=tuple(decisions))


def _with_duration(d: Decision, ms: float) -> Decision:
    return dataclasses.replace(d, duration_ms=ms)


class Guardrails:
    """All rails of all stages, the policy, and the refusal templates.

    Attributes:
        policy: The validated policy.
        stages: Instantiated rails per stage, in ``rails.yaml`` order.
    """

    def __init__(self, policy: Policy, *, intent_model=None, check_rules: bool = True):
        self.policy = policy
        # The intent model provider (a zero-argument callable); default: trained in memory once per process.
        if intent_model is None:
            from guardrails.intent.store import ModelProvider

            intent_model = ModelProvider()
        self.intent_model = intent_model
        deps = {"intent_model": intent_model}
        self.stages: dict[str, list[BaseRail]] = {}
        for stage in STAGES:
            rails = []
            for spec in getattr(policy.rails, stage):
                cls = RAIL_TYPES.get(spec.type)
                if cls is None:
                    raise ValueError(f"rails.yaml: unknown rail type {spec.type!r} in stage {stage}; "
                                     f"known: {sorted(RAIL_TYPES)}")
                rails.append(cls(policy, stage=stage, deps=deps, origins=spec.origins, **spec.params))
            self.stages[stage] = rails
        self._error_rule = policy.rule(ERROR_RULE)
        self._source_cache: OrderedDict[tuple, Verdict] = OrderedDict()
        self._source_lock = threading.Lock()
        from guardrails.refusals import RefusalTemplates

        self.templates = RefusalTemplates.load()
        if check_rules:
            self._check_rule_usage()

    @classmethod
    def load(cls, directory: Path | str | None = None, *, intent_model=None) -> "Guardrails":
        """Load the policy from ``guardrails/policies`` (or ``directory``) and build the rails.

        Args:
            directory: Policy directory.
            intent_model: Provider of the intent model (``guardrails.intent.store.ModelProvider``).
        """
        return cls(Policy.load(directory or POLICY_DIR), intent_model=intent_model)

    def _check_rule_usage(self) -> None:
        """Every rule belongs to a rail that exists (checked by the policy) and every rail has rules."""
        names = {r.name for rails in self.stages.values() for r in rails}
        for rule in self.policy.rules:
            if not rule.rail.startswith("system.") and rule.rail not in names:
                raise ValueError(f"rule {rule.id}: rail {rule.rail} not built")

    # -- stages ------------------------------------------------------------------------------------
    def _ctx(self, ctx: TurnContext, stage: str, **fields) -> TurnContext:
        if ctx.role not in self.policy.roles:
            raise ValueError(f"unknown role {ctx.role!r}")
        return dataclasses.replace(ctx, stage=stage, **fields)

    def check_input(self, text: str, ctx: TurnContext) -> Verdict:
        """Run the input rails (PII, injection, judgement, delegation, health data, scope, health terms).

        Args:
            text: The cleaned user message (see ``guardrails.normalize.clean_input``).
            ctx: Role and history (messages format).

        Returns:
            The verdict: ``blocked`` with the blocking decision's rule and category, PARTIAL
            decisions for declined parts, REDACT decisions with the rewritten ``text``.
        """
        return run_rails(self.stages["input"], text or "", self._ctx(ctx, "input", origin="user"),
                         error_rule=self._error_rule)

    def check_retrieval(self, passages: list[dict], ctx: TurnContext) -> list[dict]:
        """Run the retrieval rails over each passage's ``text``; a passage whose check fails is dropped.

        Args:
            passages: Dicts with at least ``text`` (other keys are kept).
            ctx: Turn context.

        Returns:
            New passage dicts with the (redacted) text.
        """
        c = self._ctx(ctx, "retrieval", origin="source")
        out = []
        for p in passages or []:
            text = str(p.get("text", "") or "")
            v = run_rails(self.stages["retrieval"], text, c, error_rule=self._error_rule)
            if v.blocked:
                logger.warning("retrieval rail blocked a passage from source %s", p.get("source"))
                continue
            q = dict(p)
            q["text"] = v.text
            out.append(q)
        return out

    def check_output(self, text: str, ctx: TurnContext, *, origin: str = "llm", cites=(),
                     user_text: str = "") -> Verdict:
        """Run the output rails (PII, judgement phrasing, health terms per role, citations).

        Args:
            text: The composed answer, a quote or a script line.
            ctx: Turn context.
            origin: Who wrote ``text``: ``"llm"`` (a language model) or ``"source"`` (verbatim source
                text); selects the per-origin parameters in ``rails.yaml``.
            cites: The sources ``text`` cites (document ids); a quote cites the document it quotes.
            user_text: The user's message (health words the user typed are never echoed to an employer).

        Returns:
            The verdict; ``text`` is the answer with PII and (employer) health terms removed.
        """
        c = self._ctx(ctx, "output", origin=origin, cites=tuple(str(x) for x in cites), user_text=user_text or "")
        if origin != "source":
            return run_rails(self.stages["output"], text or "", c, error_rule=self._error_rule)
        # Verbatim source text recurs (the same quotes, rule citations and script lines): the rails
        # are deterministic in everything they read, so a verdict is reused for the same inputs.
        key = (text or "", c.role, c.user_text, c.cites,
               tuple((str(m.get("role")), str(m.get("content"))) for m in (ctx.history or [])))
        with self._source_lock:
            hit = self._source_cache.get(key)
            if hit is not None:
                self._source_cache.move_to_end(key)
                return hit
        verdict = run_rails(self.stages["output"], text or "", c, error_rule=self._error_rule)
        if not any(d.rule_id == ERROR_RULE for d in verdict.decisions):  # a rail error is never cached
            with self._source_lock:
                self._source_cache[key] = verdict
                while len(self._source_cache) > SOURCE_CACHE_SIZE:
                    self._source_cache.popitem(last=False)
        return verdict

    # -- refusals and rules ------------------------------------------------------------------------
    def rule(self, rule_id: str) -> Rule:
        """Return a rule (id, roles, action, category, reason, alternative, source, lines)."""
        return self.policy.rule(rule_id)

    def refusal(self, verdict: Verdict, ctx: TurnContext):
        """Dutch refusal text for a blocked verdict, or the notice for declined parts (PARTIAL).

        Never echoes the user's text: only the rule's data are used.

        Returns:
            ``(text, [RuleRef, ...])``.
        """
        return self.templates.render(verdict, self.policy, ctx)
