"""Health-term rail, per role (input and output stages).

Input: for roles whose policy is ``health_input: redact`` (employer, trainer, reviewer) health terms
are replaced by neutral placeholders ("[medicatie]", "[aandoening]"), so no later step processes
them (source 002, lines 813-817); for the casemanager in taakdelegatie they are kept and only
reported as evidence, so the log can redact them (``guardrails.pii.redact_for_storage``, the audit log's redactor).

Output: for ``health_output: redact_all`` (employer) every health term in the reply is removed,
including words the user typed that the lexicon does not know; for ``redact_user_terms`` (trainer,
reviewer) the health words of the user's own message are never echoed.
"""

from __future__ import annotations

import functools
import re

from guardrails.health import find_health, get_lexicon, redact_health
from guardrails.normalize import normalize_for_matching, normalize_with_map, span_to_original
from guardrails.rails.base import BaseRail, register
from guardrails.types import Action, Decision, Evidence, TurnContext

REMOVED = "[weggelaten]"
# Words after these cues in the user's message are treated as health terms even when the lexicon
# does not know them ("hij lijdt aan sarcoidose").
_CUES = re.compile(
    r"\b(?:lijdt aan|leed aan|last van|gediagnosticeerd met|de diagnose(?: is| luidt)?|diagnose:|behandeld (?:voor|wegens|aan)|"
    r"geopereerd aan|slikt|ziekte van|ziek door|herstellende van|revalideert na) (?:een |de |het |zijn |haar |z'n )?"
    r"([a-z][a-z]{3,}(?: [a-z]{4,})?)"
)


@functools.lru_cache(maxsize=1)
def _not_health() -> re.Pattern:
    """Words after a health cue that are no health term (the lexicon's ``not_health_after_cue``)."""
    return re.compile(r"^(?:" + "|".join(map(re.escape, get_lexicon().spec.not_health_after_cue)) + r")\b")


def user_health_terms(user_text: str) -> set[str]:
    """Normalised health terms of the user's message: lexicon matches plus cue-introduced words."""
    terms: set[str] = set()
    if not user_text:
        return terms
    norm = normalize_for_matching(user_text)
    for s, e, _t, cat in get_lexicon().find_normalized(norm):
        terms.add(norm[s:e])
    for m in _CUES.finditer(norm):
        word = m.group(1)
        if not _not_health().match(word):
            terms.add(word.split()[0] if len(word.split()[0]) >= 5 else word)
    return {t for t in terms if len(t) >= 3}


def find_terms(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """Spans (original offsets) in ``text`` where any of the normalised ``terms`` occurs."""
    if not terms or not text:
        return []
    norm, index = normalize_with_map(text)
    alt = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    out = []
    for m in re.finditer(rf"(?:{alt})[a-z0-9]*", norm):
        start = m.start()
        while start > 0 and norm[start - 1].isalnum() and start > m.start() - 40:
            start -= 1
        s, e = span_to_original(index, len(text), start, m.end())
        out.append((s, e, norm[start:m.end()]))
    return out


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append(placeholder)
        pos = e
    out.append(text[pos:])
    return "".join(out)


@register("health")
class HealthRail(BaseRail):
    """Health terms in the input (placeholders or log-only) and in the output (removed)."""

    stages = ("input", "output")

    def check(self, text: str, ctx: TurnContext) -> Decision:
        """Apply the role's health policy to ``text``."""
        role = self.policy.roles[ctx.role]
        if self.stage == "input":
            return self._input(text, ctx, role)
        return self._output(text, ctx, role)

    def _input(self, text: str, ctx: TurnContext, role) -> Decision:
        matches = find_health(text)
        if not matches:
            return self.allow()
        evidence = tuple(Evidence(m.start, m.end, f"HEALTH_DATA/{m.category}", 0.85, "guardrails.health") for m in matches)
        if role.health_input == "redact":
            rule = self.policy.rule("health.redact_input")
            return self.decide(rule, action=Action.REDACT, evidence=evidence, text=redact_health(text, matches))
        rule = self.policy.rule("health.casemanager_log_only")
        return self.decide(rule, action=Action.ALLOW, evidence=evidence, risk=0.1)

    def _output(self, text: str, ctx: TurnContext, role) -> Decision:
        if role.health_output == "allow" or not text:
            return self.allow()
        user_text = ctx.user_text or ""
        spans: list[tuple[int, int]] = [(s, e) for s, e, _ in find_terms(text, user_health_terms(user_text))]
        if role.health_output == "redact_all":
            spans += [(m.start, m.end) for m in find_health(text)]
            rule = self.policy.rule("output.no_health_for_employer")
        else:
            rule = self.policy.rule("output.no_echo_user_health")
        if not spans:
            return self.allow()
        evidence = tuple(Evidence(s, e, "HEALTH_DATA", 0.85, "guardrails.health") for s, e in sorted(spans))
        return self.decide(rule, action=Action.REDACT, evidence=evidence, text=_replace(text, spans, REMOVED))
