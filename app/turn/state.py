"""The state of one chat turn, passed from step to step (``app.turn.pipeline``).

Each step reads and extends one :class:`TurnState`; a step that ends the turn sets ``outcome``.
Decisions stay typed (``guardrails.types.Decision``) until ``Reply.to_dict()``; each passage
carries its own (redacted) text, so nothing is paired by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.reply import STAGES, Citation, Redaction, RuleRef
from guardrails.types import Decision, TurnContext, Verdict
from knowledge.retrieval import Passage


@dataclass
class Outcome:
    """How the turn ends: the reply's decision and content (``app.turn.reply.build_reply`` adds the rest)."""

    decision: str                                   # "answer" | "refuse" | "not_found"
    text: str
    category: str | None = None
    citations: list[Citation] = field(default_factory=list)
    rules: list[RuleRef] = field(default_factory=list)
    kind: str = "chat"


@dataclass
class TurnState:
    """Everything one turn knows, from the raw message to the outcome."""

    message: object
    role: str
    history: list[dict] = field(default_factory=list)
    session_id: str = ""
    user: str = ""
    ctx: TurnContext | None = None                  # the rail context (role, history)
    cleaned: str = ""                               # the cleaned message (what the user wrote)
    text: str = ""                                  # the message with PII and (per role) health masked
    decisions: list[Decision] = field(default_factory=list)   # every rail decision, in order
    redactions: list[Redaction] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    partial_refusal: Verdict | None = None          # the refused part of a compound message
    partial_rules: list[RuleRef] = field(default_factory=list)
    script: tuple[str, list[str]] | None = None     # (call type, left-out topics) of a script request
    passages: list[Passage] = field(default_factory=list)   # retrieved, each with its redacted text
    confidence: float = 0.0
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    origin: str = "source"                          # who wrote the answer: "source" (extractive) or "llm"
    outcome: Outcome | None = None

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    def end(self, decision: str, text: str, **fields) -> "TurnState":
        """End the turn with this outcome (the later steps are skipped)."""
        self.outcome = Outcome(decision=decision, text=text, **fields)
        return self
