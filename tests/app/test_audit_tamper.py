"""Security probes against the audit chain: a local user who can write the database but does not
hold the key rewrites, truncates and resets it; ``verify`` must name each kind of damage, and it
must never write anything itself.

Runs against SQLite and PostgreSQL (``-m postgres``), like ``test_audit.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from app import audit
from app.audit import AuditLog, KeyRing, record_mac
from app.audit.keys import KEY_FILE
from app.reply import Reply
from app.settings import load_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    return request.param


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def log_settings(data_dir, backend, request):
    url = None if backend == "sqlite" else request.getfixturevalue("pg_server").new_database()
    return load_settings(data_dir=data_dir, audit_url=url)


@pytest.fixture
def log(log_settings, monkeypatch):
    monkeypatch.delenv("TDA_AUDIT_KEY", raising=False)
    lg = AuditLog.open(log_settings)
    yield lg
    lg.close()


def fill(lg: AuditLog, n: int) -> None:
    for i in range(n):
        lg.record_turn(user="cm1", role="casemanager", session_id="s", input_text=f"vraag {i}",
                       reply=Reply(text=f"antwoord {i}", decision="answer"))


def rows(lg: AuditLog) -> list[dict]:
    with lg.engine.connect() as conn, conn.begin():
        return [dict(r) for r in conn.execute(sql("SELECT * FROM audit_records ORDER BY id")).mappings()]


def run(lg: AuditLog, statement: str, **params) -> None:
    with lg.engine.connect() as conn, conn.begin():
        conn.execute(sql(statement), params)


def plain_sha256(row: dict) -> str:
    content = {k: v for k, v in row.items() if k != "hash"}
    return hashlib.sha256(audit.canonical_json(content).encode("utf-8")).hexdigest()


def rewrite_chain(lg: AuditLog, mac) -> None:
    """Change record 3 and recompute every hash and the head, as a forger would."""
    prev = audit.GENESIS_HASH
    for row in rows(lg):
        if row["id"] == 3:
            row["decision"] = "refuse"
        row["prev_hash"] = prev
        row["hash"] = mac(row)
        run(lg, "UPDATE audit_records SET decision = :d, prev_hash = :p, hash = :h WHERE id = :i",
            d=row["decision"], p=row["prev_hash"], h=row["hash"], i=row["id"])
        prev = row["hash"]
    run(lg, "UPDATE audit_head SET last_hash = :h", h=prev)


def test_intact_log_verifies_and_is_anchored(log):
    fill(log, 5)
    res = log.verify()
    assert res.ok, res.problem
    assert res.checked == 5 and res.anchored_id == 5 and res.unanchored == 0


def test_rewrite_with_recomputed_hashes_detected(log):
    fill(log, 8)
    rewrite_chain(log, plain_sha256)
    res = log.verify()
    assert not res.ok and res.kind == "altered" and res.first_bad == 1


def test_rewrite_with_own_key_is_wrong_key(log):
    fill(log, 8)
    forger = KeyRing({"kforger00000000": b"x" * 32}, "kforger00000000")

    def mac(row):
        row["key_id"] = "kforger00000000"
        run(log, "UPDATE audit_records SET key_id = :k WHERE id = :i", k=row["key_id"], i=row["id"])
        return record_mac(row, forger)

    rewrite_chain(log, mac)
    res = log.verify()
    assert not res.ok and res.kind == "wrong_key" and res.first_bad == 1


def test_truncation_with_head_moved_back_detected(log):
    fill(log, 50)
    last_kept = rows(log)[9]
    run(log, "DELETE FROM audit_records WHERE id > 10")
    run(log, "UPDATE audit_head SET last_id = 10, last_hash = :h", h=last_kept["hash"])
    res = log.verify()
    assert not res.ok and res.kind == "truncated" and res.first_bad == 11
    assert "11-50" in res.problem


def test_reset_to_genesis_detected(log):
    fill(log, 12)
    run(log, "DELETE FROM audit_records")
    run(log, "UPDATE audit_head SET last_id = 0, last_hash = :h", h=audit.GENESIS_HASH)
    res = log.verify()
    assert not res.ok and res.kind == "reset"


def test_reset_then_new_records_detected_and_anchor_not_moved_back(log, caplog):
    fill(log, 12)
    run(log, "DELETE FROM audit_records")
    run(log, "UPDATE audit_head SET last_id = 0, last_hash = :h", h=audit.GENESIS_HASH)
    fill(log, 3)                                   # the app goes on writing after the reset
    assert log.current_anchor().last_id == 12
    assert "ahead of the database" in caplog.text
    res = log.verify()
    assert not res.ok and res.kind == "reset"


def test_missing_anchor_detected(log):
    fill(log, 3)
    log.anchor.path.unlink()
    res = log.verify()
    assert not res.ok and res.kind == "anchor"


def test_altered_anchor_detected(log):
    fill(log, 6)
    data = json.loads(log.anchor.path.read_text())
    data["last_id"], data["count"] = 3, 3
    log.anchor.path.write_text(json.dumps(data))
    res = log.verify()
    assert not res.ok and res.kind == "anchor"


def test_wrong_key_detected(log, log_settings, monkeypatch):
    fill(log, 4)
    monkeypatch.setenv("TDA_AUDIT_KEY", "een-heel-andere-sleutel-van-iemand")
    (Path(log_settings.data_dir) / KEY_FILE).unlink()
    other = AuditLog.open(log_settings, read_only=True)
    try:
        res = other.verify()
    finally:
        other.close()
    assert not res.ok and res.kind == "wrong_key"


def test_key_rotation_keeps_old_records_verifiable(log, log_settings):
    fill(log, 3)
    old = log.keys.active
    new = log.rotate_key()
    assert new != old
    fill(log, 3)
    assert {r["key_id"] for r in rows(log)} == {old, new}
    reopened = AuditLog.open(log_settings, read_only=True)
    try:
        res = reopened.verify()
    finally:
        reopened.close()
    assert res.ok, res.problem
    assert res.checked == 6


def test_environment_key_is_used(log_settings, monkeypatch):
    monkeypatch.setenv("TDA_AUDIT_KEY", "0123456789abcdef0123456789abcdef")
    lg = AuditLog.open(log_settings)
    try:
        fill(lg, 2)
        assert lg.keys.active == audit.keys.key_id(bytes.fromhex("0123456789abcdef0123456789abcdef"))
        assert {r["key_id"] for r in rows(lg)} == {lg.keys.active}
        assert not (Path(log_settings.data_dir) / KEY_FILE).exists()
        assert lg.verify().ok
    finally:
        lg.close()


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_verify_is_read_only(log, log_settings, data_dir, backend):
    fill(log, 5)
    log.close()
    run_head = AuditLog.open(log_settings)
    run(run_head, "DELETE FROM audit_head")        # verify used to recreate a missing head
    run_head.close()
    before = _snapshot(data_dir)
    reader = AuditLog.open(log_settings, read_only=True)
    try:
        res = reader.verify()
    finally:
        reader.close()
    assert not res.ok and res.kind == "head"
    after = _snapshot(data_dir)
    assert before.keys() == after.keys()
    if backend == "sqlite":
        assert before["audit.db"] == after["audit.db"]
    check = AuditLog.open(log_settings, read_only=True)
    try:
        with check.engine.connect() as conn, conn.begin():
            assert conn.execute(sql("SELECT count(*) FROM audit_head")).scalar() == 0
    finally:
        check.close()


def test_verify_on_missing_log_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TDA_DATA_DIR", str(tmp_path / "nergens"))
    assert audit_cmd_main(["audit", "verify"]) != 0
    assert not (tmp_path / "nergens").exists()


def audit_cmd_main(argv):
    from app.cli import main

    return main(argv)


def test_exported_anchor_catches_a_replayed_local_anchor(tmp_path, monkeypatch, capsys):
    """A forger who saved an old anchor file truncates the log and puts the old anchor back: the
    local check passes, the anchor exported to a safe place does not."""
    data = tmp_path / "data"
    monkeypatch.setenv("TDA_DATA_DIR", str(data))
    monkeypatch.delenv("TDA_AUDIT_KEY", raising=False)
    lg = AuditLog.open(load_settings())
    fill(lg, 7)
    saved = lg.anchor.path.read_bytes()           # the forger's copy at record 7
    fill(lg, 3)
    exported = tmp_path / "anker.json"
    assert audit_cmd_main(["audit", "anchor", "--out", str(exported)]) == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert audit_cmd_main(["audit", "verify", "--anchor", str(exported)]) == 0
    assert "verankerd tot en met record 10" in capsys.readouterr().out
    keep = rows(lg)[6]
    run(lg, "DELETE FROM audit_records WHERE id > 7")
    run(lg, "UPDATE audit_head SET last_id = 7, last_hash = :h", h=keep["hash"])
    lg.anchor.path.write_bytes(saved)
    lg.close()
    assert audit_cmd_main(["audit", "verify"]) == 0                 # the replayed anchor fools the local check
    capsys.readouterr()
    assert audit_cmd_main(["audit", "verify", "--anchor", str(exported), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "truncated" and out["first_bad"] == 8


def test_files_are_private(log, log_settings, data_dir, backend):
    fill(log, 3)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for p in data_dir.iterdir():
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    if backend == "sqlite":
        names = {p.name for p in data_dir.iterdir()}
        assert {"audit.db", "audit.db-wal", "audit.db-shm", KEY_FILE, "audit.anchor.json"} <= names


def test_files_are_private_under_a_permissive_umask(tmp_path, monkeypatch):
    monkeypatch.delenv("TDA_AUDIT_KEY", raising=False)
    old = os.umask(0o000)
    try:
        lg = AuditLog.open(load_settings(data_dir=tmp_path / "d"))
        fill(lg, 2)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "d").iterdir() if p.is_file()}
        lg.close()
    finally:
        os.umask(old)
    assert modes and all(m == 0o600 for m in modes.values()), modes
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700


def test_old_unkeyed_log_is_kept_aside_and_a_keyed_chain_starts(log_settings, data_dir, backend, monkeypatch):
    monkeypatch.delenv("TDA_AUDIT_KEY", raising=False)
    lg = AuditLog.open(log_settings)
    fill(lg, 3)
    # Turn it into a log of the previous format: no key_id column.
    with lg.engine.connect() as conn, conn.begin():
        conn.execute(sql("CREATE TABLE old_records AS SELECT id, ts, kind, username, role, session_id, "
                         "input_redacted, reply_redacted, decision, category, rule_ids, rules, citations, "
                         "decisions, notices, timings_ms, app_version, settings_digest, meta, prev_hash, hash "
                         "FROM audit_records"))
        conn.execute(sql("DROP TABLE audit_records"))
        conn.execute(sql("ALTER TABLE old_records RENAME TO audit_records"))
        conn.execute(sql("CREATE INDEX ix_audit_records_ts ON audit_records (ts)"))
    lg.close()
    lg.anchor.path.unlink()
    reopened = AuditLog.open(log_settings)
    try:
        from sqlalchemy import inspect as sa_inspect

        tables = sa_inspect(reopened.engine).get_table_names()
        legacy = [t for t in tables if t.startswith("audit_records_legacy_")]
        assert len(legacy) == 1
        with reopened.engine.connect() as conn, conn.begin():
            assert conn.execute(sql(f"SELECT count(*) FROM {legacy[0]}")).scalar() == 3   # nothing lost
        assert reopened.count() == 0
        fill(reopened, 2)
        assert reopened.verify().ok
    finally:
        reopened.close()


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    """The first start creates the key file exclusively: racing starts never make two keys."""
    import threading

    barrier = threading.Barrier(8)
    rings = []

    def start():
        barrier.wait()
        rings.append(KeyRing.load(tmp_path, environ={}))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.active for r in rings}) == 1
    assert KeyRing.load(tmp_path, environ={}).active == rings[0].active
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]      # no temp files left
