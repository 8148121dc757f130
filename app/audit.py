"""Append-only audit log of every turn, with a hash chain (issue 5).

Every turn (chat and intake script) becomes one record: UTC time, user, role, session id, the
*redacted* input, the *redacted* reply text, decision, category, rule ids, citations, the rail
trace, timings, app version and the settings digest. Redaction happens here, before anything is
written: raw input never reaches the database, and this module never logs text at all.

Storage goes through SQLAlchemy: SQLite in WAL mode in ``TDA_DATA_DIR`` by default
(``sqlite:///<data_dir>/audit.db``), or PostgreSQL through ``settings.audit_url``
(``postgresql+psycopg://...``).

Hash chain:
    Each record stores ``prev_hash`` (the previous record's hash) and ``hash`` =
    sha256 of the canonical JSON (sorted keys, no whitespace) of all its stored columns except
    ``hash`` itself, ids and ``prev_hash`` included. A one-row table ``audit_head`` holds the id and
    hash of the last record; it is updated in the same transaction, so deleting the newest record
    or appending a forged one is detected too. Appends are serialised by a database lock
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT ... FOR UPDATE`` on the head row) plus a
    process-local lock, so threads and processes never fork the chain.

Retention:
    ``purge(before)`` deletes the oldest records (a prefix of the chain) and appends a
    ``checkpoint`` record whose ``meta`` holds ``purged_through_id`` and ``purged_last_hash``;
    ``verify()`` starts the chain from the latest checkpoint, so the log stays verifiable.

Latency:
    ``record_turn`` is synchronous: redaction (presidio, the expensive part) plus one short
    transaction; the record is committed when it returns. ``submit_turn`` queues the same work
    for a background writer thread and returns a Future at once, so the reply does not wait for
    the log (queued turns are lost, never written raw, if the process is killed). Redactions are
    memoised by the sha256 of the text, so repeated texts (refusal templates, policy reasons)
    are analysed once. ``python -m evals.bench_audit`` measures both paths.

Record dicts (``query``, ``get``, JSONL export) have the keys of ``RECORD_FIELDS``:
``id, ts, kind, user, role, session_id, input_redacted, reply_redacted, decision, category,
rule_ids (list), rules (list of dicts), citations (list of dicts), decisions (list of rail
trace dicts), notices (list), timings_ms (dict), app_version, settings_digest, meta (dict),
prev_hash, hash``. ``kind`` is ``chat``, ``intake_script`` or ``checkpoint``.

Example:
    >>> log = AuditLog.open(settings)
    >>> rid = log.record_turn(user="u1", role="employer", session_id="s1",
    ...                       input_text="Mag ik vragen wat hij heeft?", reply=reply)
    >>> log.verify().ok
    True
"""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
#: Written instead of a text when redaction fails: never the raw text.
REDACTION_FAILED = "<REDACTIE_MISLUKT>"
#: Texts longer than this are cut before redaction; the rest is dropped, never stored raw.
MAX_TEXT_CHARS = 20_000
CHECKPOINT_KIND = "checkpoint"
TURN_KINDS = ("chat", "intake_script")
EXPORT_FORMATS = ("csv", "jsonl")

metadata = MetaData()

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("username", Text, nullable=False),
    Column("role", String(64), nullable=False, index=True),
    Column("session_id", Text, nullable=False),
    Column("input_redacted", Text, nullable=False),
    Column("reply_redacted", Text, nullable=False),
    Column("decision", String(32), nullable=False, index=True),
    Column("category", String(64), nullable=True, index=True),
    Column("rule_ids", Text, nullable=False),      # canonical JSON list
    Column("rules", Text, nullable=False),         # canonical JSON list of dicts
    Column("citations", Text, nullable=False),     # canonical JSON list of dicts
    Column("decisions", Text, nullable=False),     # canonical JSON list of rail-trace dicts
    Column("notices", Text, nullable=False),       # canonical JSON list
    Column("timings_ms", Text, nullable=False),    # canonical JSON dict
    Column("app_version", String(64), nullable=False),
    Column("settings_digest", String(64), nullable=False),
    Column("meta", Text, nullable=False),          # canonical JSON dict (checkpoint data, flags)
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# Columns covered by the record hash (everything but ``hash``), in table order.
HASHED_COLUMNS = tuple(c.name for c in audit_records.columns if c.name != "hash")
_JSON_COLUMNS = ("rule_ids", "rules", "citations", "decisions", "notices", "timings_ms", "meta")
RECORD_FIELDS = ("id", "ts", "kind", "user") + tuple(
    c.name for c in audit_records.columns if c.name not in ("id", "ts", "kind", "username")
)

