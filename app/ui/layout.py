"""Shared pieces of the Gradio app: role constants, labels, CSS and the helpers every tab uses.

All user-facing text is Dutch.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import uuid
from typing import Any

import gradio as gr

from app.labels import CATEGORY_NL, DECISION_NL
from vocab import PRACTICE_ROLES, ROLES, SCRIPT_ROLES

logger = logging.getLogger("app.ui")

# Which role may use which tab (and its handlers).
CHAT_ROLES = ROLES
INTAKE_ROLES = SCRIPT_ROLES + PRACTICE_ROLES
EVAL_ROLES = ("trainer",)
AUDIT_ROLES = ("reviewer",)

ROLE_LABELS = {
    "casemanager": "casemanager (taakdelegatie bedrijfsarts)",
    "employer": "werkgever / leidinggevende",
    "trainer": "trainer",
    "reviewer": "reviewer (audit)",
}
CATEGORY_LABELS = CATEGORY_NL
DECISION_LABELS = DECISION_NL

CSS = """
.tda-refusal { border-left: 6px solid #c0392b; background: #fdecea; padding: 8px 12px; border-radius: 6px; }
.tda-notfound { border-left: 6px solid #b9770e; background: #fef5e7; padding: 8px 12px; border-radius: 6px; }
.tda-practice { border: 2px dashed #8e44ad; background: #f5eef8; padding: 6px 12px; border-radius: 6px; }
.tda-meta { color: #666; font-size: 0.85em; }
.tda-verdict-head { font-weight: 700; letter-spacing: 0.02em; margin-bottom: 4px; position: sticky; top: 0; }
.tda-refusal .tda-verdict-head { color: #922b21; background: #fdecea; z-index: 1; }
.tda-notfound .tda-verdict-head { color: #7e5109; background: #fef5e7; z-index: 1; }
#tda-chatbot .message-row { scroll-margin-top: 44px; }
.tda-masked { border-left: 4px solid #2471a3; background: #eaf2f8; padding: 6px 10px; border-radius: 6px;
  margin: 4px 0; font-size: 0.95em; }
.tda-escalation { border: 1px solid #aab7b8; border-radius: 6px; padding: 6px 10px; margin-top: 6px; }
.tda-escalation pre, .tda-escalation code { white-space: pre-wrap !important; overflow-wrap: anywhere; }
.tda-chips { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; margin-top: 6px; }
.tda-chips-label { font-size: 0.85em; color: #555; align-self: center; }
.tda-chip { border: 1px solid #c8d1d9; border-radius: 14px; background: #f4f6f8; padding: 2px 10px;
  font-size: 0.85em; max-width: 100%; }
.tda-chip[open] { flex-basis: 100%; border-radius: 8px; background: #fbfcfd; }
.tda-chip summary { cursor: pointer; overflow-wrap: anywhere; }
.tda-chip blockquote { margin: 6px 0 4px; font-size: 1.05em; }
.tda-quote-src { color: #555; font-size: 0.9em; margin-top: 4px; }
/* phone width: no word split in headers, nothing wider than the screen */
#tda-chatbot .message-wrap, #tda-chatbot .bubble, #tda-chatbot .message { max-width: 100%; min-width: 0; }
#tda-chatbot .prose { overflow-wrap: break-word; word-break: normal; hyphens: manual; }
#tda-why table { display: block; overflow-x: auto; max-width: 100%; }
#tda-why th, #tda-why td { word-break: normal !important; overflow-wrap: normal !important; hyphens: none; }
#tda-why th, #tda-why td:first-child, #tda-why td:nth-child(2) { white-space: nowrap; }
#tda-why td:nth-child(4) { min-width: 16em; }
@media (max-width: 480px) {
  #tda-chatbot .bubble { margin-left: 0 !important; margin-right: 0 !important; }
  #tda-chatbot .message-row { padding-left: 0 !important; padding-right: 0 !important; }
  .tda-chip { font-size: 0.8em; }
}
"""


class AccessDenied(gr.Error):
    """Raised by a handler when the logged-in role may not use it (shown as an error in the UI).

    Logged once by :meth:`TdaUI.role_for` as one line with user and role; Gradio prints no traceback.
    """

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("print_exception", False)
        super().__init__(message, **kwargs)


def guarded(fn):
    """Turn an unexpected exception in a handler into a Dutch error message with a reference code.

    ``gr.Error`` (including :class:`AccessDenied`) passes through unchanged. The signature is kept
    (``functools.wraps``), so Gradio still injects ``gr.Request``, ``gr.Progress`` and ``gr.SelectData``.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            logger.error("handler %s failed (ref %s, %s)", fn.__name__, ref, type(exc).__name__, exc_info=True)
            raise gr.Error(f"Er ging iets mis (foutcode {ref}). Probeer het opnieuw; de app blijft werken.",
                           title="Fout") from None

    return wrapper


_PLACEHOLDER_RE = re.compile(r"<([A-Z][A-Z0-9_]{1,40})>")


def show_placeholders(text: str) -> str:
    """Keep redaction placeholders such as ``<PERSON>`` visible: Markdown would take them for HTML tags."""
    return _PLACEHOLDER_RE.sub(r"&lt;\1&gt;", text or "")


def _md_escape(value: Any) -> str:
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\n", " ")


def _lines(value: Any) -> str:
    try:
        a, b = value
        return f"{int(a)}–{int(b)}"
    except (TypeError, ValueError):
        return str(value)


def _short(value: Any, n: int = 120) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= n else s[:n] + "…"


def _request_cookies(request: gr.Request | None) -> dict[str, str]:
    """The cookies of the caller's HTTP request (empty when there is none)."""
    try:
        cookies = getattr(request, "cookies", None)
    except Exception:  # noqa: BLE001 - a gr.Request without an HTTP request behind it
        return {}
    return dict(cookies or {})
