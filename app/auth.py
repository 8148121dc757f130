"""Logins for the Gradio app: a users file with salted, slow password hashes.

The users file is ``<data_dir>/users.json``::

    {"version": 1, "users": {"anna": {"role": "casemanager", "hash": "$argon2id$...", "created": "..."}}}

Passwords are hashed with argon2id (argon2-cffi; a random salt per hash, memory-hard). Only the
hash is stored. The role is bound to the login here, on the server: the UI looks it up for every
handler call and never takes it from anything the user sends.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.settings import ROLES

logger = logging.getLogger(__name__)

USERS_FILE = "users.json"
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 1024

_HASHER = PasswordHasher()  # argon2id, library defaults (t=3, m=64 MiB, p=4), 16-byte random salt
# A fixed hash to verify against for unknown users, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user could not be created or changed (invalid name, role or password, or a duplicate)."""


def users_path(data_dir: str | os.PathLike) -> Path:
    """Return the path of the users file in ``data_dir``."""
    return Path(data_dir) / USERS_FILE


class UserStore:
    """The users file: create users, verify passwords, look up roles.

    Reads are cached and refreshed when the file changes on disk, so ``tda users add`` takes effect
    in a running server without a restart.

    Args:
        path: Path of ``users.json`` (it need not exist yet).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: dict[str, dict] = {}
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike) -> UserStore:
        """Return the store for ``<data_dir>/users.json``."""
        return cls(users_path(data_dir))

    # -- reading -------------------------------------------------------------------------------
    def exists(self) -> bool:
        """Return True when the users file exists."""
        return self.path.is_file()

    def _users(self) -> dict[str, dict]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._cache, self._stamp = {}, None
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data.get("users", {}) if isinstance(data, dict) else {}
            if not isinstance(users, dict):
                raise ValueError(f"users file {self.path} is malformed")
            self._cache, self._stamp = users, stamp
        return self._cache

    def list_users(self) -> list[dict]:
        """Return ``[{"name", "role", "created"}]`` sorted by name (no hashes)."""
        with self._lock:
            users = self._users()
        return [{"name": n, "role": u.get("role"), "created": u.get("created", "")}
                for n, u in sorted(users.items())]

    def role_of(self, username: str | None) -> str | None:
        """Return the role bound to ``username``, or None for an unknown user."""
        if not username:
            return None
        with self._lock:
            user = self._users().get(username)
        role = user.get("role") if user else None
        return role if role in ROLES else None

    def verify(self, username: str, password: str) -> bool:
        """Check a login. Never raises on bad input; returns False instead."""
        if not isinstance(username, str) or not isinstance(password, str):
            return False
        if len(password) > MAX_PASSWORD_LEN:
            return False
        with self._lock:
            user = self._users().get(username)
        stored = user.get("hash") if user else None
        try:
            if not stored or user.get("role") not in ROLES:
                _HASHER.verify(_DUMMY_HASH, password + "x")  # equal cost for unknown users
                return False
            return _HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # -- writing -------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, *, replace: bool = False) -> None:
        """Create (or with ``replace`` overwrite) a login.

        Raises:
            UserError: invalid name, role or password, or the user exists and ``replace`` is False.
        """
        validate_username(username)
        if role not in ROLES:
            raise UserError(f"onbekende rol {role!r}; kies uit: {', '.join(ROLES)}")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD_LEN:
            raise UserError(f"wachtwoord moet minstens {MIN_PASSWORD_LEN} tekens hebben")
        if len(password) > MAX_PASSWORD_LEN:
            raise UserError("wachtwoord is te lang")
        digest = _HASHER.hash(password)
        with self._lock:
            users = dict(self._users())
            if username in users and not replace:
                raise UserError(f"gebruiker {username!r} bestaat al")
            users[username] = {"role": role, "hash": digest,
                               "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            self._write(users)
        logger.info("user saved", extra={"user": username, "role": role})

    def _write(self, users: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "users": users}, fh, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None  # re-read on the next access

    def ensure_initial_users(self, print_fn: Callable[[str], None] = print) -> dict[str, str]:
        """On the first start (no users file), create one login per role with a random password.

        Each password is passed to ``print_fn`` once and stored only as a hash.

        Returns:
            ``{username: password}`` of the created logins; empty when the file already existed.
        """
        if self.exists():
            return {}
        created: dict[str, str] = {}
        with self._lock:
            users: dict[str, dict] = {}
            for role in ROLES:
                password = secrets.token_urlsafe(12)
                users[role] = {"role": role, "hash": _HASHER.hash(password),
                               "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                created[role] = password
            self._write(users)
        print_fn("Eerste start: er zijn logins aangemaakt (wachtwoorden worden maar één keer getoond):")
        for name, password in created.items():
            print_fn(f"  gebruiker {name:<12} rol {users[name]['role']:<12} wachtwoord {password}")
        print_fn(f"Bewaar ze nu; in {self.path} staan alleen hashes. Meer logins: tda users add NAAM --role ROL")
        return created


def validate_username(username: str) -> None:
    """Raise :class:`UserError` unless ``username`` is 1-64 safe characters."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise UserError("ongeldige gebruikersnaam: 1-64 tekens, letters, cijfers en _ . @ -")


# Convenience functions over the users file of a data dir -----------------------------------------

def create_user(data_dir: str | os.PathLike, username: str, password: str, role: str,
                *, replace: bool = False) -> None:
    """Create a login in ``<data_dir>/users.json`` (see :meth:`UserStore.create_user`)."""
    UserStore.for_data_dir(data_dir).create_user(username, password, role, replace=replace)


def verify(data_dir: str | os.PathLike, username: str, password: str) -> bool:
    """Check a login against ``<data_dir>/users.json``."""
    return UserStore.for_data_dir(data_dir).verify(username, password)


def role_of(data_dir: str | os.PathLike, username: str) -> str | None:
    """Return the role of ``username`` in ``<data_dir>/users.json``."""
    return UserStore.for_data_dir(data_dir).role_of(username)


def ensure_initial_users(data_dir: str | os.PathLike,
                         print_fn: Callable[[str], None] = print) -> dict[str, str]:
    """Create the first logins if ``<data_dir>/users.json`` is missing (see :class:`UserStore`)."""
    return UserStore.for_data_dir(data_dir).ensure_initial_users(print_fn)
