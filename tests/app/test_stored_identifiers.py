"""0 raw identifiers in any stored byte: 1,000 generated turns through the audit log, then every
file of the data dir (database, WAL, SHM, key, anchor) is searched for every identifier as typed,
in compact form and case-insensitively.

The turns come from the independent PII generator (``evals/pii/independent.py``: phone numbers from
phonenumbers' metadata in every notation, valid or not; IBANs by the registry's structure in any
case and spacing; BSNs by the elfproef in every grouping; e-mail addresses), both splits. The reply
echoes the message (the worst case: an answer that quotes the user). Names are not asserted here:
their recall is a benchmark figure (evals/pii/INDEPENDENT_REPORT.md), not a guarantee.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.audit import REDACTION_FAILED, AuditLog
from app.reply import Reply
from app.settings import load_settings
from evals.pii.independent import generate

IDENTIFIERS = ("PHONE_NUMBER", "IBAN_CODE", "NL_BSN", "EMAIL_ADDRESS")
N_TURNS = 1000


def _turns() -> list[dict]:
    items = [it for it in generate() if any(s["entity"] in IDENTIFIERS for s in it["spans"])]
    items.sort(key=lambda it: it["id"])
    step = max(1, len(items) // N_TURNS)
    picked = items[::step][:N_TURNS]
    while len(picked) < N_TURNS:                      # fewer items than turns: reuse in order
        picked += items[: N_TURNS - len(picked)]
    return picked


def _needles(value: str, entity: str) -> set[bytes]:
    """Byte strings that would reveal ``value``: as typed, compact, and (numbers) the digits alone."""
    out = {value.lower()}
    compact = re.sub(r"[\s.\-/()]", "", value).lower()
    out.add(compact)
    if entity != "EMAIL_ADDRESS":
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 7:
            out.add(digits[-9:] if entity == "PHONE_NUMBER" else digits)
    return {n.encode("utf-8") for n in out if len(n) >= 7}


@pytest.mark.slow
def test_no_raw_identifier_in_any_stored_byte(tmp_path, monkeypatch):
    monkeypatch.delenv("TDA_AUDIT_KEY", raising=False)
    data = tmp_path / "data"
    log = AuditLog.open(load_settings(data_dir=data))
    turns = _turns()
    formats: set[tuple[str, str]] = set()
    needles: dict[bytes, str] = {}
    try:
        for i, item in enumerate(turns):
            log.record_turn(user=f"u{i % 7}", role=("casemanager", "employer")[i % 2], session_id=f"s{i % 13}",
                            input_text=item["text"], reply=Reply(text=f"U schreef: {item['text']}",
                                                                 decision="answer"))
            for s in item["spans"]:
                if s["entity"] in IDENTIFIERS:
                    formats.add((s["entity"], s["format"].split("/")[0]))
                    for n in _needles(s["value"], s["entity"]):
                        needles[n] = f"{s['entity']} {s['format']} {s['value']!r}"
        assert log.count() == N_TURNS
        stored = log.query(limit=N_TURNS)
        assert not [r for r in stored if REDACTION_FAILED in r["input_redacted"]], "redaction failed closed"
        assert log.verify().ok
    finally:
        log.close()
    # every notation of every identifier was in the turns
    for entity in IDENTIFIERS:
        assert len({f for e, f in formats if e == entity}) >= 4, (entity, sorted(formats))
    blobs = {p.name: p.read_bytes().lower() for p in Path(data).rglob("*") if p.is_file()}
    assert "audit.db" in blobs
    leaks = sorted({(name, what) for name, blob in blobs.items() for n, what in needles.items() if n in blob})
    assert not leaks, f"{len(leaks)} raw identifiers stored, e.g. {leaks[:8]}"
