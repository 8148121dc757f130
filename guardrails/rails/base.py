"""Rail registry and the shared rule engine for intent rails.

A rail is one class in one file under ``guardrails/rails/``, registered with ``@register("type")``;
``rails.yaml`` lists rail types per stage. Intent rails (medical judgement, delegation, health data,
injection, scope, output judgement) share :class:`IntentRail`: their rules and patterns are data in
``rules.yaml``; the engine matches them per sentence on the normalised text and applies the
permission exemption, the requirements and the conversation history.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from guardrails.health import get_lexicon
from guardrails.normalize import normalize_with_map, span_to_original
from guardrails.policy import Policy, Rule
from guardrails.types import Action, Decision, Evidence, TurnContext

logger = logging.getLogger(__name__)

RAIL_TYPES: dict[str, type["BaseRail"]] = {}
_SENTENCE_END = re.compile(r"(?<=[.?!;:])\s+|\n+|(?<=[?!])(?=\S)")
_FOLLOW_UP = re.compile(
    r"\b(?:toch|nog een keer|nog eens|opnieuw|alsnog|gewoon|doe maar|probeer|waarom niet|kom op|alsjeblieft|"
    r"graag wel|ik wil het (?:toch |echt |wel )?weten|zeg (?:het|maar|nou)|vertel (?:het|maar|nou)|en nu|ja graag|"
    r"dat wel|geef (?:het|maar|nou)|doe (?:het|dat|maar))\b"
)


def register(type_name: str):
    """Class decorator: make a rail available to ``rails.yaml`` under ``type_name``."""

    def deco(cls):
        if type_name in RAIL_TYPES and RAIL_TYPES[type_name] is not cls:
            raise ValueError(f"rail type {type_name!r} registered twice")
        cls.type_name = type_name
        RAIL_TYPES[type_name] = cls
        return cls

    return deco


class BaseRail:
    """Common constructor: every rail gets the policy and its stage; ``params`` come from rails.yaml.

    Attributes:
        name: ``"<stage>.<type>"``, e.g. ``"input.medical_judgement"``.
    """

    type_name: ClassVar[str] = ""
    stages: ClassVar[tuple[str, ...]] = ("input",)

    def __init__(self, policy: Policy, *, stage: str, deps: dict | None = None,
                 origins: dict[str, dict] | None = None, **params: Any):
        if stage not in self.stages:
            raise ValueError(f"rail {self.type_name!r} cannot run in stage {stage!r}")
        self.policy = policy
        self.deps = dict(deps or {})   # services a rail needs (e.g. the intent model provider)
        self.stage = stage
        self.params = params
        self.origins = {k: dict(v) for k, v in (origins or {}).items()}  # per-origin overrides (rails.yaml)
        self.always = bool(params.get("always", False))
        self.name = f"{stage}.{self.type_name}"

    def param(self, name: str, ctx: TurnContext, default: Any = None) -> Any:
        """A parameter for the text's origin (``ctx.origin``): its override in rails.yaml, else ``params``."""
        override = self.origins.get(ctx.origin, {})
        return override[name] if name in override else self.params.get(name, default)

    def allow(self, **kw) -> Decision:
        """An ALLOW decision of this rail."""
        return Decision(rail=self.name, action=Action.ALLOW, **kw)

    def decide(self, rule: Rule, *, action: Action | None = None, evidence=(), text: str | None = None,
               risk: float | None = None, reason: str | None = None,
               explanation: dict | None = None) -> Decision:
        """A decision citing ``rule``."""
        action = action or rule.action
        if risk is None:
            risk = {Action.BLOCK: 0.9, Action.PARTIAL: 0.6, Action.REDACT: 0.4, Action.ESCALATE: 0.5}.get(action, 0.0)
        return Decision(
            rail=self.name, action=action, rule_id=rule.id, reason=reason or " ".join(rule.reason.split()),
            evidence=tuple(evidence), text=text, risk=risk, category=rule.category, explanation=explanation,
        )

    def check(self, text: str, ctx: TurnContext) -> Decision:  # pragma: no cover - interface
        """Check ``text``; see :class:`guardrails.types.Rail`."""
        raise NotImplementedError


# ----------------------------------------------------------------------------------------- analysis
@dataclass(frozen=True)
class Sentence:
    """One sentence of the normalised text and what the engine knows about it."""

    text: str
    start: int          # offset in the normalised text
    question: bool
    request: bool
    permission: bool
    health: bool        # a specific health term in the sentence
    topic: bool         # health term or generic health vocabulary


@dataclass(frozen=True)
class Analysis:
    """A message analysed once and shared by all intent rails."""

    original: str
    norm: str
    index: tuple[int, ...]
    sentences: tuple[Sentence, ...]
    health_count: int
    topic: bool
    domain: bool

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the original text."""
        return span_to_original(list(self.index), len(self.original), start, end)


class Analyzer:
    """Sentence analysis with the policy's macros (PERM, QSTART, REQ) and the lexicon's topic words."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.perm = policy.compile("{PERM}")
        self.qstart = policy.compile("{QSTART}")
        self.req = policy.compile("{REQ}")
        self.lexicon = get_lexicon()
        self.htopic = re.compile(r"\b(?:" + "|".join(self.lexicon.spec.topic_words) + ")")
        self.analyze = functools.lru_cache(maxsize=512)(self._analyze)

    def _analyze(self, text: str) -> Analysis:
        norm, index = normalize_with_map(text)
        health_spans = [(s, e) for s, e, _t, _c in self.lexicon.find_normalized(norm)]
        sentences = []
        pos = 0
        parts = _SENTENCE_END.split(norm)
        for part in parts:
            start = norm.find(part, pos) if part else pos
            pos = start + len(part)
            stripped = part.strip()
            if not stripped:
                continue
            start += len(part) - len(part.lstrip())
            end = start + len(stripped)
            health = any(s < end and e > start for s, e in health_spans)
            request = bool(self.req.search(stripped))
            question = stripped.endswith("?") or bool(self.qstart.search(stripped)) or request
            sentences.append(
                Sentence(
                    text=stripped, start=start, question=question, request=request,
                    permission=bool(self.perm.search(stripped)), health=health,
                    topic=health or bool(self.htopic.search(stripped)),
                )
            )
        return Analysis(
            original=text, norm=norm, index=tuple(index), sentences=tuple(sentences),
            health_count=len(health_spans), topic=any(s.topic for s in sentences),
            domain=False,  # out-of-domain messages are the intent model's out_of_scope intent
        )