# One write lock per database URL in this process: threads queue here instead of spinning in
# SQLite's busy handler; the database lock still serialises other processes.
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


class AuditError(RuntimeError):
    """The audit log could not be opened or written."""


def canonical_json(value: Any) -> str:
    """Serialise ``value`` canonically: sorted keys, no whitespace, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(row: dict) -> str:
    """Hash of a stored record: sha256 over the canonical JSON of every column but ``hash``."""
    content = {name: row.get(name) for name in HASHED_COLUMNS}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """Fixed-width ISO 8601 UTC time stamp (sorts as text), e.g. ``2026-11-23T00:36:13.123456Z``."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _clean(value: Any, limit: int | None = None) -> str:
    """A storable string: no NUL (PostgreSQL rejects it), no lone surrogates, optionally cut."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if limit is not None and len(text) > limit:
        text = text[:limit]
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


# --------------------------------------------------------------------------------------------
# Redaction


@functools.lru_cache(maxsize=1)
def _redactor():
    """The project's redaction function (guardrails.pii.redact), imported on first use."""
    from guardrails.pii import redact  # lazy: loads presidio and the Dutch recognizers

    return redact


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
    """Redact PII and health data in ``text`` with ``guardrails.pii.redact``.

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


def _redact_aux(text: Any) -> tuple[str, bool]:
    return redact_text(_clean(text, limit=2000))


# Keys of a rail-trace dict whose values are identifiers from code / policy files, not text.
_SAFE_DECISION_KEYS = ("rail", "action", "rule_id", "category")
_NUMERIC_DECISION_KEYS = ("risk", "duration_ms")
_EVIDENCE_NUMERIC = ("start", "end", "score")


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return round(value, 4)
    return value


def _sanitize_decision(d: Any, flags: dict) -> dict:
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
            out[key] = _number(d[key])
    if d.get("reason"):
        out["reason"], ok = _redact_aux(d["reason"])
        flags["ok"] &= ok
    evidence = []
    for e in d.get("evidence") or ():
        if not isinstance(e, dict):
            e = asdict(e) if hasattr(e, "__dataclass_fields__") else {}
        item = {k: _number(e.get(k)) for k in _EVIDENCE_NUMERIC if k in e}
        for k in ("label", "detector"):
            if e.get(k):
                item[k], ok = _redact_aux(e[k])
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
                item[k] = _number(exp[k])
        if exp.get("from_history"):
            item["from_history"] = True
        nearest = []
        for n in exp.get("nearest") or ():
            if isinstance(n, dict):
                text, ok = _redact_aux(str(n.get("text", "")))
                flags["ok"] &= ok
                nearest.append({"text": text, "intent": _clean(str(n.get("intent", "")), limit=80),
                                "similarity": _number(n.get("similarity"))})
        if nearest:
            item["nearest"] = nearest
        out["explanation"] = item
    return out


def _citation_dict(c: Any) -> dict:
    d = c.to_dict() if hasattr(c, "to_dict") else dict(c)
    out = {k: _clean(d.get(k, ""), limit=4000) for k in ("source", "title", "section", "quote")}
    lines = d.get("lines") or (0, 0)
    try:
        out["lines"] = [int(lines[0]), int(lines[1])]
    except (TypeError, ValueError, IndexError):
        out["lines"] = [0, 0]
    return out


def _rule_dict(r: Any, flags: dict) -> dict:
    d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
    out = {"id": _clean(d.get("id", ""), limit=200), "source": _clean(d.get("source", ""), limit=20)}
    reason, ok = _redact_aux(d.get("reason", ""))
    flags["ok"] &= ok
    out["reason"] = reason
    lines = d.get("lines") or (0, 0)
    try:
        out["lines"] = [int(lines[0]), int(lines[1])]
    except (TypeError, ValueError, IndexError):
        out["lines"] = [0, 0]
    return out


# --------------------------------------------------------------------------------------------
# Filters and results


def _as_bound(value: Any, *, upper: bool) -> str | None:
    """Turn a filter date (date, datetime or ISO text) into a time-stamp bound.

    A plain date as upper bound includes that whole day.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(
                text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"ongeldige datum {text!r} (verwacht JJJJ-MM-DD)") from exc
    if isinstance(value, dt.datetime):
        return utc_timestamp(value)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if upper else value
        return utc_timestamp(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc))
    raise TypeError(f"unsupported date value {type(value).__name__}")


