"""Login throttling: growing delays, then a lockout, keyed by user name and by client address.

Three pieces, used by the Gradio auth callback in :mod:`app.ui.login`:

* :class:`LoginThrottle` keeps failure counts per user name and per client address (thread-safe,
  bounded memory). After ``delay_after`` failures within ``window_s`` every further attempt waits
  longer; after ``lock_after`` failures the key is locked for ``lockout_s``. A login is throttled
  when either its user name or its client address is. Unknown user names count like real ones.
  Nothing derived from a password is ever stored.
* :class:`LoginGuard` runs one login: asks the throttle, sleeps the delay with ``asyncio.sleep``
  (the event loop keeps serving), runs the slow argon2 check in a small dedicated thread pool
  (never on the event loop), records the result and logs every failure as one line on the
  ``tda.auth`` logger.
* :class:`ClientAddressMiddleware` is a pure ASGI middleware that puts the socket peer address of
  the current request in a context variable, because Gradio does not pass the request to its auth
  callable. :func:`distrust_proxy_headers` keeps uvicorn from replacing that address with the
  ``X-Forwarded-For`` header of a loopback peer.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

logger = logging.getLogger("tda.auth")

DELAY_AFTER = 5
LOCK_AFTER = 10
LOCKOUT_S = 15 * 60.0
WINDOW_S = 15 * 60.0
BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
MAX_KEYS = 10_000
MAX_KEY_LEN = 128           # longer user names cannot exist (USERNAME_RE allows 64); cut the key
MAX_WORKERS = 8             # argon2id uses 64 MiB per check: bound the memory of a login flood

_SAFE_USER_RE = re.compile(r"[^A-Za-z0-9_.@-]")   # the characters of app.auth.USERNAME_RE
_SAFE_CLIENT_RE = re.compile(r"[^0-9A-Za-z:.\-\[\]%]")


# -- decisions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """What to do with a login attempt.

    Attributes:
        action: ``"allow"`` (check the password now), ``"delay"`` (wait ``seconds`` first) or
            ``"locked"`` (refuse without checking; ``seconds`` until the lockout ends).
        seconds: The delay or the remaining lockout, in seconds (0 for ``"allow"``).
        scope: What caused a delay or lockout: ``"user"``, ``"client"`` or ``"user+client"``.
    """

    action: str = "allow"
    seconds: float = 0.0
    scope: str = ""

    @property
    def allowed(self) -> bool:
        """True when the password may be checked right away."""
        return self.action == "allow"

    @property
    def locked(self) -> bool:
        """True when the attempt must be refused without checking the password."""
        return self.action == "locked"

    @property
    def delay(self) -> float:
        """Seconds to wait before checking the password (0 unless ``action == "delay"``)."""
        return self.seconds if self.action == "delay" else 0.0


@dataclass(frozen=True)
class Failure:
    """The counts after a recorded failure.

    Attributes:
        failures: Failures of the user name within the window (0 right after its lockout started).
        client_failures: Failures of the client address within the window (None without an address).
        locked: What this failure locked: ``()``, ``("user",)``, ``("client",)`` or both.
        lockout_s: Length of a lockout that started now.
    """

    failures: int
    client_failures: int | None
    locked: tuple[str, ...] = ()
    lockout_s: float = 0.0


@dataclass
class _Entry:
    failures: deque = field(default_factory=deque)
    locked_until: float = 0.0
    touched: float = 0.0


class LoginThrottle:
    """Failure counts per user name and per client address, with delays and lockouts.

    Thread-safe. Memory is bounded: at most ``max_keys`` user names and ``max_keys`` client
    addresses are tracked; when a table is full, expired entries go first, then the least
    recently failed one (so a flood of made-up names can push out an old lockout, but never grows
    memory).

    Args:
        delay_after: Failures after which every attempt is delayed.
        lock_after: Failures after which the key is locked (the counts are then cleared, so after
            the lockout the key starts fresh).
        lockout_s: Length of a lockout in seconds.
        base_delay: Delay after ``delay_after`` failures; it doubles with every further failure.
        max_delay: Upper bound of a delay.
        window_s: Failures older than this no longer count.
        max_keys: Maximum number of tracked user names (and, separately, client addresses).
        clock: Monotonic clock in seconds (injectable for tests).
    """

    def __init__(self, *, delay_after: int = DELAY_AFTER, lock_after: int = LOCK_AFTER,
                 lockout_s: float = LOCKOUT_S, base_delay: float = BASE_DELAY_S,
                 max_delay: float = MAX_DELAY_S, window_s: float = WINDOW_S, max_keys: int = MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic):
        if lock_after < 1 or delay_after < 1 or max_keys < 1:
            raise ValueError("delay_after, lock_after and max_keys must be at least 1")
        if lockout_s < 0 or base_delay < 0 or max_delay < 0 or window_s <= 0:
            raise ValueError("durations must not be negative (window_s > 0)")
        self.delay_after = delay_after
        self.lock_after = lock_after
        self.lockout_s = float(lockout_s)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.window_s = float(window_s)
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._users: OrderedDict[str, _Entry] = OrderedDict()
        self._clients: OrderedDict[str, _Entry] = OrderedDict()

    # -- keys ------------------------------------------------------------------------------------
    @staticmethod
    def _user_key(user) -> str:
        return user[:MAX_KEY_LEN] if isinstance(user, str) else ""

    @staticmethod
    def _client_key(client) -> str | None:
        return client[:MAX_KEY_LEN] if isinstance(client, str) and client else None

    # -- per entry -------------------------------------------------------------------------------
    def _count(self, entry: _Entry, now: float) -> int:
        while entry.failures and now - entry.failures[0] >= self.window_s:
            entry.failures.popleft()
        return len(entry.failures)

    def _judge(self, entry: _Entry | None, now: float) -> tuple[float, float]:
        """Return ``(remaining lockout, delay)`` of one entry."""
        if entry is None:
            return 0.0, 0.0
        if entry.locked_until > now:
            return entry.locked_until - now, 0.0
        n = self._count(entry, now)
        if n < self.delay_after:
            return 0.0, 0.0
        return 0.0, min(self.max_delay, self.base_delay * 2.0 ** min(n - self.delay_after, 32))

    def _dead(self, entry: _Entry, now: float) -> bool:
        return entry.locked_until <= now and now - entry.touched >= self.window_s

    def _entry(self, table: OrderedDict[str, _Entry], key: str, now: float) -> _Entry:
        entry = table.get(key)
        if entry is not None:
            table.move_to_end(key)
            return entry
        # Entries are ordered by their last failure, so the expired ones are at the front.
        while table and self._dead(next(iter(table.values())), now):
            table.popitem(last=False)
        while len(table) >= self.max_keys:
            table.popitem(last=False)
        entry = table[key] = _Entry(failures=deque(maxlen=self.lock_after))
        return entry

    def _fail(self, table: OrderedDict[str, _Entry], key: str, now: float) -> tuple[int, bool]:
        entry = self._entry(table, key, now)
        entry.touched = now
        if entry.locked_until > now:       # a check that was already running when the lock began
            return self._count(entry, now), False
        entry.failures.append(now)
        n = self._count(entry, now)
        if n >= self.lock_after:
            entry.locked_until = now + self.lockout_s
            entry.failures.clear()
            return n, True
        return n, False

    # -- public ----------------------------------------------------------------------------------
    def check(self, user: str, client: str | None) -> Decision:
        """Decide about an attempt for ``user`` from ``client`` (None: no client address known)."""
        now = self.clock()
        with self._lock:
            u_lock, u_delay = self._judge(self._users.get(self._user_key(user)), now)
            ckey = self._client_key(client)
            c_lock, c_delay = self._judge(self._clients.get(ckey) if ckey else None, now)
        if u_lock or c_lock:
            return Decision("locked", max(u_lock, c_lock), _scope(u_lock > 0, c_lock > 0))
        if u_delay or c_delay:
            return Decision("delay", max(u_delay, c_delay), _scope(u_delay > 0, c_delay > 0))
        return Decision()

    def failure(self, user: str, client: str | None) -> Failure:
        """Record a failed attempt for ``user`` (known or not) from ``client``."""
        now = self.clock()
        locked: list[str] = []
        with self._lock:
            n, lock = self._fail(self._users, self._user_key(user), now)
            if lock:
                locked.append("user")
            ckey = self._client_key(client)
            m = None
            if ckey:
                m, lock = self._fail(self._clients, ckey, now)
                if lock:
                    locked.append("client")
        return Failure(n, m, tuple(locked), self.lockout_s if locked else 0.0)

    def success(self, user: str, client: str | None) -> None:
        """Forget the failures (and any lockout) of ``user`` and of ``client`` after a good login."""
        with self._lock:
            self._users.pop(self._user_key(user), None)
            ckey = self._client_key(client)
            if ckey:
                self._clients.pop(ckey, None)

    def client_locked(self, client: str | None) -> float:
        """Seconds until the lockout of ``client`` ends (0 when it is not locked)."""
        ckey = self._client_key(client)
        if not ckey:
            return 0.0
        now = self.clock()
        with self._lock:
            return self._judge(self._clients.get(ckey), now)[0]

    def tracked(self) -> tuple[int, int]:
        """Return ``(user names, client addresses)`` currently tracked."""
        with self._lock:
            return len(self._users), len(self._clients)


def _scope(user: bool, client: bool) -> str:
    return "user+client" if user and client else ("user" if user else "client")


# -- messages and log values ----------------------------------------------------------------------

def minutes_text(seconds: float) -> str:
    """``"1 minuut"`` / ``"15 minuten"``: the remaining time rounded up to whole minutes."""
    n = max(1, math.ceil(seconds / 60.0))
    return "1 minuut" if n == 1 else f"{n} minuten"


def lockout_message(seconds: float) -> str:
    """The Dutch message for a refused login during a lockout."""
    return f"Te veel mislukte inlogpogingen. Probeer het over {minutes_text(seconds)} opnieuw."


def log_user(user) -> str:
    """A user name safe for one log line: only USERNAME_RE characters (others '?'), at most 64."""
    if not isinstance(user, str) or not user:
        return "<empty>" if isinstance(user, str) else "<none>"
    return _SAFE_USER_RE.sub("?", user[:64])


def log_client(client) -> str:
    """A client address safe for one log line."""
    if not isinstance(client, str) or not client:
        return "<unknown>"
    return _SAFE_CLIENT_RE.sub("?", client[:64])


# -- running a login ------------------------------------------------------------------------------

class LoginLocked(Exception):
    """A login refused because its user name or client address is locked out."""

    def __init__(self, retry_after: float, scope: str = ""):
        super().__init__(lockout_message(retry_after))
        self.retry_after = retry_after
        self.scope = scope


def default_workers() -> int:
    """Threads for password checks: the usable cores, at most :data:`MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def _lower_priority() -> None:
    """Pool initializer: run password checks at nice +10 (Linux: per thread, inherited by argon2's
    own threads), so a login flood cannot starve the event loop of CPU. Best effort."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + 10))
    except (AttributeError, OSError):
        pass


class LoginGuard:
    """Run logins through a :class:`LoginThrottle`, checking passwords off the event loop.

    ``await guard.login(user, password, client)`` returns True/False or raises
    :class:`LoginLocked`. The throttle is asked on the event loop (cheap) and again in the
    worker thread right before the check, so at most ``workers`` attempts are between "allowed"
    and "recorded" at any time: parallel attempts cannot slip past the limits in a burst.
    The password goes only to ``verify``; it is never logged or stored.

    Args:
        verify: ``verify(user, password) -> bool`` (slow; runs in the pool).
        throttle: The throttle (default: :class:`LoginThrottle` with the default limits).
        workers: Threads of the dedicated pool (default :func:`default_workers`).
    """

    def __init__(self, verify: Callable[[str, str], bool], throttle: LoginThrottle | None = None,
                 *, workers: int | None = None):
        self.verify = verify
        self.throttle = throttle if throttle is not None else LoginThrottle()
        self.workers = workers or default_workers()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tda-login",
                                                initializer=_lower_priority)
            return self._pool

    def close(self) -> None:
        """Shut the thread pool down (a later login starts a new one)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def login(self, user: str, password: str, client: str | None) -> bool:
        """Check one login; sleeps the throttle's delay first (without blocking the loop)."""
        loop = asyncio.get_running_loop()
        waited = 0.0
        while True:
            decision = self.throttle.check(user, client)
            if decision.locked:
                raise self._refusal(user, client, decision)
            if decision.delay > waited:
                await asyncio.sleep(decision.delay - waited)
                waited = decision.delay
                continue
            result = await loop.run_in_executor(self._executor(), self._attempt,
                                                user, password, client, waited)
            if result is not None:
                return result
            # More failures were recorded while this attempt was queued: wait the longer delay.

    def _attempt(self, user: str, password: str, client: str | None, waited: float) -> bool | None:
        """In a worker thread: re-check the throttle, verify, record and log. None: wait longer."""
        decision = self.throttle.check(user, client)
        if decision.locked:
            raise self._refusal(user, client, decision)
        if decision.delay > waited:
            return None
        ok = bool(self.verify(user, password))
        if ok:
            self.throttle.success(user, client)
            logger.info("login ok user=%s client=%s", log_user(user), log_client(client))
            return True
        failure = self.throttle.failure(user, client)
        logger.warning("login failed user=%s client=%s failures=%d client_failures=%s",
                       log_user(user), log_client(client), failure.failures,
                       "-" if failure.client_failures is None else failure.client_failures)
        if failure.locked:
            logger.warning("login lockout started user=%s client=%s scope=%s seconds=%d",
                           log_user(user), log_client(client), "+".join(failure.locked),
                           round(failure.lockout_s))
        return False

    @staticmethod
    def _refusal(user: str, client: str | None, decision: Decision) -> LoginLocked:
        """Log a login refused during a lockout (it counts as a failed login) and return the error."""
        logger.warning("login failed user=%s client=%s locked=%s retry_after=%d",
                       log_user(user), log_client(client), decision.scope, math.ceil(decision.seconds))
        return LoginLocked(decision.seconds, decision.scope)


# -- the client address of the current request ----------------------------------------------------

_CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("tda_client_address", default=None)


def current_client() -> str | None:
    """The peer address of the request being handled (None outside :class:`ClientAddressMiddleware`)."""
    return _CLIENT.get()


class ClientAddressMiddleware:
    """Pure ASGI middleware: make the peer address of each request available to the auth callback.

    Gradio calls its auth callable with only ``(username, password)``; the callable runs in the
    same task as the request, so a context variable set here is visible there (and in worker
    threads started with ``run_in_threadpool``). The address is ``scope["client"]``, which uvicorn
    fills from the socket; see :func:`distrust_proxy_headers`.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        token = _CLIENT.set(str(peer[0]) if peer and peer[0] else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _CLIENT.reset(token)


def distrust_proxy_headers() -> None:
    """Keep uvicorn from taking the client address from ``X-Forwarded-For``.

    uvicorn (as started by ``Blocks.launch``) trusts ``X-Forwarded-For`` from loopback peers
    unless ``FORWARDED_ALLOW_IPS`` says otherwise; any local process could then pick a new
    address per request and dodge the per-client limits. An empty ``FORWARDED_ALLOW_IPS`` trusts
    nobody, so the address is the socket peer. An operator who sets ``FORWARDED_ALLOW_IPS`` to the
    address of a trusted reverse proxy keeps that choice. Call before ``launch``.
    """
    os.environ.setdefault("FORWARDED_ALLOW_IPS", "")
