"""Policy as validated data: rules, roles and the rail pipeline, loaded from ``guardrails/policies``.

Every file is validated with pydantic (``extra="forbid"``: a typo fails at load time, not at the
first chat turn), then checked across files: rule ids unique, every rule's rail present in
``rails.yaml``, every role a rule, rail or pattern names defined in ``roles.yaml`` and every fixed
role id of the product defined, every source document known and every cited line range inside the
shipped source file, every regular expression compiling after macro expansion.
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from guardrails.types import Action, Category
from vocab import ROLES

logger = logging.getLogger(__name__)

POLICY_DIR = Path(__file__).resolve().parent / "policies"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = PROJECT_ROOT / "knowledge" / "sources"
FIXED_ROLES = ROLES  # the fixed ids (vocab); roles.yaml must define each
REQUIREMENTS = (
    "request",            # the sentence asks the assistant to do something ("kun je", "maak", "vat samen")
    "question",           # the sentence is a question or a request
    "health_sentence",    # a specific health term in the same sentence
    "health_message",     # a specific health term anywhere in the message
    "health_message_2",   # at least two specific health terms in the message
    "topic_sentence",     # a specific health term or generic health vocabulary in the sentence
    "topic_message",      # ... anywhere in the message
    "no_domain",          # no vocabulary of the sick-leave domain in the message
)
_MACRO = re.compile(r"\{([A-Z_]+)\}")


class PolicyError(ValueError):
    """The policy files are inconsistent (raised at load time)."""


class SourceRef(BaseModel):
    """A citation: source document id and a line range in the shipped file."""

    model_config = ConfigDict(extra="forbid")
    doc: Literal["000", "001", "002", "003", "004"]
    lines: str = Field(pattern=r"^\d+(-\d+)?$")

    def __str__(self) -> str:
        return self.doc

    @property
    def span(self) -> tuple[int, int]:
        """The line range as ``(first, last)``."""
        a, _, b = self.lines.partition("-")
        return int(a), int(b or a)

    @model_validator(mode="after")
    def _ordered(self) -> "SourceRef":
        a, b = self.span
        if a < 1 or b < a:
            raise ValueError(f"bad line range {self.lines}")
        return self


class PatternSpec(BaseModel):
    """One regular expression of a rule, matched per sentence on the normalised text."""

    model_config = ConfigDict(extra="forbid")
    re: str
    roles: list[str] | None = None     # None = every role of the rule
    strong: bool = False               # True = also applies inside a permission question
    require: list[str] = []
    examples: list[str] = []           # messages the pattern must match (run by tests/guardrails/test_patterns.py)
    not_examples: list[str] = []       # look-alikes it must not match

    @field_validator("require")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        bad = [r for r in v if r not in REQUIREMENTS]
        if bad:
            raise ValueError(f"unknown requirement(s) {bad}; known: {REQUIREMENTS}")
        return v


class Rule(BaseModel):
    """One enforceable rule: who it applies to, what it does, why (Dutch) and where it comes from."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    rail: str
    roles: list[str]
    action: Action
    category: Category | None = None
    declined: str = Field(min_length=3)       # Dutch: what was declined ("een medisch oordeel")
    reason: str = Field(min_length=10)        # Dutch: why, shown to the user
    alternative: str = Field(min_length=10)   # Dutch: what the user can do instead
    source: SourceRef
    also: list[SourceRef] = []
    patterns: list[PatternSpec] = []
    require: list[str] = []
    message_any: list[str] = []
    unless: list[str] = []
    exempt_permission: bool = True
    rewrite: Literal["strip_health_topics"] | None = None

    @field_validator("patterns", mode="before")
    @classmethod
    def _strings_to_specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"re": p} if isinstance(p, str) else p for p in v]
        return v

    @field_validator("require")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        bad = [r for r in v if r not in REQUIREMENTS]
        if bad:
            raise ValueError(f"unknown requirement(s) {bad}; known: {REQUIREMENTS}")
        return v

    @property
    def lines(self) -> tuple[int, int]:
        """Line range of the primary source."""
        return self.source.span


class RoleDef(BaseModel):
    """A fixed role of the product and its health-data policy."""

    model_config = ConfigDict(extra="forbid")
    id: str
    label: str
    description: str
    health_input: Literal["keep", "redact"]
    health_output: Literal["allow", "redact_user_terms", "redact_all"]
    source: SourceRef


class SourceDoc(BaseModel):
    """A source document the rules cite."""

    model_config = ConfigDict(extra="forbid")
    title: str
    file: str


class RailSpec(BaseModel):
    """One entry of a stage in ``rails.yaml``."""

    model_config = ConfigDict(extra="forbid")
    type: str
    params: dict[str, Any] = {}
    # Parameters that differ by the text's origin (user / llm / source), over ``params``.
    origins: dict[Literal["user", "llm", "source"], dict[str, Any]] = {}


class RailsFile(BaseModel):
    """``rails.yaml``: the ordered rails of each stage."""

    model_config = ConfigDict(extra="forbid")
    input: list[RailSpec]
    retrieval: list[RailSpec] = []
    output: list[RailSpec]


class RulesFile(BaseModel):
    """``rules.yaml``: sources, macros and rules."""

    model_config = ConfigDict(extra="forbid")
    sources: dict[str, SourceDoc]
    macros: dict[str, str]
    rules: list[Rule]


class RolesFile(BaseModel):
    """``roles.yaml``."""

    model_config = ConfigDict(extra="forbid")
    roles: list[RoleDef]