@dataclass
class AuditFilter:
    """Filters for ``query``/``export``; every field is optional and they combine with AND.

    Attributes:
        date_from: first day (date, datetime or ``YYYY-MM-DD``), inclusive.
        date_to: last day, inclusive for a date; exclusive bound for a datetime.
        role: role id.
        decision: ``answer``, ``refuse`` or ``not_found``.
        category: refusal category.
        rule_id: a rule id that must occur in the record's rule ids.
        text: case-insensitive substring of the redacted input or reply.
        kind: ``chat``, ``intake_script`` or ``checkpoint``.
        user: login name.
        session_id: session id.
    """

    date_from: Any = None
    date_to: Any = None
    role: str | None = None
    decision: str | None = None
    category: str | None = None
    rule_id: str | None = None
    text: str | None = None
    kind: str | None = None
    user: str | None = None
    session_id: str | None = None

    def clauses(self) -> list:
        """SQLAlchemy WHERE clauses for this filter."""
        c = audit_records.c
        out = []
        lo = _as_bound(self.date_from, upper=False)
        hi = _as_bound(self.date_to, upper=True)
        if lo:
            out.append(c.ts >= lo)
        if hi:
            out.append(c.ts < hi)
        for value, column in ((self.role, c.role), (self.decision, c.decision), (self.category, c.category),
                              (self.kind, c.kind), (self.user, c.username), (self.session_id, c.session_id)):
            if value:
                out.append(column == value)
        if self.rule_id:
            out.append(c.rule_ids.contains(canonical_json(self.rule_id), autoescape=True))
        if self.text:
            needle = _clean(self.text, limit=500).lower()
            out.append(func.lower(c.input_redacted).contains(needle, autoescape=True)
                       | func.lower(c.reply_redacted).contains(needle, autoescape=True))
        return out


@dataclass
class VerifyResult:
    """Outcome of ``AuditLog.verify``.

    Attributes:
        ok: True when the whole chain is intact.
        checked: number of records whose hash and link were checked before stopping.
        first_bad: id of the first broken, altered, missing or inserted record, else None.
        problem: Dutch message (with the English kind) naming the record and what is wrong.
        kind: ``altered``, ``missing``, ``inserted``, ``broken_link`` or ``head`` (None when ok).
        last_id: id of the last record checked.
    """

    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str | None = None
    kind: str | None = None
    last_id: int | None = None

    def to_dict(self) -> dict:
        """Plain dict (``tda audit verify --json``, UI)."""
        return asdict(self)


_PROBLEM_NL = {
    "altered": "gewijzigd",
    "missing": "ontbreekt",
    "inserted": "ingevoegd",
    "broken_link": "schakel verbroken",
    "head": "kop van de keten klopt niet",
}


