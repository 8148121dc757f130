"""The reply object of the contract in ARCHITECTURE.md (``Reply.to_dict()`` / ``tda ask --json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from guardrails.types import CATEGORIES, RuleRef  # defined once in the guardrails (re-exported here)

__all__ = ["CATEGORIES", "STAGES", "Citation", "Redaction", "Reply", "RuleRef", "DecisionKind"]

DecisionKind = Literal["answer", "refuse", "not_found"]
STAGES = ("input_rails", "retrieval", "compose", "output_rails", "total")


@dataclass
class Citation:
    source: str            # "000".."004"
    title: str
    section: str
    lines: tuple[int, int]
    quote: str

    def to_dict(self) -> dict:
        return {"source": self.source, "title": self.title, "section": self.section,
                "lines": [int(self.lines[0]), int(self.lines[1])], "quote": self.quote}


@dataclass
class Redaction:
    entity: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"entity": self.entity, "start": int(self.start), "end": int(self.end)}


@dataclass
class Reply:
    """One assistant turn. ``decisions`` (the rail trace, typed ``guardrails.types.Decision``) and
    ``notices`` are extras outside the contract; ``to_full_dict`` turns the trace into dicts."""

    decision: DecisionKind
    text: str
    category: str | None = None
    citations: list[Citation] = field(default_factory=list)
    rules: list[RuleRef] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    decisions: list = field(default_factory=list)   # guardrails.types.Decision, in order
    notices: list[str] = field(default_factory=list)
    kind: str = "chat"          # "chat" | "intake_script"

    def __post_init__(self) -> None:
        if self.decision not in ("answer", "refuse", "not_found"):
            raise ValueError(f"invalid decision {self.decision!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"invalid category {self.category!r}")

    def to_dict(self) -> dict:
        """The reply object exactly as in ARCHITECTURE.md."""
        return {
            "decision": self.decision,
            "category": self.category,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "rules": [r.to_dict() for r in self.rules],
            "redactions": [r.to_dict() for r in self.redactions],
            "timings_ms": {k: round(float(self.timings_ms.get(k, 0.0)), 3) for k in STAGES},
        }

    def to_full_dict(self) -> dict:
        """Contract fields plus the rail trace and notices (UI "Waarom?" panel, audit, evals)."""
        d = self.to_dict()
        d["decisions"] = [x.to_dict() for x in self.decisions]
        d["notices"] = self.notices
        d["kind"] = self.kind
        return d
