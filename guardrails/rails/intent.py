"""Input rail: the trained intent model (``guardrails.intent``) decides what a message asks.

One decision path: the model proposes an intent with a score for the user's role; when the
summed score of the intents refused for that role reaches the role's threshold, the most probable
refused intent's policy rule (``rules.yaml``) supplies the reason, the source lines and the
alternative. The decision carries an explanation: intent, score, threshold and the three nearest
training examples.

The model is given to the rail by the pipeline (``deps["intent_model"]``, a zero-argument
callable). A model that is missing or fails to load raises here, and the pipeline turns that
into a BLOCK citing ``system.rail_error``: the check fails closed, it never allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import re

from guardrails.intent.clauses import MAX_CLAUSES, is_request, split_clauses
from guardrails.intent.model import prepare
from guardrails.policy import Policy
from guardrails.rails.base import BaseRail, register
from guardrails.types import Action, Decision, Evidence, TurnContext


# Insisting on a request that was just refused (a precise pattern; examples in tests/guardrails/intent/).
FOLLOW_UP = re.compile(
    r"\b(?:toch|nog een keer|nog eens|opnieuw|alsnog|gewoon|doe maar|probeer|waarom niet|kom op|alsjeblieft|"
    r"graag wel|ik wil het (?:toch |echt |wel )?weten|zeg (?:het|maar|nou)|vertel (?:het|maar|nou)|en nu|ja graag|"
    r"dat wel|geef (?:het|maar|nou)|doe (?:het|dat|maar))\b")
FOLLOW_UP_EXAMPLES = ("Zeg het nou gewoon.", "Toch graag, het is belangrijk.", "kom op, vertel het maar",
                      "Ik wil het echt weten.")
FOLLOW_UP_NOT_EXAMPLES = ("Oké, duidelijk, bedankt.", "Wat mag ik dan wel vragen?", "Wie beslist dat?")


def previous_user_turns(history: list[dict] | None) -> list[str]:
    """The user's earlier messages (messages-format history), oldest first."""
    out = []
    for m in history or []:
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            if m["content"].strip():
                out.append(m["content"])
    return out


@register("intent")
class IntentModelRail(BaseRail):
    """The intent model as a rail (see the module docstring)."""

    stages = ("input",)

    def __init__(self, policy: Policy, *, stage: str, **params: Any):
        super().__init__(policy, stage=stage, **params)
        self._provider: Callable[[], Any] | None = self.deps.get("intent_model")
        self.neighbours = int(params.get("neighbours", 3))
        self.clauses = bool(params.get("clauses", False))

    def model(self):
        """The loaded intent model; raises when it is not available (the pipeline fails closed)."""
        if self._provider is None:
            raise RuntimeError("no intent model configured")
        model = self._provider()
        if model is None:
            raise RuntimeError("intent model unavailable")
        return model

    def rule_for(self, intent: str, role: str):
        """The policy rule cited when ``intent`` is refused for ``role``."""
        spec = self.model().intents[intent]
        rule_id = spec.get("role_rules", {}).get(role) or spec["rules"][0]
        return self.policy.rule(rule_id)

    def check(self, text: str, ctx: TurnContext) -> Decision:
        """Classify ``text`` with the user's earlier turns, for the role in ``ctx``.

        The whole message is classified, and so is each clause of a compound message that is a
        question or request of its own, read with the turns and clauses before it: the refused
        clause with the highest score decides.
        """
        model = self.model()
        history = previous_user_turns(ctx.history)
        pred = model.predict(text or "", ctx.role, history, neighbours=self.neighbours)
        clause = None
        if not pred.refused and self.clauses:
            parts = split_clauses(text or "")
            if 2 <= len(parts) <= MAX_CLAUSES:
                before: list[str] = []
                for part in parts:
                    if is_request(part):
                        p = model.predict(part, ctx.role, [*history, *before], neighbours=self.neighbours)
                        if p.refused and (clause is None or p.refuse_score > clause[1].refuse_score):
                            clause = (part, p)
                    before.append(part)
        if clause is not None:
            pred = clause[1]
        insisted = False
        if (history and clause is None and len((text or "").split()) <= 12 and FOLLOW_UP.search(prepare(text or ""))
                and not model.predict(text or "", ctx.role, (), neighbours=0).refused):
            # Insisting on a request just refused ("zeg het nou gewoon"): the earlier turn's intent decides.
            before = model.predict(history[-1], ctx.role, history[:-1], neighbours=self.neighbours)
            if before.refused:
                pred, insisted = before, True
        explanation = {
            "intent": pred.intent,
            "score": round(pred.score, 3),
            "refuse_intent": pred.refuse_intent,
            "refuse_score": round(pred.refuse_score, 3),
            "threshold": pred.threshold,
            "history_turns": min(len(history), model.config.history_turns),
            "nearest": [{"text": n.text, "intent": n.intent, "similarity": n.similarity} for n in pred.neighbours],
        }
        if clause is not None:
            explanation["clause"] = True   # decided by one clause of a compound message
        if insisted:
            explanation["insisted"] = True  # a follow-up insisting on the refused earlier turn
        if not pred.refused:
            return self.allow(risk=pred.refuse_score, explanation=explanation)
        rule = self.rule_for(pred.refuse_intent, ctx.role)
        evidence = (Evidence(start=0, end=len(text or ""), label=pred.refuse_intent,
                             score=round(pred.refuse_intent_score, 3), detector="intent_model"),)
        reason = " ".join(rule.reason.split())
        if insisted:
            reason += " (Dit volgt uit dit bericht samen met uw eerdere berichten.)"
        elif clause is None and explanation["history_turns"] and not model.predict(text or "", ctx.role, (),
                                                                                  neighbours=0).refused:
            reason += " (Dit volgt uit dit bericht samen met uw eerdere berichten.)"
            explanation["from_history"] = True
        return self.decide(rule, action=Action.BLOCK, evidence=evidence, risk=pred.refuse_score,
                           reason=reason, explanation=explanation)
