"""Core types shared by every rail: one small contract, returning a ``Decision``.

Risk convention (the only one in the project): 0.0 = no risk .. 1.0 = certain violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Literal, Protocol


class Action(str, Enum):
    """What a rail decided. str-Enum so policy YAML can say ``block``."""

    ALLOW = "allow"
    REDACT = "redact"      # text rewritten (PII / health data masked), turn continues
    PARTIAL = "partial"    # request served, but a part of it is declined (rule listed in the reply)
    BLOCK = "block"        # turn refused
    ESCALATE = "escalate"  # allowed, but flagged for a reviewer


class Category(str, Enum):
    """Refusal categories of the reply contract (ARCHITECTURE.md)."""

    MEDICAL_JUDGEMENT = "medical_judgement"
    OUTSIDE_DELEGATION = "outside_delegation"
    HEALTH_DATA = "health_data"
    OUT_OF_SCOPE = "out_of_scope"
    PROMPT_INJECTION = "prompt_injection"


#: The category ids in contract order; ``app.reply`` and the evals read them from here.
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
#: The same ids as a ``Literal`` type for pydantic models.
CategoryId = Literal[CATEGORIES]  # type: ignore[valid-type]
#: The categories as users read them (the UI, the reviewer's export, the trainer's report).
CATEGORY_NL = {
    "medical_judgement": "medisch oordeel",
    "outside_delegation": "buiten de taakdelegatie of rol",
    "health_data": "gezondheidsgegevens",
    "out_of_scope": "buiten het onderwerp",
    "prompt_injection": "poging de regels te omzeilen",
}


@dataclass
class RuleRef:
    """A rule cited by a refusal or a declined part (the ``rules`` entries of the reply contract).

    Owned by the guardrails (they produce it); ``app.reply`` re-exports it for the reply object.
    """

    id: str
    reason: str
    source: str
    lines: tuple[int, int]

    def to_dict(self) -> dict:
        return {"id": self.id, "reason": self.reason, "source": self.source,
                "lines": [int(self.lines[0]), int(self.lines[1])]}


@dataclass(frozen=True)
class Evidence:
    """A span that made a rail decide; offsets refer to the text the rail saw."""

    start: int
    end: int
    label: str
    score: float = 1.0
    detector: str = ""


@dataclass(frozen=True)
class Decision:
    """The outcome of one rail on one text."""

    rail: str                       # "input.medical_judgement"
    action: Action
    rule_id: str = ""               # id from guardrails/policies/rules.yaml
    reason: str = ""                # one human sentence (Dutch when shown to users)
    evidence: tuple[Evidence, ...] = ()
    text: str | None = None         # rewritten text when action == REDACT; None = unchanged
    risk: float = 0.0
    category: Category | None = None
    duration_ms: float = 0.0
    explanation: dict | None = None  # model-backed rails: intent, score, threshold, nearest examples

    def to_dict(self) -> dict:
        d = {
            "rail": self.rail,
            "action": self.action.value,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "risk": round(self.risk, 3),
            "category": self.category.value if self.category else None,
            "evidence": [
                {"start": e.start, "end": e.end, "label": e.label, "score": e.score, "detector": e.detector}
                for e in self.evidence
            ],
            "duration_ms": round(self.duration_ms, 3),
        }
        if self.explanation is not None:
            d["explanation"] = self.explanation
        return d


@dataclass(frozen=True)
class Verdict:
    """What a pipeline stage returns: the (possibly rewritten) text and every decision."""

    text: str
    decisions: tuple[Decision, ...]

    @property
    def blocked(self) -> bool:
        return any(d.action is Action.BLOCK for d in self.decisions)

    @property
    def partial(self) -> list[Decision]:
        return [d for d in self.decisions if d.action is Action.PARTIAL]

    @property
    def blocking(self) -> Decision | None:
        return next((d for d in self.decisions if d.action is Action.BLOCK), None)


ORIGINS = ("user", "llm", "source")  # who wrote a text the rails check


@dataclass
class TurnContext:
    """What a rail may know about the text besides the text itself: the rail context.

    ``origin`` says who wrote the text (``user``: the message; ``llm``: a language model's answer;
    ``source``: verbatim text of the source documents, e.g. quotes, extractive answers, script
    lines) and selects the per-origin rail parameters of ``rails.yaml``; ``cites`` lists the
    sources the text cites (a quote cites its own document); ``user_text`` is the user's message
    an answer replies to (health words the user typed are never echoed to an employer).
    """

    role: str
    history: list[dict] = field(default_factory=list)   # messages format: {"role", "content"}
    session_id: str = ""
    user: str = ""
    stage: str = "input"
    origin: str = "user"
    cites: tuple[str, ...] = ()
    user_text: str = ""

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"unknown text origin {self.origin!r}; expected one of {', '.join(ORIGINS)}")


class Rail(Protocol):
    """One check. Implementations live one per file in guardrails/rails/."""

    name: ClassVar[str]

    def check(self, text: str, ctx: TurnContext) -> Decision: ...
