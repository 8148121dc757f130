"""Refusals from templates in ``prompts/refusals.yaml``.

A refusal says what was declined, why (rule id, source document and lines) and what the user can
do instead. Only the rule's own data fill the template, never the user's text, so health data the
user typed are never echoed.
"""

from __future__ import annotations

import logging
import string
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from guardrails.policy import Policy, Rule
from guardrails.types import Action, Category, RuleRef, Verdict

logger = logging.getLogger(__name__)

REFUSALS_PATH = Path(__file__).resolve().parent.parent / "prompts" / "refusals.yaml"
TEMPLATE_VARS = {"intro", "declined", "reason", "rule_id", "source_doc", "source_title", "lines", "alternative"}


class MissingVariables(Exception):
    """A template variable has neither a value nor a default."""


class _RefusalsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    description: str = ""
    templates: dict[str, str]
    intros: dict[str, str]
    defaults: dict[str, str] = {}

    @model_validator(mode="after")
    def _check(self) -> "_RefusalsFile":
        if self.kind != "refusals":
            raise ValueError("kind must be 'refusals'")
        for name in ("block", "partial", "error"):
            if name not in self.templates:
                raise ValueError(f"template {name!r} missing")
        for name, text in self.templates.items():
            unknown = set(string.Template(text).get_identifiers()) - TEMPLATE_VARS
            if unknown:
                raise ValueError(f"template {name!r} uses unknown variables {sorted(unknown)}")
        missing = {c.value for c in Category} - set(self.intros)
        if missing or "default" not in self.intros:
            raise ValueError(f"intros missing for {sorted(missing) or ['default']}")
        return self


def _ref(rule: Rule) -> RuleRef:
    return RuleRef(id=rule.id, reason=" ".join(rule.reason.split()), source=rule.source.doc, lines=rule.lines)


class RefusalTemplates:
    """Loaded, validated refusal templates."""

    def __init__(self, spec: _RefusalsFile):
        self.spec = spec

    @classmethod
    def load(cls, path: Path | str = REFUSALS_PATH) -> "RefusalTemplates":
        """Load and validate ``prompts/refusals.yaml``."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(_RefusalsFile.model_validate(data))

    def vars(self, name: str) -> set[str]:
        """Variables used by template ``name``."""
        return set(string.Template(self.spec.templates[name]).get_identifiers())

    def evaluate(self, name: str, params: dict[str, str]) -> str:
        """Render template ``name``.

        Raises:
            MissingVariables: ``"Missing variables: a, b"``.
        """
        values = dict(self.spec.defaults)
        values.update({k: str(v) for k, v in params.items()})
        missing = sorted(self.vars(name) - set(values))
        if missing:
            raise MissingVariables(f"Missing variables: {', '.join(missing)}")
        text = string.Template(self.spec.templates[name]).substitute(values)
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    def params_for(self, rule: Rule, policy: Policy) -> dict[str, str]:
        """Template variables for ``rule``."""
        a, b = rule.lines
        cat = rule.category.value if rule.category else "default"
        return {
            "intro": self.spec.intros.get(cat, self.spec.intros["default"]),
            "declined": " ".join(rule.declined.split()),
            "reason": " ".join(rule.reason.split()),
            "rule_id": rule.id,
            "source_doc": rule.source.doc,
            "source_title": policy.source_title(rule.source.doc),
            "lines": f"{a}-{b}" if a != b else str(a),
            "alternative": " ".join(rule.alternative.split()),
        }

    def render(self, verdict: Verdict, policy: Policy, ctx=None):
        """Refusal (blocked verdict) or notice of declined parts (PARTIAL decisions).

        Returns:
            ``(text, [RuleRef, ...])``; ``("", [])`` when nothing was declined.
        """
        blocking = verdict.blocking
        if blocking is not None:
            try:
                rule = policy.rule(blocking.rule_id)
            except KeyError:
                logger.error("blocking decision cites unknown rule %r", blocking.rule_id)
                rule = policy.rule("system.rail_error")
            name = "error" if rule.id == "system.rail_error" else "block"
            return self.evaluate(name, self.params_for(rule, policy)), [_ref(rule)]
        parts, refs, seen = [], [], set()
        for d in verdict.decisions:
            if d.action is Action.PARTIAL and d.rule_id and d.rule_id not in seen:
                seen.add(d.rule_id)
                rule = policy.rule(d.rule_id)
                parts.append(self.evaluate("partial", self.params_for(rule, policy)))
                refs.append(_ref(rule))
        return "\n\n".join(parts), refs
