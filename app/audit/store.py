"""``AuditLog``: the append-only, keyed and anchored audit log of every turn.

Every turn (chat and intake script) becomes one record: UTC time, user, role, session id, the
*redacted* input, the *redacted* reply text, decision, category, rule ids, citations, the rail
trace, timings, app version and the settings digest. Redaction happens before anything is
written (``app.audit.redaction``); this module never logs text at all.

Storage goes through SQLAlchemy: SQLite in WAL mode in ``TDA_DATA_DIR`` by default
(``sqlite:///<data_dir>/audit.db``), or PostgreSQL through ``settings.audit_url``. The keys and the
anchor stay in the data dir in both cases (``app.audit.keys``, ``app.audit.chain``). The data dir
is 0700 and every file the log creates in it is 0600 (the SQLite file is created 0600 before SQLite
opens it, so its WAL and SHM files inherit that mode).

Appends are serialised by a database lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL:
``SELECT ... FOR UPDATE`` on the head row) plus a process-local lock, so threads and processes never
fork the chain. A one-row table ``audit_head`` holds the id and MAC of the last record.

Retention: ``purge(before)`` deletes the oldest records (a prefix of the chain) and appends a
``checkpoint`` record whose ``meta`` holds ``purged_through_id`` and ``purged_last_hash``;
verification starts from the latest checkpoint.

Latency: ``record_turn`` is synchronous (redaction plus one short transaction); ``submit_turn``
queues the same work for a background writer thread and returns a Future at once.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, wait
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from app.audit.chain import Anchor, AnchorFile, VerifyResult, anchor_path, record_mac, verify_rows
from app.audit.export import write_records
from app.audit.filters import AuditFilter, as_bound
from app.audit.keys import AuditKeyError, KeyRing
from app.audit.redaction import (
    citation_dict,
    number,
    redact_aux,
    redact_text,
    rule_dict,
    sanitize_decision,
)
from app.audit.schema import (
    CHECKPOINT_KIND,
    EXPORT_FORMATS,
    GENESIS_HASH,
    audit_head,
    audit_records,
    canonical_json,
    metadata,
    row_to_record,
    utc_timestamp,
)
from app.audit.schema import clean as _clean

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600

# One write lock per database URL in this process: threads queue here instead of spinning in
# SQLite's busy handler; the database lock still serialises other processes.
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


class AuditError(RuntimeError):
    """The audit log could not be opened or written."""


def default_url(settings) -> str:
    """The audit URL: ``settings.audit_url`` or SQLite ``audit.db`` in the data dir."""
    if getattr(settings, "audit_url", None):
        return settings.audit_url
    return _sqlite_url(settings.data_dir)


def _sqlite_url(data_dir) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'audit.db'}"


def private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    try:
        os.chmod(path, DIR_MODE)
    except OSError:
        logger.warning("audit: could not make %s private (0700)", path)
    return path


def _sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def _make_engine(url: str, *, read_only: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if read_only:
            # Never create or write anything: SQLite's URI mode=ro reads the WAL of a log in use;
            # a log closed cleanly has no WAL, and is opened immutable so that SQLite does not
            # create -wal/-shm files just to read it.
            wal = path is not None and path.with_name(path.name + "-wal").exists()
            target = (f"file:{path}?mode=ro" if wal else f"file:{path}?mode=ro&immutable=1") if path else ":memory:"
            engine = create_engine("sqlite://", hide_parameters=True, creator=lambda: _sqlite_ro(target))
            return engine
        if path is not None:
            private_dir(path.parent)
            # Create the database file 0600 before SQLite opens it: its -wal and -shm files get the
            # same mode from SQLite, whatever the umask.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
            os.chmod(path, FILE_MODE)
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is
            # deferred and would allow two writers to read the same chain head).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + synchronous=NORMAL: a committed transaction survives a crash of the process
            # (SIGKILL); a power cut may lose the last commits but never breaks the chain.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
            if path is not None:
                _private_files(path)

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("tda_write") else "BEGIN"
            conn.exec_driver_sql(mode)

        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_ro(target: str):
    import sqlite3

    conn = sqlite3.connect(target, uri=True, timeout=60, check_same_thread=False)
    conn.isolation_level = None
    return conn


def _private_files(db: Path) -> None:
    """Make the database and its -wal/-shm files 0600 (belt and braces next to the creation mode)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        f = db.with_name(db.name + suffix)
        try:
            if f.exists() and (f.stat().st_mode & 0o077):
                os.chmod(f, FILE_MODE)
        except OSError:
            pass


