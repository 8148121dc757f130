"""The keyed hash chain and its anchor outside the database, and the read-only verification.

Chain:
    Each record stores ``key_id``, ``prev_hash`` (the previous record's MAC) and ``hash`` =
    HMAC-SHA256, under the key ``key_id`` names, of the canonical JSON (sorted keys, no
    whitespace) of all its stored columns except ``hash`` itself. Changing a record, deleting one
    in the middle or inserting one breaks a MAC or a link, and without the key nobody can
    recompute them.

Anchor:
    Deleting the newest records, or everything, leaves a chain that links up. So after every append
    the app writes an anchor outside the database (``<data_dir>/audit.anchor.json``, 0600, written
    atomically, MACed with the active key): the last id and its MAC, the record count, and the first
    record of the current chain segment (record 1, or the latest retention checkpoint). The anchor
    only moves forward: an append that finds the anchor ahead of the database does not overwrite it.
    ``tda audit anchor --out FILE`` exports it (to a place the database's users cannot write), and
    ``tda audit verify --anchor FILE`` checks the log against such an export.

Damage kinds named by :func:`verify_rows`:
    ``altered`` (a MAC does not match), ``missing`` (a gap in the ids), ``inserted`` (a record
    before the chain's start or after its head), ``broken_link`` (``prev_hash`` does not point at the
    previous record), ``head`` (the head row disagrees), ``truncated`` (records after the last good
    one were removed), ``reset`` (the chain was emptied or started again), ``wrong_key`` (the key
    that MACed a record or the anchor is not available), ``anchor`` (no anchor, or the anchor was
    altered).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.audit.keys import KeyRing
from app.audit.schema import GENESIS_HASH, HASHED_COLUMNS, canonical_json

logger = logging.getLogger(__name__)

ANCHOR_FILE = "audit.anchor.json"


def record_mac(row: dict, keys: KeyRing) -> str:
    """The MAC of a stored record under the key its ``key_id`` names.

    Raises:
        app.audit.keys.AuditKeyError: that key is not available.
    """
    content = {name: row.get(name) for name in HASHED_COLUMNS}
    return keys.mac(row["key_id"], canonical_json(content).encode("utf-8"))


# ------------------------------------------------------------------------------------------ anchor

@dataclass
class Anchor:
    """What the app last committed: enough to notice truncation and resets.

    Attributes:
        last_id: id of the newest record (0 for an empty log).
        head: that record's MAC (``GENESIS_HASH`` for an empty log).
        count: number of records in the log.
        first_id: first record of the current chain segment (1, or the latest checkpoint's id).
        first_mac: that record's MAC.
        key_id: key the anchor itself is MACed with.
        mac: the anchor's MAC over all other fields.
    """

    last_id: int = 0
    head: str = GENESIS_HASH
    count: int = 0
    first_id: int = 0
    first_mac: str = GENESIS_HASH
    key_id: str = ""
    mac: str = ""

    def _content(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k != "mac"}
        return canonical_json(body).encode("utf-8")

    def sealed(self, keys: KeyRing) -> Anchor:
        """A copy MACed with the active key."""
        a = Anchor(**{**asdict(self), "key_id": keys.active or "", "mac": ""})
        a.mac = keys.mac(a.key_id, a._content())
        return a

    def check(self, keys: KeyRing) -> str | None:
        """None when the anchor's MAC is valid; else ``wrong_key`` or ``anchor``."""
        if not keys.has(self.key_id):
            return "wrong_key"
        return None if keys.mac(self.key_id, self._content()) == self.mac else "anchor"

    def to_json(self) -> str:
        """The anchor as JSON text (the file format and the export)."""
        return json.dumps({"version": 1, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Parse an anchor; raises ``ValueError`` on anything malformed."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("not an audit anchor")
        try:
            return cls(last_id=int(data["last_id"]), head=str(data["head"]), count=int(data["count"]),
                       first_id=int(data["first_id"]), first_mac=str(data["first_mac"]),
                       key_id=str(data["key_id"]), mac=str(data["mac"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"anchor field missing ({exc})") from exc


def anchor_path(data_dir: str | os.PathLike, url: str, default_url: str) -> Path:
    """The anchor file of the log at ``url``: ``audit.anchor.json``, or one per other database."""
    if url == default_url:
        return Path(data_dir) / ANCHOR_FILE
    return Path(data_dir) / f"audit-{hashlib.sha256(url.encode()).hexdigest()[:12]}.anchor.json"


class AnchorFile:
    """The anchor on disk: read it, and move it forward atomically (never backwards).

    Appends from several processes are serialised by an exclusive ``flock`` on a lock file next to
    the anchor; the anchor is replaced by renaming a fully written 0600 temp file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self) -> Anchor | None:
        """The stored anchor, None when there is none.

        Raises:
            ValueError: the file exists but is not an anchor.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return Anchor.from_json(text)

    def advance(self, anchor: Anchor, keys: KeyRing) -> bool:
        """Store ``anchor`` unless the stored one is further along; True when written."""
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = self.read()
            except ValueError:
                current = None
            if current is not None and current.last_id > anchor.last_id:
                logger.error("audit: anchor (record %d) is ahead of the database (record %d); not moved back",
                             current.last_id, anchor.last_id)
                return False
            self._write(anchor.sealed(keys).to_json())
            return True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, text: str) -> None:
        tmp_fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".anchor.", suffix=".tmp")
        try:
            os.fchmod(tmp_fd, 0o600)
            with os.fdopen(tmp_fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# ------------------------------------------------------------------------------------ verification

_PROBLEM_NL = {
    "altered": "gewijzigd",
    "missing": "ontbreekt",
    "inserted": "ingevoegd",
    "broken_link": "schakel verbroken",
    "head": "kop van de keten klopt niet",
    "truncated": "ingekort",
    "reset": "opnieuw begonnen of leeggemaakt",
    "wrong_key": "verkeerde of ontbrekende sleutel",
    "anchor": "anker ontbreekt of is gewijzigd",
}
DAMAGE_KINDS = tuple(_PROBLEM_NL)


def problem_text(kind: str, record_id: int | None, detail: str) -> str:
    """Dutch description of one kind of damage (with the English kind in parentheses)."""
    where = f"Record {record_id}" if record_id is not None else "Auditlog"
    return f"{where}: {_PROBLEM_NL[kind]} ({kind}) - {detail}"


@dataclass
class VerifyResult:
    """Outcome of a verification.

    Attributes:
        ok: True when the whole chain is intact and matches the anchor(s).
        checked: number of records whose MAC and link were checked before stopping.
        first_bad: id of the first broken, altered, missing or inserted record, else None.
        problem: Dutch message (with the English kind) naming the record and what is wrong.
        kind: one of :data:`DAMAGE_KINDS` (None when ok).
        last_id: id of the last record checked.
        anchored_id: the anchor's last id (None without an anchor).
        unanchored: records after the anchor (a crash between commit and anchor write leaves 1).
        notes: further Dutch remarks that are not damage.
    """

    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str | None = None
    kind: str | None = None
    last_id: int | None = None
    anchored_id: int | None = None
    unanchored: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain dict (``tda audit verify --json``, UI)."""
        return asdict(self)


def _fail(kind: str, checked: int, record_id: int | None, detail: str, last_id: int | None) -> VerifyResult:
    return VerifyResult(False, checked, record_id, problem_text(kind, record_id, detail), kind, last_id)


def verify_rows(rows: Iterable[dict], *, keys: KeyRing, head: tuple[int, str] | None,
                start: tuple[int, str], anchors: Iterable[tuple[str, Anchor | None]] = ()) -> VerifyResult:
    """Check a chain segment, the head row and the anchors. Pure: reads nothing, writes nothing.

    Args:
        rows: the stored records from the segment's start on, by ascending id (dicts of columns).
        keys: the available keys.
        head: ``(last_id, last_hash)`` of the head row, None when it is missing.
        start: ``(expected first id, expected prev_hash)`` of the segment.
        anchors: ``(label, anchor or None)`` pairs to check the chain against; None means the
            anchor file is missing.
    """
    expected_id, expected_prev = start
    checked, last_id, last_hash = 0, expected_id - 1, expected_prev
    first: tuple[int, str] | None = None
    mac_at: dict[int, str] = {}
    anchors = list(anchors)
    wanted = {a.last_id for _, a in anchors if a is not None} | {a.first_id for _, a in anchors if a is not None}
    head_id = head[0] if head is not None else None
    for m in rows:
        rid = int(m["id"])
        if head_id is not None and rid > head_id:
            return _fail("inserted", checked, rid,
                         f"staat na de kop van de keten (laatste geldige record {head_id})", last_id)
        if rid < expected_id:
            return _fail("inserted", checked, rid,
                         f"ligt voor het begin van de keten (verwacht vanaf record {expected_id})", last_id)
        if rid > expected_id:
            gap = f"records {expected_id}-{rid - 1}" if rid - 1 > expected_id else f"record {expected_id}"
            return _fail("missing", checked, expected_id, f"{gap} ontbreekt voor record {rid}", last_id)
        if not keys.has(m.get("key_id")):
            return _fail("wrong_key", checked, rid,
                         f"de sleutel {m.get('key_id') or '(geen)'} waarmee dit record is beveiligd is niet "
                         "beschikbaar", last_id)
        if record_mac(m, keys) != m["hash"]:
            return _fail("altered", checked, rid, "de inhoud klopt niet met de opgeslagen MAC", last_id)
        if m["prev_hash"] != expected_prev:
            return _fail("broken_link", checked, rid, "prev_hash verwijst niet naar het vorige record", last_id)
        if first is None:
            first = (rid, m["hash"])
        if rid in wanted:
            mac_at[rid] = m["hash"]
        checked += 1
        last_id, last_hash = rid, m["hash"]
        expected_id, expected_prev = rid + 1, m["hash"]
    if head is None:
        if checked:
            return _fail("head", checked, None, "de kop van de keten (audit_head) ontbreekt", last_id)
    else:
        head_id, head_hash = head
        if last_id < head_id:
            gap = f"records {last_id + 1}-{head_id}" if head_id > last_id + 1 else f"record {head_id}"
            return _fail("missing", checked, last_id + 1, f"{gap} ontbreekt aan het eind van de keten", last_id)
        if last_id > head_id:
            return _fail("inserted", checked, head_id + 1,
                         f"staat na de kop van de keten (laatste geldige record {head_id})", last_id)
        if last_hash != head_hash:
            return _fail("head", checked, last_id or None,
                         "de MAC in audit_head klopt niet met het laatste record", last_id)
    result = VerifyResult(True, checked, None, None, None, last_id if checked else None)
    for label, anchor in anchors:
        bad = _check_anchor(label, anchor, keys=keys, checked=checked, last_id=last_id, first=first,
                            mac_at=mac_at, start=start)
        if bad is not None:
            return bad
        if anchor is not None:
            result.anchored_id = anchor.last_id if result.anchored_id is None else result.anchored_id
            result.unanchored = max(result.unanchored, last_id - anchor.last_id) if checked else 0
    if result.unanchored > 1:
        result.notes.append(f"{result.unanchored} records staan na het anker (een onderbroken schrijfactie laat er "
                            "hoogstens een paar achter)")
    return result


def _check_anchor(label: str, anchor: Anchor | None, *, keys: KeyRing, checked: int, last_id: int,
                  first: tuple[int, str] | None, mac_at: dict[int, str], start: tuple[int, str]) -> VerifyResult | None:
    if anchor is None:
        if checked:
            return _fail("anchor", checked, None, f"{label} ontbreekt terwijl het log records bevat; inkorten of "
                         "leegmaken is zo niet uit te sluiten", last_id)
        return None
    seal = anchor.check(keys)
    if seal == "wrong_key":
        return _fail("wrong_key", checked, None, f"{label} is beveiligd met sleutel {anchor.key_id}, die niet "
                     "beschikbaar is", last_id or None)
    if seal == "anchor":
        return _fail("anchor", checked, None, f"{label} is gewijzigd (de MAC klopt niet)", last_id or None)
    if anchor.last_id == 0:
        return None
    if not checked:
        return _fail("reset", 0, None, f"het log is leeg, maar {label} telt {anchor.count} records tot en met "
                     f"record {anchor.last_id}", None)
    if first is not None and anchor.first_id >= first[0] and anchor.first_id in mac_at \
            and mac_at[anchor.first_id] != anchor.first_mac:
        return _fail("reset", checked, anchor.first_id, f"de keten is opnieuw begonnen: record {anchor.first_id} "
                     f"is niet het record dat {label} kent", last_id)
    if last_id < anchor.last_id:
        return _fail("truncated", checked, last_id + 1, f"records {last_id + 1}-{anchor.last_id} zijn verwijderd "
                     f"({label} eindigt bij record {anchor.last_id})", last_id)
    if anchor.last_id < start[0]:
        return None  # purged since this anchor was taken: the checkpoint vouches for the prefix
    if mac_at.get(anchor.last_id) != anchor.head:
        return _fail("reset", checked, anchor.last_id, f"record {anchor.last_id} is niet het record dat {label} "
                     "kent: de keten is herschreven", last_id)
    return None
