"""The secret keys of the audit chain, kept outside the database.

Every record is MACed (HMAC-SHA256) with a secret key. Whoever can write the database but not read
the key cannot recompute the chain after changing, deleting or inserting records.

Where the keys live:
    ``<data_dir>/audit.key``, a 0600 JSON file created on the first start::

        {"version": 1, "active": "k3f9...", "keys": [{"id": "k3f9...", "key": "<hex>", "created": "..."}]}

    or ``TDA_AUDIT_KEY`` (hex, or any text of 16+ characters), which then is the active key;
    ``TDA_AUDIT_OLD_KEYS`` (comma-separated) holds retired environment keys for verification. With
    PostgreSQL the key still stays with the app (its data dir or environment), never in the database.

Key ids are derived from the key (``k`` + 15 hex digits of a SHA-256 over it), so a record names
the key that MACed it without revealing it, and a wrong key is told apart from an altered record.
Rotation (``tda audit rotate-key``) adds a new key to the file and makes it active; old keys stay to
verify the records they MACed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

KEY_FILE = "audit.key"
ENV_KEY = "TDA_AUDIT_KEY"
ENV_OLD_KEYS = "TDA_AUDIT_OLD_KEYS"
KEY_BYTES = 32
MIN_ENV_KEY_CHARS = 16


class AuditKeyError(RuntimeError):
    """The audit key file is unreadable or a key is unusable."""


def key_id(key: bytes) -> str:
    """The public id of ``key``: ``k`` + 15 hex digits of SHA-256 over a domain tag and the key."""
    return "k" + hashlib.sha256(b"tda-audit-key-id\0" + key).hexdigest()[:15]


def _env_key(text: str) -> bytes:
    text = text.strip()
    if len(text) < MIN_ENV_KEY_CHARS:
        raise AuditKeyError(f"{ENV_KEY} is te kort (minstens {MIN_ENV_KEY_CHARS} tekens)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8")


class KeyRing:
    """The audit keys available to this process: one active key (for new records) and older ones.

    Args:
        keys: ``{key_id: key bytes}``.
        active: id of the key new records are MACed with (None: read-only, nothing can be appended).
        path: the key file these came from (for rotation), if any.
    """

    def __init__(self, keys: Mapping[str, bytes], active: str | None, path: Path | None = None):
        self._keys = dict(keys)
        self.active = active
        self.path = path
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, data_dir: str | os.PathLike, *, environ: Mapping[str, str] | None = None,
             create: bool = True) -> KeyRing:
        """Keys from ``TDA_AUDIT_KEY``/``TDA_AUDIT_OLD_KEYS`` and ``<data_dir>/audit.key``.

        Args:
            data_dir: the app's data dir.
            environ: environment to read (default ``os.environ``).
            create: create the key file with a fresh random key when there is none and no
                environment key is set (first start). Verification passes False: it never writes.
        """
        env = os.environ if environ is None else environ
        path = Path(data_dir) / KEY_FILE
        keys: dict[str, bytes] = {}
        active = None
        if path.is_file():
            file_keys, active = _read_file(path)
            keys.update(file_keys)
        elif create and not env.get(ENV_KEY):
            key = secrets.token_bytes(KEY_BYTES)
            if _write_file(path, [_entry(key)], key_id(key), exclusive=True):
                keys, active = {key_id(key): key}, key_id(key)
            else:  # another process created it first: use that one, never a second key
                file_keys, active = _read_file(path)
                keys.update(file_keys)
        for text in (env.get(ENV_OLD_KEYS) or "").split(","):
            if text.strip():
                old = _env_key(text)
                keys[key_id(old)] = old
        if env.get(ENV_KEY):
            key = _env_key(env[ENV_KEY])
            keys[key_id(key)] = key
            active = key_id(key)
        return cls(keys, active, path if path.is_file() else None)

    # ---------------------------------------------------------------- use

    def has(self, kid: str | None) -> bool:
        """True when the key with id ``kid`` is available."""
        return kid in self._keys

    @property
    def ids(self) -> tuple[str, ...]:
        """Ids of every available key."""
        return tuple(self._keys)

    def mac(self, kid: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under key ``kid`` (hex).

        Raises:
            AuditKeyError: the key is not available.
        """
        key = self._keys.get(kid)
        if key is None:
            raise AuditKeyError(f"sleutel {kid} is niet beschikbaar")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def rotate(self) -> str:
        """Add a fresh random key to the key file and make it active; returns its id.

        Raises:
            AuditKeyError: the active key comes from the environment (rotate it there) or there is no
                key file.
        """
        with self._lock:
            if self.path is None:
                raise AuditKeyError("geen sleutelbestand om te roteren (gebruikt u TDA_AUDIT_KEY? wissel die dan)")
            file_keys, _ = _read_file(self.path)
            key = secrets.token_bytes(KEY_BYTES)
            entries = [_entry(k) for k in file_keys.values()] + [_entry(key)]
            _write_file(self.path, entries, key_id(key))
            self._keys[key_id(key)] = key
            self.active = key_id(key)
            return self.active


def _entry(key: bytes) -> dict:
    return {"id": key_id(key), "key": key.hex(),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _read_file(path: Path) -> tuple[dict[str, bytes], str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {}
        for e in data["keys"]:
            key = bytes.fromhex(e["key"])
            if key_id(key) != e["id"]:
                raise ValueError("key id does not match the key")
            keys[e["id"]] = key
        active = data.get("active")
        if active not in keys:
            raise ValueError("active key missing")
        return keys, active
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditKeyError(f"sleutelbestand {path} is onleesbaar ({type(exc).__name__})") from exc


def _write_file(path: Path, entries: list[dict], active: str, *, exclusive: bool = False) -> bool:
    """Write the key file atomically with mode 0600 (a temp file in the same dir, then rename).

    With ``exclusive`` the file is only created, never replaced (a hard link fails when it exists),
    so two processes starting at once agree on one key. Returns False when it already existed.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "active": active, "keys": entries}, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        if not exclusive:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)
        return True
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
