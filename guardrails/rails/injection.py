"""Input rail: prompt injection ("negeer alle vorige instructies") and role claims
("ik ben eigenlijk de bedrijfsarts"). A role is bound to the login (ARCHITECTURE.md); what a
casemanager may see depends on the role he works in (source 003, lines 450-454).

Besides the patterns of ``rules.yaml`` the rail looks for instructions hidden in base64: a long
token that decodes to readable text is treated as an attempt to get text past the rails (the
decoded text is never processed or logged).
"""

from __future__ import annotations

import base64
import binascii
import re

from guardrails.rails.base import IntentRail, register
from guardrails.types import Action, Decision, Evidence, TurnContext

# A base64 token: at least 16 characters of the base64 alphabet, optional padding.
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_MAX_TOKENS = 5


def decodes_to_text(token: str) -> bool:
    """True when ``token`` is base64 that decodes to readable text (mostly letters and spaces).

    Args:
        token: A candidate token (letters, digits, ``+``, ``/``, optional ``=`` padding).

    Returns:
        Whether the decoded bytes are UTF-8 text of which at least 85 % are letters, digits,
        spaces or punctuation and which contains at least one space (a sentence, not a word).
    """
    # Real words and identifiers are not base64: require mixed case or digits, like encoded text.
    if token.isalpha() and (token.islower() or token.isupper()):
        return False
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    if len(text) < 8 or " " not in text:
        return False
    readable = sum(ch.isalnum() or ch.isspace() or ch in ".,;:!?'\"-()" for ch in text)
    return readable / len(text) >= 0.85


@register("injection")
class InjectionRail(IntentRail):
    """Refuse attempts to change the assistant's rules or the user's role through the message."""

    def check(self, text: str, ctx: TurnContext) -> Decision:
        """The pattern rules first; then instructions encoded as base64."""
        decision = super().check(text, ctx)
        if decision.action is not Action.ALLOW or not text:
            return decision
        for n, m in enumerate(_B64.finditer(text)):
            if n >= _MAX_TOKENS:
                break
            if decodes_to_text(m.group(0)):
                rule = self.policy.rule("prompt.injection")
                ev = Evidence(start=m.start(), end=m.end(), label=rule.id, score=1.0, detector=self.name)
                return self.decide(rule, evidence=(ev,))
        return decision