class Policy:
    """The validated, cross-checked policy.

    Attributes:
        rules: Rules in file order (file order is priority order within a rail).
        roles: Role definitions by id.
        rails: The rail pipeline per stage.
        sources: Source documents by id.
    """

    def __init__(self, rules: RulesFile, roles: RolesFile, rails: RailsFile, *, sources_dir: Path | None = SOURCES_DIR):
        self.rules_file = rules
        self.rules = rules.rules
        self.by_id = {}
        for r in self.rules:
            if r.id in self.by_id:
                raise PolicyError(f"duplicate rule id {r.id!r}")
            self.by_id[r.id] = r
        self.roles = {}
        for role in roles.roles:
            if role.id in self.roles:
                raise PolicyError(f"duplicate role id {role.id!r}")
            self.roles[role.id] = role
        self.rails = rails
        self.sources = rules.sources
        self.macros = rules.macros
        self._check(sources_dir)

    # -- loading -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path | str = POLICY_DIR, *, sources_dir: Path | None = SOURCES_DIR) -> "Policy":
        """Load and validate ``rules.yaml``, ``roles.yaml`` and ``rails.yaml`` from ``directory``.

        Raises:
            PolicyError: When a file is missing, invalid, or the files disagree.
        """
        directory = Path(directory)
        data = {}
        for name in ("rules", "roles", "rails"):
            path = directory / f"{name}.yaml"
            if not path.is_file():
                raise PolicyError(f"missing policy file {path}")
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise PolicyError(f"{path} must hold a mapping")
            data[name] = loaded
        try:
            rules = RulesFile.model_validate(data["rules"])
            roles = RolesFile.model_validate(data["roles"])
            rails = RailsFile.model_validate(data["rails"])
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            raise PolicyError(str(exc)) from exc
        return cls(rules, roles, rails, sources_dir=sources_dir)

    # -- checks ------------------------------------------------------------------------------------
    def _check(self, sources_dir: Path | None) -> None:
        for role in FIXED_ROLES:
            if role not in self.roles:
                raise PolicyError(f"role {role!r} is not defined in roles.yaml")
        rail_names = {f"{stage}.{spec.type}" for stage in ("input", "retrieval", "output")
                      for spec in getattr(self.rails, stage)}
        line_counts: dict[str, int] = {}
        if sources_dir is not None and Path(sources_dir).is_dir():
            for doc_id, doc in self.sources.items():
                path = Path(sources_dir) / doc.file
                if not path.is_file():
                    raise PolicyError(f"source {doc_id}: file {doc.file} not found in {sources_dir}")
                with path.open(encoding="utf-8", errors="replace") as fh:
                    line_counts[doc_id] = sum(1 for _ in fh)
        for role in self.roles.values():
            self._check_ref(role.source, f"role {role.id}", line_counts)
        for rule in self.rules:
            where = f"rule {rule.id}"
            if rule.rail not in rail_names and not rule.rail.startswith("system."):
                raise PolicyError(f"{where}: rail {rule.rail!r} is not in rails.yaml")
            for role in rule.roles:
                if role not in self.roles:
                    raise PolicyError(f"{where}: unknown role {role!r}")
            if rule.action is Action.BLOCK and rule.category is None and not rule.rail.startswith(("output.", "system.")):
                raise PolicyError(f"{where}: an input BLOCK rule needs a category")
            for ref in [rule.source, *rule.also]:
                self._check_ref(ref, where, line_counts)
            for p in rule.patterns:
                for role in p.roles or []:
                    if role not in rule.roles:
                        raise PolicyError(f"{where}: pattern role {role!r} not among the rule's roles")
                self._compile(p.re, where)
            for rx in [*rule.message_any, *rule.unless]:
                self._compile(rx, where)
        for name, rx in self.macros.items():
            self._compile(rx, f"macro {name}")

    def _check_ref(self, ref: SourceRef, where: str, line_counts: dict[str, int]) -> None:
        if ref.doc not in self.sources:
            raise PolicyError(f"{where}: source {ref.doc!r} not defined")
        if ref.doc in line_counts and ref.span[1] > line_counts[ref.doc]:
            raise PolicyError(f"{where}: lines {ref.lines} beyond the end of source {ref.doc} ({line_counts[ref.doc]} lines)")

    # -- regex helpers -----------------------------------------------------------------------------
    def expand(self, regex: str, _depth: int = 0) -> str:
        """Expand ``{MACRO}`` references (macros may use macros)."""
        if _depth > 5:
            raise PolicyError(f"macro recursion too deep in {regex!r}")

        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name not in self.macros:
                raise PolicyError(f"unknown macro {{{name}}}")
            return "(?:" + self.expand(self.macros[name], _depth + 1) + ")"

        return _MACRO.sub(sub, regex)

    def _compile(self, regex: str, where: str) -> re.Pattern:
        try:
            return self.compile(regex)
        except (re.error, PolicyError) as exc:
            raise PolicyError(f"{where}: bad pattern {regex!r}: {exc}") from exc

    def compile(self, regex: str) -> re.Pattern:
        """Compile a policy regex (macros expanded), cached."""
        cache = self._regex_cache
        if regex not in cache:
            cache[regex] = re.compile(self.expand(regex))
        return cache[regex]

    @cached_property
    def _regex_cache(self) -> dict[str, re.Pattern]:
        return {}

    # -- queries -----------------------------------------------------------------------------------
    def rule(self, rule_id: str) -> Rule:
        """Return a rule by id.

        Raises:
            KeyError: Unknown id.
        """
        return self.by_id[rule_id]

    def rules_for(self, rail: str) -> list[Rule]:
        """Rules of one rail, in priority (file) order."""
        return [r for r in self.rules if r.rail == rail]

    def source_title(self, doc: str) -> str:
        """Title of a source document."""
        src = self.sources.get(doc)
        return src.title if src else doc