def _write_lock(url: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(url, threading.Lock())


class AuditLog:
    """The append-only, keyed, anchored audit log. Thread-safe; several processes may share it."""

    def __init__(self, engine: Engine, *, url: str, keys: KeyRing, anchor: AnchorFile, settings=None,
                 read_only: bool = False):
        """Wrap an engine whose tables exist; use ``AuditLog.open`` instead."""
        self.engine = engine
        self.url = url
        self.settings = settings
        self.keys = keys
        self.anchor = anchor
        self.read_only = read_only
        self._lock = _write_lock(url)
        self._digest = settings.digest() if settings is not None and hasattr(settings, "digest") else ""
        self._now = lambda: dt.datetime.now(dt.timezone.utc)  # tests move the clock
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._worker_guard = threading.Lock()
        self._pending: set[Future] = set()
        self._atexit_registered = False
        from app import __version__ as version

        self._version = version

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, settings=None, *, url: str | None = None, read_only: bool = False) -> AuditLog:
        """Open (and, unless ``read_only``, create if needed) the audit log of ``settings``.

        Args:
            settings: ``app.settings.Settings``; loaded from the environment when None.
            url: SQLAlchemy URL overriding ``settings.audit_url`` (tests, tools).
            read_only: open for verification and reading only: nothing is created or written,
                not the tables, the head row, the key file or the anchor.

        Raises:
            AuditError: when the database cannot be opened, its tables created or the keys read.
        """
        if settings is None:
            from app.settings import load_settings

            settings = load_settings()
        url = url or default_url(settings)
        data_dir = Path(settings.data_dir)
        try:
            if not read_only:
                private_dir(data_dir)
            keys = KeyRing.load(data_dir, create=not read_only)
        except (AuditKeyError, OSError) as exc:
            raise AuditError(f"auditsleutel niet bruikbaar: {exc}") from exc
        anchor = AnchorFile(anchor_path(data_dir, url, _sqlite_url(data_dir)))
        try:
            if read_only:
                path = _sqlite_path(url) if url.startswith("sqlite") else None
                if path is not None and not path.exists():
                    raise AuditError(f"auditlog {path} bestaat niet")
                engine = _make_engine(url, read_only=True)
            else:
                engine = _make_engine(url)
                cls._create_schema(engine)
        except (OperationalError, ProgrammingError, OSError) as exc:
            raise AuditError(f"auditlog kan niet worden geopend ({type(exc).__name__}: {exc})") from exc
        log = cls(engine, url=url, keys=keys, anchor=anchor, settings=settings, read_only=read_only)
        if not read_only:
            log._start_anchor()
        return log

    @staticmethod
    def _archive_legacy(engine: Engine) -> str | None:
        """Move a log of the old, unkeyed format aside (tables renamed, nothing deleted); returns
        the new table name, or None when there is none."""
        insp = inspect(engine)
        if "audit_records" not in insp.get_table_names():
            return None
        if "key_id" in {c["name"] for c in insp.get_columns("audit_records")}:
            return None
        suffix = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
        with engine.connect() as conn, conn.begin():
            for index in insp.get_indexes("audit_records"):
                conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index["name"]}"')  # names are schema-wide
            conn.exec_driver_sql(f"ALTER TABLE audit_records RENAME TO audit_records_legacy_{suffix}")
            if "audit_head" in insp.get_table_names():
                conn.exec_driver_sql(f"ALTER TABLE audit_head RENAME TO audit_head_legacy_{suffix}")
        logger.warning("audit: a log of the old, unkeyed format was kept as table audit_records_legacy_%s; "
                       "a new keyed chain starts", suffix)
        return f"audit_records_legacy_{suffix}"

    @staticmethod
    def _create_schema(engine: Engine) -> None:
        AuditLog._archive_legacy(engine)
        # Two processes may open a fresh database at once: the loser of the race retries.
        for attempt in range(3):
            try:
                metadata.create_all(engine)
                break
            except (IntegrityError, ProgrammingError, OperationalError):
                if attempt == 2:
                    raise
        with engine.connect() as conn:
            with conn.begin():
                exists = conn.execute(select(audit_head.c.id).where(audit_head.c.id == 1)).first()
        if exists is None:
            try:
                with engine.connect() as conn:
                    with conn.begin():
                        conn.execute(insert(audit_head).values(id=1, last_id=0, last_hash=GENESIS_HASH))
            except IntegrityError:
                pass  # created by another process meanwhile

    def _start_anchor(self) -> None:
        """Write the first anchor of an empty log; warn when an existing log has none."""
        try:
            current = self.anchor.read()
        except ValueError:
            logger.error("audit: the anchor file is unreadable; `tda audit verify` reports it")
            return
        if current is not None:
            return
        if self.count() == 0:
            self.anchor.advance(Anchor(), self.keys)
        else:
            logger.error("audit: the log has records but no anchor; `tda audit verify` reports it")

    def close(self) -> None:
        """Write queued turns (``submit_turn``), then release the database connections."""
        self.flush()
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.put(None)
            worker.join(timeout=60)
        self._worker = None
        self.engine.dispose()

    # ---------------------------------------------------------------- background recording

    def submit_turn(self, *, user: str, role: str, session_id: str, input_text: str, reply,
                    kind: str = "chat") -> Future:
        """Queue a turn for ``record_turn`` in a background thread and return at once.

        The reply can be shown without waiting for redaction and the write; the turn's raw text
        stays in memory only, until the worker has redacted and written it. Turns still queued
        when the process is killed are lost (never written raw): use ``record_turn`` where every
        turn must be committed before the reply is shown. ``close()``/``flush()`` and interpreter
        exit drain the queue.

        Returns:
            A ``concurrent.futures.Future`` with the record id (or the ``AuditError``).
        """
        future: Future = Future()
        with self._worker_guard:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="tda-audit-writer", daemon=True)
                self._worker.start()
                if not self._atexit_registered:
                    atexit.register(self.flush, 30.0)
                    self._atexit_registered = True
            self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        self._queue.put((dict(user=user, role=role, session_id=session_id, input_text=input_text, reply=reply,
                              kind=kind), future))
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kwargs, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self.record_turn(**kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                logger.error("audit: queued turn not recorded (%s)", type(exc).__name__)
                future.set_exception(exc)
            finally:
                del kwargs, item

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued turn is written; True when none is left."""
        pending = list(self._pending)
        if not pending:
            return True
        done, not_done = wait(pending, timeout=timeout)
        return not not_done

    # ---------------------------------------------------------------- writing

    def _append(self, row: dict, *, before_insert=None) -> int:
        """Append one record under the chain lock (fills id, ts, key_id, prev_hash and hash), then
        move the anchor forward."""
        if self.read_only or self.keys.active is None:
            raise AuditError("auditlog is alleen-lezen geopend (geen actieve sleutel)")
        with self._lock:
            with self.engine.connect() as conn:
                conn.execution_options(tda_write=True)
                with conn.begin():
                    head = conn.execute(
                        select(audit_head.c.last_id, audit_head.c.last_hash)
                        .where(audit_head.c.id == 1).with_for_update()
                    ).first()
                    if head is None:
                        raise AuditError("auditlog: kop van de keten (audit_head) ontbreekt")
                    if before_insert is not None:
                        before_insert(conn, row)
                    new_id = int(head.last_id) + 1
                    row["id"] = new_id
                    row["ts"] = utc_timestamp(self._now())
                    row["key_id"] = self.keys.active
                    row["prev_hash"] = head.last_hash
                    row["hash"] = record_mac(row, self.keys)
                    conn.execute(insert(audit_records).values(**row))
                    conn.execute(update(audit_head).where(audit_head.c.id == 1)
                                 .values(last_id=new_id, last_hash=row["hash"]))
                    previous = self._anchor_or_none()
                    if previous is not None and previous.last_id == new_id - 1 and before_insert is None:
                        count = previous.count + 1
                    else:
                        count = int(conn.execute(select(func.count()).select_from(audit_records)).scalar() or 0)
                    if row["kind"] == CHECKPOINT_KIND or new_id == 1 or previous is None:
                        first = (new_id, row["hash"]) if (row["kind"] == CHECKPOINT_KIND or new_id == 1) \
                            else self._segment_start(conn)
                    else:
                        first = (previous.first_id, previous.first_mac)
            self.anchor.advance(Anchor(last_id=new_id, head=row["hash"], count=count, first_id=first[0],
                                       first_mac=first[1]), self.keys)
        return new_id

    def _anchor_or_none(self) -> Anchor | None:
        try:
            return self.anchor.read()
        except ValueError:
            return None

    @staticmethod
    def _segment_start(conn) -> tuple[int, str]:
        c = audit_records.c
        row = conn.execute(select(c.id, c.hash).where(c.kind == CHECKPOINT_KIND).order_by(c.id.desc())
                           .limit(1)).first()
        if row is None:
            row = conn.execute(select(c.id, c.hash).order_by(c.id).limit(1)).first()
        return (int(row.id), row.hash) if row is not None else (0, GENESIS_HASH)

    def record_turn(self, *, user: str, role: str, session_id: str, input_text: str, reply,
                    kind: str = "chat") -> int:
        """Redact and append one turn.

        The input and the reply text are redacted before anything is written; if redaction
        fails, a masked placeholder is stored instead of the text.

        Args:
            user: login name.
            role: role id bound to the login.
            session_id: chat session id.
            input_text: the user's raw message (never stored as such).
            reply: the ``app.reply.Reply`` of the turn.
            kind: ``chat`` or ``intake_script`` (default: ``reply.kind`` if set, else ``chat``).

        Returns:
            The new record's id.

        Raises:
            AuditError: when the record cannot be written.
        """
        flags = {"ok": True}
        input_redacted, ok_in = redact_text(input_text)
        reply_redacted, ok_out = redact_text(getattr(reply, "text", ""))
        flags["ok"] = ok_in and ok_out
        rules = [rule_dict(r, flags) for r in (getattr(reply, "rules", None) or ())]
        decisions = [sanitize_decision(d, flags) for d in (getattr(reply, "decisions", None) or ())]
        notices = []
        for n in getattr(reply, "notices", None) or ():
            text, ok = redact_aux(n)
            flags["ok"] &= ok
            notices.append(text)
        timings = {}
        for k, v in (getattr(reply, "timings_ms", None) or {}).items():
            value = number(v)
            if value is not None:
                timings[_clean(k, limit=64)] = round(float(value), 3)
        reply_kind = kind if kind != "chat" else (getattr(reply, "kind", None) or "chat")
        row = {
            "kind": _clean(reply_kind, limit=32),
            "username": _clean(user, limit=200),
            "role": _clean(role, limit=64),
            "session_id": _clean(session_id, limit=200),
            "input_redacted": input_redacted,
            "reply_redacted": reply_redacted,
            "decision": _clean(getattr(reply, "decision", ""), limit=32),
            "category": _clean(reply.category, limit=64) if getattr(reply, "category", None) else None,
            "rule_ids": canonical_json([r["id"] for r in rules]),
            "rules": canonical_json(rules),
            "citations": canonical_json([citation_dict(c) for c in (getattr(reply, "citations", None) or ())]),
            "decisions": canonical_json(decisions),
            "notices": canonical_json(notices),
            "timings_ms": canonical_json(timings),
            "app_version": _clean(self._version, limit=64),
            "settings_digest": self._digest,
            "meta": canonical_json({} if flags["ok"] else {"redaction_failed": True}),
        }
        try:
            record_id = self._append(row)
        except (OperationalError, ProgrammingError, IntegrityError, AuditKeyError) as exc:
            logger.error("audit: record could not be written (%s)", type(exc).__name__)
            raise AuditError(f"auditrecord kon niet worden geschreven ({type(exc).__name__})") from exc
        logger.debug("audit: record %d written", record_id)
        return record_id

    def purge(self, before: dt.date | str) -> int:
        """Delete records older than ``before`` (UTC midnight), keeping the chain verifiable.

        Deletes the oldest records (the prefix of the chain with a time stamp before the date)
        and appends a ``checkpoint`` record carrying the id and MAC of the last purged record.

        Args:
            before: a date or ``YYYY-MM-DD``.

        Returns:
            The number of records deleted (the checkpoint is not counted).
        """
        bound = as_bound(before, upper=False)
        if bound is None:
            raise ValueError("purge needs a date")
        purged: dict = {}

        def _delete_prefix(conn, row):
            last = conn.execute(select(func.max(audit_records.c.id)).where(audit_records.c.ts < bound)).scalar()
            if last is None:
                raise _NothingToPurge
            last_hash = conn.execute(select(audit_records.c.hash).where(audit_records.c.id == last)).scalar()
            count = conn.execute(delete(audit_records).where(audit_records.c.id <= last)).rowcount
            purged.update(count=count)
            row["meta"] = canonical_json({"purged_through_id": int(last), "purged_last_hash": last_hash,
                                          "purged_count": int(count), "before": bound[:10]})

        row = {
            "kind": CHECKPOINT_KIND, "username": "system", "role": "", "session_id": "",
            "input_redacted": "", "reply_redacted": f"Records van voor {bound[:10]} verwijderd (bewaartermijn).",
            "decision": "", "category": None, "rule_ids": "[]", "rules": "[]", "citations": "[]",
            "decisions": "[]", "notices": "[]", "timings_ms": "{}",
            "app_version": _clean(self._version, limit=64), "settings_digest": self._digest, "meta": "{}",
        }
        try:
            checkpoint_id = self._append(row, before_insert=_delete_prefix)
        except _NothingToPurge:
            return 0
        logger.info("audit: purged %d records before %s (checkpoint %d)", purged["count"], bound[:10],
                    checkpoint_id)
        return int(purged["count"])

    def rotate_key(self) -> str:
        """Make a fresh key active for new records (old keys stay to verify old records)."""
        try:
            return self.keys.rotate()
        except AuditKeyError as exc:
            raise AuditError(str(exc)) from exc

    # ---------------------------------------------------------------- reading

    def _read(self):
        """A read connection; PostgreSQL gets one snapshot for the whole transaction."""
        conn = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def count(self, flt: AuditFilter | None = None) -> int:
        """Number of records (matching ``flt`` if given), checkpoints included."""
        if flt is not None and flt.needs_check:
            return sum(1 for _ in self.iter_records(flt))
        stmt = select(func.count()).select_from(audit_records)
        if flt is not None:
            stmt = stmt.where(*flt.clauses())
        with self._read() as conn, conn.begin():
            return int(conn.execute(stmt).scalar() or 0)

    def query(self, flt: AuditFilter | None = None, *, limit: int = 200, offset: int = 0,
              newest_first: bool = True) -> list[dict]:
        """Records matching ``flt``, newest first by default.

        Args:
            flt: filters; None for all records.
            limit: at most this many records (capped at 10 000).
            offset: skip this many.
            newest_first: order by descending id (the reviewer's view); False for chronological.

        Returns:
            Record dicts (keys: ``app.audit.schema.RECORD_FIELDS``).
        """
        limit = max(0, min(int(limit), 10_000))
        order = audit_records.c.id.desc() if newest_first else audit_records.c.id.asc()
        if flt is not None and flt.needs_check:
            return self._query_checked(flt, limit=limit, offset=max(0, int(offset)), newest_first=newest_first)
        stmt = select(audit_records).order_by(order).limit(limit).offset(max(0, int(offset)))
        if flt is not None:
            stmt = stmt.where(*flt.clauses())
        with self._read() as conn, conn.begin():
            return [row_to_record(r) for r in conn.execute(stmt)]

    def _query_checked(self, flt: AuditFilter, *, limit: int, offset: int, newest_first: bool,
                       batch: int = 500) -> list[dict]:
        """``query`` for a filter with a per-record part (``flt.accept``): rows in batches by id."""
        c = audit_records.c
        clauses = flt.clauses()
        out: list[dict] = []
        skipped = 0
        last = None
        while len(out) < limit:
            stmt = select(audit_records).where(*clauses)
            if last is not None:
                stmt = stmt.where(c.id < last if newest_first else c.id > last)
            stmt = stmt.order_by(c.id.desc() if newest_first else c.id.asc()).limit(batch)
            with self._read() as conn, conn.begin():
                rows = conn.execute(stmt).all()
            if not rows:
                break
            for row in rows:
                rec = row_to_record(row)
                if not flt.accept(rec):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(rec)
                if len(out) >= limit:
                    break
            last = rows[-1].id
        return out

    def get(self, record_id: int) -> dict | None:
        """One record by id, or None."""
        try:
            rid = int(record_id)
        except (TypeError, ValueError):
            return None
        with self._read() as conn, conn.begin():
            row = conn.execute(select(audit_records).where(audit_records.c.id == rid)).first()
        return row_to_record(row) if row is not None else None

    def iter_records(self, flt: AuditFilter | None = None, *, batch: int = 500) -> Iterator[dict]:
        """All matching records in chronological order, fetched in batches."""
        last = 0
        clauses = flt.clauses() if flt is not None else []
        while True:
            stmt = (select(audit_records).where(audit_records.c.id > last, *clauses)
                    .order_by(audit_records.c.id).limit(batch))
            with self._read() as conn, conn.begin():
                rows = conn.execute(stmt).all()
            if not rows:
                return
            for row in rows:
                rec = row_to_record(row)
                if flt is None or flt.accept(rec):
                    yield rec
            last = rows[-1].id

    def export(self, flt: AuditFilter | None, fmt: str, out: str | os.PathLike | IO[str], *,
               dutch: bool = False) -> int:
        """Write the matching records, chronologically, as CSV or JSONL (a path is created 0600).

        ``dutch``: the reviewer's CSV for Dutch Excel (``app.audit.export.write_records``).

        Returns:
            The number of records written.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"onbekend exportformaat {fmt!r} (kies csv of jsonl)")
        if isinstance(out, (str, os.PathLike)):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                return write_records(self.iter_records(flt), fmt, fh, dutch=dutch)
        return write_records(self.iter_records(flt), fmt, out, dutch=dutch)

    # ---------------------------------------------------------------- verification

    def current_anchor(self) -> Anchor | None:
        """The anchor as stored next to the log (for ``tda audit anchor``)."""
        return self.anchor.read()

    def verify(self, extra_anchors: list[tuple[str, Anchor]] | None = None) -> VerifyResult:
        """Check the whole chain against its MACs, the head row and the anchor(s). Read-only.

        Args:
            extra_anchors: exported anchors ``(label, anchor)`` to check as well.

        Returns:
            A ``VerifyResult`` naming the first kind of damage found.
        """
        try:
            local = self.anchor.read()
            anchors: list[tuple[str, Anchor | None]] = [("het anker", local)]
        except ValueError:
            return VerifyResult(False, 0, None, "Auditlog: anker ontbreekt of is gewijzigd (anchor) - het "
                                "ankerbestand is onleesbaar", "anchor")
        anchors += list(extra_anchors or [])
        c = audit_records.c
        try:
            with self._read() as conn, conn.begin():
                head = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash)
                                    .where(audit_head.c.id == 1)).first()
                checkpoint = conn.execute(select(c.id, c.meta).where(c.kind == CHECKPOINT_KIND)
                                          .order_by(c.id.desc()).limit(1)).first()
                start = (1, GENESIS_HASH)
                if checkpoint is not None:
                    try:
                        meta = json.loads(checkpoint.meta)
                        start = (int(meta["purged_through_id"]) + 1, str(meta["purged_last_hash"]))
                    except (ValueError, KeyError, TypeError):
                        return VerifyResult(False, 0, checkpoint.id, f"Record {checkpoint.id}: gewijzigd (altered) "
                                            "- checkpointgegevens onleesbaar", "altered")

                def rows():
                    after = -(2**31)
                    while True:
                        batch = conn.execute(select(audit_records).where(c.id > after).order_by(c.id)
                                             .limit(1000)).all()
                        if not batch:
                            return
                        for r in batch:
                            yield dict(r._mapping)
                        after = batch[-1].id

                return verify_rows(rows(), keys=self.keys,
                                   head=(int(head.last_id), head.last_hash) if head is not None else None,
                                   start=start, anchors=anchors)
        except (OperationalError, ProgrammingError) as exc:
            return VerifyResult(False, 0, None, f"Auditlog: opnieuw begonnen of leeggemaakt (reset) - de tabellen "
                                f"zijn niet leesbaar ({type(exc).__name__})", "reset")


class _NothingToPurge(Exception):
    """Internal: no record is older than the purge date (rolls the transaction back)."""
