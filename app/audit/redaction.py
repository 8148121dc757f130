"""Redaction of everything an audit record stores: texts, rail traces, rules and citations.

Raw input never reaches the database: every free text goes through ``guardrails.pii.redact`` here,
and a failure stores a placeholder, never the text. Redactions are memoised by the sha256 of the
text (refusal templates, policy reasons and re-asked questions are analysed once); the cache holds
hashes and redacted texts only, never a raw value.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import asdict
from typing import Any

from app.audit.schema import MAX_TEXT_CHARS, REDACTION_FAILED
from app.audit.schema import clean as _clean

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _redactor():
    """The project's redaction for stored text (``guardrails.pii.redact_for_storage``), imported on first use."""
    from guardrails.pii import redact_for_storage  # lazy: loads presidio and the Dutch recognizers

    return redact_for_storage


class _RedactionCache:
    """Redacted results keyed by the sha256 of the input text: repeated texts (refusal templates,
    policy reasons, notices, re-asked questions) are redacted once. Keys are hashes and values are
    redacted texts, so the cache never holds a raw value. Failures are not cached."""

    def __init__(self, size: int = 4096, max_chars: int = 8000):
        self.size, self.max_chars = size, max_chars
        self._data: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> str | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: bytes, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _RedactionCache()


def clear_redaction_cache() -> None:
    """Forget memoised redactions (after the recognizers or the lexicon changed)."""
    _CACHE.clear()


def redact_text(text: Any) -> tuple[str, bool]:
    """Redact PII and health data in ``text`` with ``guardrails.pii.redact_for_storage``.

    Never returns the raw text on failure: if the redactor cannot be imported, raises or reports
    a failure, the whole text is replaced by ``REDACTION_FAILED``.

    Args:
        text: the text to redact (anything; non-strings are converted).

    Returns:
        ``(redacted_text, ok)``; ``ok`` is False when the placeholder was written instead.
    """
    raw = _clean(text)
    if not raw.strip():
        return raw, True
    suffix = ""
    if len(raw) > MAX_TEXT_CHARS:
        suffix = f" [... {len(raw) - MAX_TEXT_CHARS} tekens weggelaten]"
        raw = raw[:MAX_TEXT_CHARS]
    key = hashlib.sha256(raw.encode("utf-8")).digest() if len(raw) <= _CACHE.max_chars else None
    if key is not None:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached + suffix, True
    try:
        result = _redactor()(raw)
        if getattr(result, "failed", False):   # guardrails.pii fails closed with a placeholder
            raise RuntimeError("redactor reported a failure")
        redacted = result.text if hasattr(result, "text") else result
        if not isinstance(redacted, str):
            raise TypeError("redactor returned no text")
    except Exception as exc:  # noqa: BLE001 - any failure must mask, never pass raw text on
        # Only the exception type is logged: messages may quote the input.
        logger.warning("audit: redaction failed (%s); text replaced by a placeholder", type(exc).__name__)
        return REDACTION_FAILED, False
    redacted = _clean(redacted)
    if key is not None:
        _CACHE.put(key, redacted)
    return redacted + suffix, True


def redact_aux(text: Any) -> tuple[str, bool]:
    return redact_text(_clean(text, limit=2000))


# Keys of a rail-trace dict whose values are identifiers from code / policy files, not text.
_SAFE_DECISION_KEYS = ("rail", "action", "rule_id", "category")
_NUMERIC_DECISION_KEYS = ("risk", "duration_ms")
_EVIDENCE_NUMERIC = ("start", "end", "score")


def number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return round(value, 4)
    return value


def sanitize_decision(d: Any, flags: dict) -> dict:
    """Whitelist a rail-trace dict: ids kept, free text redacted, unknown keys (e.g. ``text``) dropped."""
    if not isinstance(d, dict):
        d = d.to_dict() if hasattr(d, "to_dict") else {}
    out: dict = {}
    for key in _SAFE_DECISION_KEYS:
        if d.get(key) is not None:
            value = d[key]
            out[key] = _clean(getattr(value, "value", value), limit=200)
    for key in _NUMERIC_DECISION_KEYS:
        if key in d:
            out[key] = number(d[key])
    if d.get("reason"):
        out["reason"], ok = redact_aux(d["reason"])
        flags["ok"] &= ok
    evidence = []
    for e in d.get("evidence") or ():
        if not isinstance(e, dict):
            e = asdict(e) if hasattr(e, "__dataclass_fields__") else {}
        item = {k: number(e.get(k)) for k in _EVIDENCE_NUMERIC if k in e}
        for k in ("label", "detector"):
            if e.get(k):
                item[k], ok = redact_aux(e[k])
                flags["ok"] &= ok
        evidence.append(item)
    if evidence:
        out["evidence"] = evidence
    exp = d.get("explanation")
    if isinstance(exp, dict):
        # the intent model's explanation: ids and numbers kept, example texts redacted like all free text
        item: dict = {}
        for k in ("intent", "refuse_intent"):
            if exp.get(k):
                item[k] = _clean(str(exp[k]), limit=80)
        for k in ("score", "refuse_score", "threshold", "history_turns"):
            if k in exp:
                item[k] = number(exp[k])
        if exp.get("from_history"):
            item["from_history"] = True
        nearest = []
        for n in exp.get("nearest") or ():
            if isinstance(n, dict):
                text, ok = redact_aux(str(n.get("text", "")))
                flags["ok"] &= ok
                nearest.append({"text": text, "intent": _clean(str(n.get("intent", "")), limit=80),
                                "similarity": number(n.get("similarity"))})
        if nearest:
            item["nearest"] = nearest
        out["explanation"] = item
    return out


def citation_dict(c: Any) -> dict:
    d = c.to_dict() if hasattr(c, "to_dict") else dict(c)
    out = {k: _clean(d.get(k, ""), limit=4000) for k in ("source", "title", "section", "quote")}
    out["lines"] = _line_range(d.get("lines"))
    return out


def rule_dict(r: Any, flags: dict) -> dict:
    d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
    out = {"id": _clean(d.get("id", ""), limit=200), "source": _clean(d.get("source", ""), limit=20)}
    reason, ok = redact_aux(d.get("reason", ""))
    flags["ok"] &= ok
    out["reason"] = reason
    out["lines"] = _line_range(d.get("lines"))
    return out


def _line_range(lines: Any) -> list[int]:
    """``[first, last]`` source lines as two integers; ``[0, 0]`` for anything else."""
    try:
        return [int(lines[0]), int(lines[1])]
    except (TypeError, ValueError, IndexError):
        return [0, 0]