@functools.lru_cache(maxsize=8)
def get_analyzer(policy: Policy) -> Analyzer:
    """One analyzer per policy (shared by all rails, so a message is analysed once)."""
    return Analyzer(policy)


@dataclass(frozen=True)
class Hit:
    """A rule that matched, with the span in the normalised text."""

    rule: Rule
    start: int
    end: int


class IntentRail(BaseRail):
    """Rules of this rail (``rule.rail == self.name``) matched per sentence.

    Subclasses only set ``type_name`` (via ``@register``) and, if needed, ``use_history``.
    """

    use_history: ClassVar[bool] = True
    stages = ("input",)

    def __init__(self, policy: Policy, *, stage: str, **params: Any):
        super().__init__(policy, stage=stage, **params)
        self.analyzer = get_analyzer(policy)
        self.rules = policy.rules_for(self.name)
        # Pre-compile everything once.
        for rule in self.rules:
            for p in rule.patterns:
                policy.compile(p.re)
            for rx in [*rule.message_any, *rule.unless]:
                policy.compile(rx)

    # -- matching ----------------------------------------------------------------------------------
    def _requirements_met(self, reqs: list[str], a: Analysis, s: Sentence) -> bool:
        for r in reqs:
            if r == "request" and not s.request:
                return False
            if r == "question" and not s.question:
                return False
            if r == "health_sentence" and not s.health:
                return False
            if r == "health_message" and a.health_count < 1:
                return False
            if r == "health_message_2" and a.health_count < 2:
                return False
            if r == "topic_sentence" and not s.topic:
                return False
            if r == "topic_message" and not a.topic:
                return False
            if r == "no_domain" and a.domain:
                return False
        return True

    def match_rule(self, rule: Rule, a: Analysis, role: str) -> Hit | None:
        """Return the first hit of ``rule`` in ``a`` for ``role``, or None."""
        if role not in rule.roles:
            return None
        if rule.message_any and not any(self.policy.compile(rx).search(a.norm) for rx in rule.message_any):
            return None
        unless = [self.policy.compile(rx) for rx in rule.unless]
        for s in a.sentences:
            if any(u.search(s.text) for u in unless):
                continue
            for p in rule.patterns:
                if p.roles is not None and role not in p.roles:
                    continue
                if s.permission and rule.exempt_permission and not p.strong:
                    continue
                if not self._requirements_met([*rule.require, *p.require], a, s):
                    continue
                m = self.policy.compile(p.re).search(s.text)
                if m:
                    return Hit(rule, s.start + m.start(), s.start + m.end())
        return None

    def evaluate(self, a: Analysis, role: str) -> Hit | None:
        """All rules of this rail on one analysis: the first BLOCK hit, else the first other hit."""
        first_other = None
        for rule in self.rules:
            hit = self.match_rule(rule, a, role)
            if hit is None:
                continue
            if rule.action is Action.BLOCK:
                return hit
            first_other = first_other or hit
        return first_other

    # -- the rail contract -------------------------------------------------------------------------
    def check(self, text: str, ctx: TurnContext) -> Decision:
        """Check ``text`` for the role in ``ctx``; history is used so a request cannot be split."""
        a = self.analyzer.analyze(text or "")
        hit = self.evaluate(a, ctx.role)
        if hit is not None:
            return self.hit_decision(hit, a, text)
        if not self.use_history:
            return self.allow()
        previous = [m.get("content") for m in (ctx.history or [])
                    if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)]
        previous = [p for p in previous if p.strip()][-3:]
        if not previous:
            return self.allow()
        # 1. Insisting on, or referring back to, a request that was just refused.
        last_hit = self.evaluate(self.analyzer.analyze(previous[-1]), ctx.role)
        if (last_hit is not None and len(a.norm.split()) <= 12 and _FOLLOW_UP.search(a.norm)
                and not any(s.permission for s in a.sentences)):
            return self.decide(last_hit.rule, reason=self._history_reason(last_hit.rule))
        # 2. A request split over several turns: only the combination matches.
        joined = self.analyzer.analyze("\n".join([*previous, text]))
        hit = self.evaluate(joined, ctx.role)
        if hit is not None:
            before = self.evaluate(self.analyzer.analyze("\n".join(previous)), ctx.role)
            if before is None or before.rule.id != hit.rule.id:
                return self.decide(hit.rule, reason=self._history_reason(hit.rule))
        return self.allow()

    @staticmethod
    def _history_reason(rule: Rule) -> str:
        return " ".join(rule.reason.split()) + " (Dit volgt uit dit bericht samen met uw eerdere berichten.)"

    def hit_decision(self, hit: Hit, a: Analysis, text: str) -> Decision:
        """Turn a hit into a decision with evidence in the original text."""
        start, end = a.to_original(hit.start, hit.end)
        ev = Evidence(start=start, end=end, label=hit.rule.id, score=1.0, detector=self.name)
        return self.decide(hit.rule, evidence=(ev,))