def _problem(kind: str, record_id: int | None, detail: str) -> str:
    where = f"Record {record_id}" if record_id is not None else "Auditlog"
    return f"{where}: {_PROBLEM_NL[kind]} ({kind}) - {detail}"


# --------------------------------------------------------------------------------------------
# Engine


def default_url(settings) -> str:
    """The audit URL: ``settings.audit_url`` or SQLite ``audit.db`` in the data dir."""
    if getattr(settings, "audit_url", None):
        return settings.audit_url
    path = Path(settings.data_dir).resolve() / "audit.db"
    return f"sqlite:///{path}"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
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

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("tda_write") else "BEGIN"
            conn.exec_driver_sql(mode)

        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _write_lock(url: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(url, threading.Lock())


def _row_to_record(row: Any) -> dict:
    m = dict(row._mapping)
    rec: dict = {}
    for name in RECORD_FIELDS:
        column = "username" if name == "user" else name
        value = m.get(column)
        if column in _JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass  # altered beyond JSON: shown as stored; verify() reports it
        rec[name] = value
    return rec


class AuditLog:
    """The append-only, hash-chained audit log. Thread-safe; several processes may share it."""

    def __init__(self, engine: Engine, *, url: str, settings=None):
        """Wrap an engine whose tables exist; use ``AuditLog.open`` instead."""
        self.engine = engine
        self.url = url
        self.settings = settings
        self._lock = _write_lock(url)
        self._digest = settings.digest() if settings is not None and hasattr(settings, "digest") else ""
        self._now = lambda: dt.datetime.now(dt.timezone.utc)  # tests move the clock
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._worker_guard = threading.Lock()
        self._pending: set[Future] = set()
        self._atexit_registered = False
        try:
            from app import __version__ as version
        except ImportError:  # pragma: no cover - app is always importable here
            version = "unknown"
        self._version = version

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, settings=None, *, url: str | None = None) -> AuditLog:
        """Open (and create if needed) the audit log of ``settings``.

        Args:
            settings: ``app.settings.Settings``; loaded from the environment when None.
            url: SQLAlchemy URL overriding ``settings.audit_url`` (tests, tools).

        Returns:
            A ready ``AuditLog``.

        Raises:
            AuditError: when the database cannot be opened or its tables created.
        """
        if settings is None:
            from app.settings import load_settings

            settings = load_settings()
        url = url or default_url(settings)
        try:
            engine = _make_engine(url)
            cls._create_schema(engine)
        except (OperationalError, ProgrammingError, OSError) as exc:
            raise AuditError(f"auditlog kan niet worden geopend ({type(exc).__name__}: {exc})") from exc
        if url.startswith("sqlite:///"):
            db = Path(url.split("///", 1)[1])
            try:
                os.chmod(db, 0o600)  # redacted, but still personal data about users and sessions
            except OSError:
                pass
        return cls(engine, url=url, settings=settings)

    @staticmethod
    def _create_schema(engine: Engine) -> None:
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
        """Append one record under the chain lock; fills id, ts, prev_hash and hash."""
        with self._lock, self.engine.connect() as conn:
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
                row["prev_hash"] = head.last_hash
                row["hash"] = record_hash(row)
                conn.execute(insert(audit_records).values(**row))
                conn.execute(update(audit_head).where(audit_head.c.id == 1)
                             .values(last_id=new_id, last_hash=row["hash"]))
        return new_id

    def record_turn(self, *, user: str, role: str, session_id: str, input_text: str, reply,
                    kind: str = "chat") -> int:
        """Redact and append one turn.

        The input and the reply text are redacted with ``guardrails.pii.redact`` before anything
        is written; if redaction fails, a masked placeholder is stored instead of the text.

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
        rules = [_rule_dict(r, flags) for r in (getattr(reply, "rules", None) or ())]
        decisions = [_sanitize_decision(d, flags) for d in (getattr(reply, "decisions", None) or ())]
        notices = []
        for n in getattr(reply, "notices", None) or ():
            text, ok = _redact_aux(n)
            flags["ok"] &= ok
            notices.append(text)
        timings = {}
        for k, v in (getattr(reply, "timings_ms", None) or {}).items():
            number = _number(v)
            if number is not None:
                timings[_clean(k, limit=64)] = round(float(number), 3)
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
            "citations": canonical_json([_citation_dict(c) for c in (getattr(reply, "citations", None) or ())]),
            "decisions": canonical_json(decisions),
            "notices": canonical_json(notices),
            "timings_ms": canonical_json(timings),
            "app_version": _clean(self._version, limit=64),
            "settings_digest": self._digest,
            "meta": canonical_json({} if flags["ok"] else {"redaction_failed": True}),
        }
        try:
            record_id = self._append(row)
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            logger.error("audit: record could not be written (%s)", type(exc).__name__)
            raise AuditError(f"auditrecord kon niet worden geschreven ({type(exc).__name__})") from exc
        logger.debug("audit: record %d written", record_id)
        return record_id

    def purge(self, before: dt.date | str) -> int:
        """Delete records older than ``before`` (UTC midnight), keeping the chain verifiable.

        Deletes the oldest records (the prefix of the chain with a time stamp before the date)
        and appends a ``checkpoint`` record carrying the id and hash of the last purged record.

        Args:
            before: a date or ``YYYY-MM-DD``.

        Returns:
            The number of records deleted (the checkpoint is not counted).
        """
        bound = _as_bound(before, upper=False)
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

    # ---------------------------------------------------------------- reading

    def _read(self):
        """A read connection; PostgreSQL gets one snapshot for the whole transaction."""
        conn = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def count(self, flt: AuditFilter | None = None) -> int:
        """Number of records (matching ``flt`` if given), checkpoints included."""
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
            Record dicts (see the module docstring).
        """
        limit = max(0, min(int(limit), 10_000))
        order = audit_records.c.id.desc() if newest_first else audit_records.c.id.asc()
        stmt = select(audit_records).order_by(order).limit(limit).offset(max(0, int(offset)))
        if flt is not None:
            stmt = stmt.where(*flt.clauses())
        with self._read() as conn, conn.begin():
            return [_row_to_record(r) for r in conn.execute(stmt)]

    def get(self, record_id: int) -> dict | None:
        """One record by id, or None."""
        try:
            rid = int(record_id)
        except (TypeError, ValueError):
            return None
        with self._read() as conn, conn.begin():
            row = conn.execute(select(audit_records).where(audit_records.c.id == rid)).first()
        return _row_to_record(row) if row is not None else None

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
                yield _row_to_record(row)
            last = rows[-1].id

    def export(self, flt: AuditFilter | None, fmt: str, out: str | os.PathLike | IO[str]) -> int:
        """Write the matching records, chronologically, as CSV or JSONL.

        In CSV, list and dict fields are JSON text, and cells starting with ``= + - @`` get a
        leading ``'`` so that spreadsheets do not run them as formulas.

        Args:
            flt: filters; None for all records.
            fmt: ``csv`` or ``jsonl``.
            out: a path or a text file object.

        Returns:
            The number of records written.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"onbekend exportformaat {fmt!r} (kies csv of jsonl)")
        if isinstance(out, (str, os.PathLike)):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            with open(out, "w", encoding="utf-8", newline="") as fh:
                return self._export_to(flt, fmt, fh)
        return self._export_to(flt, fmt, out)

    def _export_to(self, flt, fmt: str, fh: IO[str]) -> int:
        n = 0
        if fmt == "jsonl":
            for rec in self.iter_records(flt):
                fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
                n += 1
            return n
        writer = csv.writer(fh)
        writer.writerow(RECORD_FIELDS)
        for rec in self.iter_records(flt):
            writer.writerow([_csv_cell(rec[k]) for k in RECORD_FIELDS])
            n += 1
        return n

    # ---------------------------------------------------------------- verification

    def verify(self) -> VerifyResult:
        """Check the whole hash chain.

        Returns:
            A ``VerifyResult`` naming the first altered, missing, inserted or unlinked record.
        """
        c = audit_records.c
        with self._read() as conn, conn.begin():
            head = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash)
                                .where(audit_head.c.id == 1)).first()
            if head is None:
                return VerifyResult(False, 0, None, _problem("head", None, "de tabel audit_head is leeg"), "head")
            checkpoint = conn.execute(select(c.id, c.meta).where(c.kind == CHECKPOINT_KIND)
                                      .order_by(c.id.desc()).limit(1)).first()
            expected_id, expected_prev = 1, GENESIS_HASH
            if checkpoint is not None:
                try:
                    meta = json.loads(checkpoint.meta)
                    expected_id = int(meta["purged_through_id"]) + 1
                    expected_prev = str(meta["purged_last_hash"])
                except (ValueError, KeyError, TypeError):
                    return VerifyResult(False, 0, checkpoint.id,
                                        _problem("altered", checkpoint.id, "checkpointgegevens onleesbaar"),
                                        "altered")
            checked, last_id, last_hash = 0, expected_id - 1, expected_prev
            after = -(2**31)
            while True:
                rows = conn.execute(select(audit_records).where(c.id > after).order_by(c.id).limit(1000)).all()
                if not rows:
                    break
                for row in rows:
                    m = dict(row._mapping)
                    rid = int(m["id"])
                    if rid < expected_id:
                        return VerifyResult(False, checked, rid, _problem(
                            "inserted", rid, f"ligt voor het begin van de keten (verwacht vanaf record {expected_id})"),
                            "inserted", last_id)
                    if rid > expected_id:
                        gap = f"records {expected_id}-{rid - 1}" if rid - 1 > expected_id else f"record {expected_id}"
                        return VerifyResult(False, checked, expected_id, _problem(
                            "missing", expected_id, f"{gap} ontbreekt voor record {rid}"), "missing", last_id)
                    if record_hash(m) != m["hash"]:
                        return VerifyResult(False, checked, rid, _problem(
                            "altered", rid, "de inhoud klopt niet met de opgeslagen hash"), "altered", last_id)
                    if m["prev_hash"] != expected_prev:
                        return VerifyResult(False, checked, rid, _problem(
                            "broken_link", rid, "prev_hash verwijst niet naar het vorige record"),
                            "broken_link", last_id)
                    checked += 1
                    last_id, last_hash = rid, m["hash"]
                    expected_id, expected_prev = rid + 1, m["hash"]
                after = rows[-1].id
            head_id, head_hash = int(head.last_id), head.last_hash
            if last_id < head_id:
                gap = f"records {last_id + 1}-{head_id}" if head_id > last_id + 1 else f"record {head_id}"
                return VerifyResult(False, checked, last_id + 1, _problem(
                    "missing", last_id + 1, f"{gap} ontbreekt aan het eind van de keten"), "missing", last_id)
            if last_id > head_id:
                return VerifyResult(False, checked, head_id + 1, _problem(
                    "inserted", head_id + 1, f"staat na de kop van de keten (laatste geldige record {head_id})"),
                    "inserted", last_id)
            if last_hash != head_hash:
                return VerifyResult(False, checked, last_id or None, _problem(
                    "head", last_id or None, "de hash in audit_head klopt niet met het laatste record"),
                    "head", last_id)
        return VerifyResult(True, checked, None, None, None, last_id if checked else None)


class _NothingToPurge(Exception):
    """Internal: no record is older than the purge date (rolls the transaction back)."""


def _csv_cell(value: Any) -> str:
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


def records_to_jsonl(records: list[dict]) -> str:
    """JSONL text of records (UI download helper)."""
    buf = io.StringIO()
    for rec in records:
        buf.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return buf.getvalue()


__all__ = [
    "AuditError", "AuditFilter", "AuditLog", "VerifyResult", "REDACTION_FAILED", "RECORD_FIELDS",
    "check_reviewer", "canonical_json", "record_hash", "redact_text", "default_url", "records_to_jsonl",
]
