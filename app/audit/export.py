"""Writing audit records as CSV or JSONL, the Dutch labels and local time of the reviewer's view,
and the reviewer-only access check.

Two CSV flavours: the tool CSV (``tda audit export``: commas, the raw field names and values, for
scripts) and the reviewer's CSV for Dutch Excel (``dutch=True``: semicolons, a UTF-8 BOM, Dutch
headers, Dutch values next to the raw time stamp and rule ids, local time). Both defuse cells that
a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import IO, Any
from zoneinfo import ZoneInfo

from app.audit.schema import EXPORT_FORMATS, RECORD_FIELDS
from app.labels import ACTION_NL, CATEGORY_NL, DECISION_NL, KIND_NL, RAIL_TYPE_NL, ROLE_NL, STAGE_NL  # noqa: F401 (re-exported)

#: The time zone the reviewer reads times in.
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

#: Why a record is in the risk queue (``app.audit.filters.risk_reasons``).
RISK_NL = {"refuse": "geweigerd", "health_employer": "gezondheidsgegeven in bericht werkgever",
           "redaction_failed": "afschermen mislukt"}
#: Redaction placeholders as the reviewer reads them; the stored text keeps ``<ENTITY>``.
PLACEHOLDER_NL = {
    "HEALTH_DATA": "gezondheidsgegeven", "PERSON": "naam", "ORGANIZATION": "organisatie", "LOCATION": "plaats",
    "DATE_TIME": "datum/tijd", "NL_BSN": "BSN", "IBAN_CODE": "IBAN", "EMAIL_ADDRESS": "e-mailadres",
    "PHONE_NUMBER": "telefoonnummer", "NL_POSTCODE": "postcode", "ADDRESS": "adres", "NUMMER": "nummer",
    "REDACTIE_MISLUKT": "AFSCHERMEN MISLUKT",
}
#: Dutch names of the record fields (detail view and CSV headers).
FIELD_NL = {
    "id": "Recordnummer", "ts": "Tijd (UTC)", "kind": "Soort", "user": "Gebruiker", "role": "Rol",
    "session_id": "Sessie", "input_redacted": "Vraag (afgeschermd)", "reply_redacted": "Antwoord (afgeschermd)",
    "decision": "Besluit", "category": "Categorie", "rule_ids": "Regels", "rules": "Regels (details)",
    "citations": "Citaten", "decisions": "Railbeslissingen", "notices": "Meldingen", "timings_ms": "Tijden (ms)",
    "app_version": "Appversie", "settings_digest": "Instellingen (digest)", "meta": "Meta",
    "key_id": "Sleutel-id", "prev_hash": "Vorige hash", "hash": "Hash",
}
#: Columns of the reviewer's CSV: (header, how to get the cell from a record).
_LOCAL_HEADER = "Tijd (lokaal)"
_RISK_HEADER = "Risico"

_PLACEHOLDER_RE = re.compile(r"<([A-Z][A-Z0-9_]{1,40})>")


def label(mapping: dict, value: Any) -> str:
    """The Dutch label of a code, or the code itself when it has none ("" for None)."""
    if value is None or value == "":
        return ""
    return mapping.get(str(value), str(value))


def rail_nl(rail: Any) -> str:
    """``"input.health"`` -> ``"invoer: gezondheidstermen"``."""
    stage, _, kind = str(rail or "").partition(".")
    if not kind:
        return str(rail or "")
    return f"{STAGE_NL.get(stage, stage)}: {RAIL_TYPE_NL.get(kind, kind)}"


def local_time(ts: Any) -> str:
    """A stored UTC time stamp as local Dutch time without microseconds: ``01-12-2026 21:05:03``.

    Text that is not a time stamp is returned unchanged.
    """
    if not ts:
        return ""
    if isinstance(ts, dt.datetime):
        moment = ts
    else:
        try:
            moment = dt.datetime.fromisoformat(str(ts).strip().replace("Z", "+00:00"))
        except ValueError:
            return str(ts)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M:%S")


def nl_placeholders(text: Any) -> str:
    """Redaction placeholders in Dutch: ``<HEALTH_DATA>`` -> ``[gezondheidsgegeven]``."""
    return _PLACEHOLDER_RE.sub(lambda m: f"[{PLACEHOLDER_NL.get(m.group(1), m.group(1).lower())}]",
                               "" if text is None else str(text))


def _risk(rec: dict) -> str:
    from app.audit.filters import risk_reasons

    return ", ".join(RISK_NL.get(r, r) for r in risk_reasons(rec))


# The reviewer's CSV: Dutch headers and values; the raw UTC time stamp and the ids stay for checks.
_DUTCH_COLUMNS: tuple[tuple[str, Any], ...] = (
    (FIELD_NL["id"], lambda r: r.get("id")),
    (_LOCAL_HEADER, lambda r: local_time(r.get("ts"))),
    (FIELD_NL["ts"], lambda r: r.get("ts")),
    (FIELD_NL["kind"], lambda r: label(KIND_NL, r.get("kind"))),
    (FIELD_NL["user"], lambda r: r.get("user")),
    (FIELD_NL["role"], lambda r: label(ROLE_NL, r.get("role"))),
    (FIELD_NL["session_id"], lambda r: r.get("session_id")),
    (FIELD_NL["decision"], lambda r: label(DECISION_NL, r.get("decision"))),
    (FIELD_NL["category"], lambda r: label(CATEGORY_NL, r.get("category"))),
    (_RISK_HEADER, _risk),
    (FIELD_NL["rule_ids"], lambda r: ", ".join(str(i) for i in (r.get("rule_ids") or []) if i)
     if isinstance(r.get("rule_ids"), list) else r.get("rule_ids")),
    (FIELD_NL["input_redacted"], lambda r: r.get("input_redacted")),
    (FIELD_NL["reply_redacted"], lambda r: r.get("reply_redacted")),
    (FIELD_NL["rules"], lambda r: r.get("rules")),
    (FIELD_NL["citations"], lambda r: r.get("citations")),
    (FIELD_NL["decisions"], lambda r: r.get("decisions")),
    (FIELD_NL["notices"], lambda r: r.get("notices")),
    (FIELD_NL["timings_ms"], lambda r: r.get("timings_ms")),
    (FIELD_NL["app_version"], lambda r: r.get("app_version")),
    (FIELD_NL["settings_digest"], lambda r: r.get("settings_digest")),
    (FIELD_NL["meta"], lambda r: r.get("meta")),
    (FIELD_NL["key_id"], lambda r: r.get("key_id")),
    (FIELD_NL["prev_hash"], lambda r: r.get("prev_hash")),
    (FIELD_NL["hash"], lambda r: r.get("hash")),
)
#: The headers of the reviewer's CSV, in order.
DUTCH_CSV_HEADERS = tuple(h for h, _ in _DUTCH_COLUMNS)


def write_records(records: Iterable[dict], fmt: str, fh: IO[str], *, dutch: bool = False) -> int:
    """Write ``records`` to ``fh`` as ``csv`` or ``jsonl``; returns the number written.

    In CSV, list and dict fields are JSON text, and cells starting with ``= + - @`` (or a tab or
    carriage return) get a leading ``'`` so that spreadsheets do not run them as formulas.

    Args:
        dutch: CSV for Dutch Excel: a UTF-8 byte order mark, ``;`` as separator, Dutch headers and
            values, local time (the reviewer's export). Ignored for JSONL.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"onbekend exportformaat {fmt!r} (kies csv of jsonl)")
    n = 0
    if fmt == "jsonl":
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
            n += 1
        return n
    if dutch:
        fh.write("\ufeff")   # Excel reads the file as UTF-8 only with a BOM
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(DUTCH_CSV_HEADERS)
        for rec in records:
            writer.writerow([csv_cell(get(rec)) for _h, get in _DUTCH_COLUMNS])
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
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def check_reviewer(role: str) -> None:
    """Raise ``PermissionError`` unless ``role`` is ``reviewer`` (server-side check for the UI).

    Args:
        role: the role bound to the login (never from user input).
    """
    if role != "reviewer":
        raise PermissionError("Alleen de rol reviewer mag het auditlog inzien.")
