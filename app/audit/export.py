"""Writing audit records as CSV or JSONL, and the reviewer-only access check."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from app.audit.schema import EXPORT_FORMATS, RECORD_FIELDS


def write_records(records: Iterable[dict], fmt: str, fh: IO[str]) -> int:
    """Write ``records`` to ``fh`` as ``csv`` or ``jsonl``; returns the number written.

    In CSV, list and dict fields are JSON text, and cells starting with ``= + - @`` get a leading
    ``'`` so that spreadsheets do not run them as formulas.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"onbekend exportformaat {fmt!r} (kies csv of jsonl)")
    n = 0
    if fmt == "jsonl":
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
            n += 1
        return n
    writer = csv.writer(fh)
    writer.writerow(RECORD_FIELDS)
    for rec in records:
        writer.writerow([csv_cell(rec[k]) for k in RECORD_FIELDS])
        n += 1
    return n


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for lists and dicts, formula starters defused."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def check_reviewer(role: str) -> None:
    """Raise ``PermissionError`` unless ``role`` is ``reviewer`` (server-side check for the UI).

    Args:
        role: the role bound to the login (never from user input).
    """
    if role != "reviewer":
        raise PermissionError("Alleen de rol reviewer mag het auditlog inzien.")
