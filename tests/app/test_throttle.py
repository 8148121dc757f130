"""Login throttling: delays and lockouts per user and per client, password checks off the event
loop, one log line per failed login, and the same code path in a real running Gradio server.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import statistics
import threading
import time

import httpx
import pytest

from app.auth import UserStore
from app.throttle import (
    ClientAddressMiddleware,
    LoginGuard,
    LoginLocked,
    LoginThrottle,
    current_client,
    lockout_message,
    log_user,
)
from app.ui import TdaUI

PASSWORD = "juist-wachtwoord-42"
WRONG = "Fout!Geheim#Wachtwoord-987"


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s


def fail(throttle: LoginThrottle, n: int, user: str = "anna", client: str | None = "10.0.0.1") -> None:
    for _ in range(n):
        throttle.failure(user, client)


def tda_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tda.auth"]


# -- LoginThrottle --------------------------------------------------------------------------------

def test_first_failures_are_free_then_the_delay_grows():
    clock = FakeClock()
    t = LoginThrottle(clock=clock, base_delay=1.0, max_delay=30.0)
    for _ in range(4):
        t.failure("anna", "10.0.0.1")
        assert t.check("anna", "10.0.0.1").allowed
    delays = []
    for _ in range(5):  # failures 5..9
        t.failure("anna", "10.0.0.1")
        d = t.check("anna", "10.0.0.1")
        assert d.action == "delay" and not d.locked
        delays.append(d.delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_delay_is_capped():
    t = LoginThrottle(clock=FakeClock(), delay_after=1, lock_after=50, base_delay=1.0, max_delay=5.0)
    fail(t, 40)
    assert t.check("anna", "10.0.0.1").delay == 5.0


def test_ten_failures_lock_for_fifteen_minutes_then_unlock():
    clock = FakeClock()
    t = LoginThrottle(clock=clock)
    fail(t, 9)
    assert not t.check("anna", "10.0.0.1").locked
    result = t.failure("anna", "10.0.0.1")
    assert result.locked == ("user", "client") and result.failures == 10
    d = t.check("anna", "10.0.0.1")
    assert d.locked and d.scope == "user+client" and d.seconds == pytest.approx(900)
    clock.advance(14 * 60)
    d = t.check("anna", "10.0.0.1")
    assert d.locked and d.seconds == pytest.approx(60)
    clock.advance(61)
    assert t.check("anna", "10.0.0.1").allowed, "after 15 minutes the key starts fresh"
    t.failure("anna", "10.0.0.1")
    assert t.check("anna", "10.0.0.1").allowed


def test_failures_expire_after_the_window():
    clock = FakeClock()
    t = LoginThrottle(clock=clock, window_s=900)
    fail(t, 6)
    assert t.check("anna", "10.0.0.1").action == "delay"
    clock.advance(901)
    assert t.check("anna", "10.0.0.1").allowed
    fail(t, 9)  # the old six no longer count: nine is not yet a lockout
    assert not t.check("anna", "10.0.0.1").locked


def test_success_resets_user_and_client():
    t = LoginThrottle(clock=FakeClock())
    fail(t, 7)
    assert t.check("anna", "10.0.0.1").action == "delay"
    t.success("anna", "10.0.0.1")
    assert t.check("anna", "10.0.0.1").allowed
    assert t.check("bob", "10.0.0.1").allowed
    assert t.tracked() == (0, 0)


def test_client_is_locked_across_user_names():
    t = LoginThrottle(clock=FakeClock())
    for i in range(10):
        t.failure(f"gok-{i}", "10.0.0.66")
    d = t.check("anna", "10.0.0.66")
    assert d.locked and d.scope == "client"
    assert t.client_locked("10.0.0.66") == pytest.approx(900)
    assert t.check("anna", "10.0.0.1").allowed, "anna from another address is not affected"


def test_user_is_locked_across_client_addresses():
    t = LoginThrottle(clock=FakeClock())
    for i in range(10):
        t.failure("anna", f"10.0.1.{i}")
    d = t.check("anna", "10.0.2.1")
    assert d.locked and d.scope == "user"
    assert t.check("bob", "10.0.2.1").allowed


def test_unknown_client_uses_the_user_limits_only():
    t = LoginThrottle(clock=FakeClock())
    fail(t, 10, client=None)
    assert t.check("anna", None).locked
    assert t.tracked() == (1, 0)


def test_memory_is_bounded_and_expired_entries_go_first():
    clock = FakeClock()
    t = LoginThrottle(clock=clock, max_keys=50)
    for i in range(10):
        t.failure("anna", f"10.0.0.{i}")  # anna: locked
    for i in range(1000):
        t.failure(f"naam-{i}", "10.9.9.9")
    users, clients = t.tracked()
    assert users <= 50 and clients <= 50
    # Expired entries are dropped before live ones.
    t2 = LoginThrottle(clock=clock, max_keys=3)
    t2.failure("oud", None)
    clock.advance(901)
    t2.failure("a", None)
    t2.failure("b", None)
    t2.failure("c", None)  # table full: "oud" (expired) goes, a and b stay
    assert t2.tracked() == (3, 0)
    fail(t2, 9, user="a", client=None)
    assert t2.check("a", None).locked


def test_throttle_never_sees_the_password():
    t = LoginThrottle(clock=FakeClock())
    guard = LoginGuard(lambda u, p: False, t, workers=1)
    try:
        asyncio.run(guard.login("anna", WRONG, "10.0.0.1"))
    finally:
        guard.close()
    state = repr(t.__dict__) + repr(list(t._users.items())) + repr(list(t._clients.items()))
    assert WRONG not in state


def test_bad_limits_are_rejected():
    with pytest.raises(ValueError):
        LoginThrottle(lock_after=0)
    with pytest.raises(ValueError):
        LoginThrottle(window_s=0)


def test_dutch_lockout_message():
    assert lockout_message(900) == "Te veel mislukte inlogpogingen. Probeer het over 15 minuten opnieuw."
    assert lockout_message(61) == "Te veel mislukte inlogpogingen. Probeer het over 2 minuten opnieuw."
    assert lockout_message(5) == "Te veel mislukte inlogpogingen. Probeer het over 1 minuut opnieuw."


# -- LoginGuard: logging, thread pool, delays -----------------------------------------------------

def test_failed_login_is_one_log_line_with_user_and_client_never_the_password(caplog):
    guard = LoginGuard(lambda u, p: False, LoginThrottle(clock=FakeClock()), workers=1)
    caplog.set_level(logging.INFO, logger="tda.auth")
    try:
        assert asyncio.run(guard.login("anna", WRONG, "192.0.2.7")) is False
    finally:
        guard.close()
    lines = tda_lines(caplog)
    assert len(lines) == 1
    rec = lines[0]
    msg = rec.getMessage()
    assert rec.levelno == logging.WARNING and rec.exc_info is None and "\n" not in msg
    assert msg == "login failed user=anna client=192.0.2.7 failures=1 client_failures=1"
    assert WRONG not in caplog.text


def test_log_user_name_is_sanitised():
    assert log_user("anna.b@x-y_z") == "anna.b@x-y_z"
    assert log_user("evil\nINFO forged line") == "evil?INFO?forged?line"
    assert log_user("é" * 100) == "?" * 64
    assert log_user("") == "<empty>"
    assert log_user(None) == "<none>"


def test_lockout_is_logged_and_refuses_without_checking(caplog):
    checked = []

    def verify(user, password):
        checked.append(user)
        return password == PASSWORD

    guard = LoginGuard(verify, LoginThrottle(base_delay=0.0), workers=1)
    caplog.set_level(logging.INFO, logger="tda.auth")

    async def scenario():
        for _ in range(10):
            assert await guard.login("anna", WRONG, "192.0.2.7") is False
        with pytest.raises(LoginLocked) as exc:
            await guard.login("anna", PASSWORD, "192.0.2.7")
        return exc.value

    try:
        locked = asyncio.run(scenario())
    finally:
        guard.close()
    assert len(checked) == 10, "the correct password is not even checked during the lockout"
    assert str(locked) == "Te veel mislukte inlogpogingen. Probeer het over 15 minuten opnieuw."
    msgs = [r.getMessage() for r in tda_lines(caplog)]
    assert "login lockout started user=anna client=192.0.2.7 scope=user+client seconds=900" in msgs
    assert msgs[-1].startswith("login failed user=anna client=192.0.2.7 locked=user+client retry_after=")
    assert WRONG not in caplog.text and PASSWORD not in caplog.text


def test_password_check_runs_in_the_pool_and_delays_do_not_block_the_loop():
    threads = []

    def verify(user, password):
        threads.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow hash
        return False

    throttle = LoginThrottle(delay_after=1, base_delay=0.3, max_delay=0.3)
    guard = LoginGuard(verify, throttle, workers=2)

    async def scenario():
        gaps = []
        stop = asyncio.Event()

        async def ticker():
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await guard.login("anna", WRONG, "10.0.0.1")           # no delay yet
        t0 = time.perf_counter()
        await guard.login("anna", WRONG, "10.0.0.1")           # 0.3 s delay, then the check
        took = time.perf_counter() - t0
        stop.set()
        await tick
        return gaps, took

    try:
        gaps, took = asyncio.run(scenario())
    finally:
        guard.close()
    assert threads and all(name.startswith("tda-login") for name in threads)
    assert took >= 0.45, "the second attempt waited the delay and then ran the check"
    assert max(gaps) < 0.15, f"the event loop stalled for {max(gaps):.3f} s"


def test_parallel_burst_cannot_slip_past_the_lockout():
    calls = []

    def verify(user, password):
        calls.append(user)
        time.sleep(0.02)
        return False

    guard = LoginGuard(verify, LoginThrottle(base_delay=0.01, max_delay=0.05), workers=2)

    async def one():
        try:
            return await guard.login("anna", WRONG, "10.0.0.1")
        except LoginLocked:
            return "locked"

    async def burst():
        return await asyncio.gather(*(one() for _ in range(30)))

    try:
        results = asyncio.run(burst())
    finally:
        guard.close()
    assert results.count("locked") >= 30 - (10 + guard.workers - 1)
    assert len(calls) <= 10 + guard.workers - 1, f"{len(calls)} passwords checked for one user"


def test_middleware_puts_the_socket_peer_in_the_context():
    seen = []

    async def app(scope, receive, send):
        seen.append(current_client())

    mw = ClientAddressMiddleware(app)
    asyncio.run(mw({"type": "http", "client": ("198.51.100.4", 5555), "headers": []}, None, None))
    asyncio.run(mw({"type": "http", "client": None, "headers": []}, None, None))
    assert seen == ["198.51.100.4", None]
    assert current_client() is None, "reset after the request"


# -- a real Gradio server: the production launch kwargs ------------------------------------------

class _NoAssistant:
    """Enough of an Assistant for building the UI; these tests never call a handler."""

    settings = None
    audit = None


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    store = UserStore.for_data_dir(tmp_path_factory.mktemp("throttle-users"))
    store.create_user("anna", PASSWORD, "casemanager")
    store.create_user("bob", PASSWORD, "employer")
    return store


@pytest.fixture
def serve(users, tmp_path):
    """``serve(throttle) -> (url, ui)``: TdaUI.build() launched with TdaUI.launch_kwargs() on a free port."""
    from app.bench.loadtest import free_port

    started = []

    def start(throttle: LoginThrottle):
        ui = TdaUI(_NoAssistant(), users, report_dir=tmp_path / "out", throttle=throttle)
        demo = ui.build()
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                    **ui.launch_kwargs())
        started.append((demo, ui))
        return f"http://127.0.0.1:{port}", ui

    yield start
    for demo, ui in started:
        demo.close()
        ui.login_guard.close()


def post_login(url: str, user: str, password: str, **kw) -> httpx.Response:
    return httpx.post(url + "/login", data={"username": user, "password": password}, timeout=120, **kw)


def test_auth_callback_is_async_so_gradio_awaits_it(users, tmp_path):
    ui = TdaUI(_NoAssistant(), users, report_dir=tmp_path)
    assert inspect.iscoroutinefunction(ui.auth)
    kwargs = ui.launch_kwargs()
    assert kwargs["auth"] == ui.auth
    assert any(m.cls is ClientAddressMiddleware for m in kwargs["app_kwargs"]["middleware"])


@pytest.mark.slow
def test_login_flood_does_not_stall_other_requests(serve, users):
    # Throttle out of the way: all 30 wrong logins reach argon2, the worst case for the event loop.
    url, ui = serve(LoginThrottle(delay_after=1000, lock_after=1000))
    assert post_login(url, "anna", PASSWORD).status_code == 200
    httpx.get(url + "/", timeout=30)  # warm up
    results: list[int] = []
    go = threading.Barrier(31)
    # Clients made beforehand: building 30 httpx clients in this process would compete for the GIL.
    clients = [httpx.Client(base_url=url, timeout=120) for _ in range(30)]

    def wrong(i: int) -> None:
        go.wait()
        r = clients[i].post("/login", data={"username": "anna", "password": f"{WRONG}-{i}"})
        results.append(r.status_code)

    flood = [threading.Thread(target=wrong, args=(i,)) for i in range(30)]
    for th in flood:
        th.start()
    go.wait()
    time.sleep(0.1)
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        while any(th.is_alive() for th in flood):
            t0 = time.perf_counter()
            r = client.get("/")
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200
            time.sleep(0.05)
    for th in flood:
        th.join()
    for c in clients:
        c.close()
    assert results == [400] * 30
    assert len(latencies) >= 3, "the timed requests ran during the flood"
    print(f"\nGET / during 30 parallel wrong logins: n={len(latencies)} "
          f"median={statistics.median(latencies) * 1000:.1f} ms max={max(latencies) * 1000:.1f} ms")
    assert max(latencies) < 1.0


@pytest.mark.slow
def test_real_server_locks_out_with_429_dutch_message_and_log(serve, caplog):
    caplog.set_level(logging.INFO, logger="tda.auth")
    url, ui = serve(LoginThrottle(base_delay=0.01, max_delay=0.05))
    for i in range(10):
        # A spoofed X-Forwarded-For does not give a fresh client address.
        r = post_login(url, "anna", WRONG, headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status_code == 400
    r = post_login(url, "anna", PASSWORD)
    assert r.status_code == 429
    assert r.json()["detail"] == "Te veel mislukte inlogpogingen. Probeer het over 15 minuten opnieuw."
    assert 890 <= int(r.headers["retry-after"]) <= 900
    assert "set-cookie" not in r.headers
    # The client address is locked too: another user's good password from it is refused.
    assert post_login(url, "bob", PASSWORD).status_code == 429
    # The login page tells a locked-out client why.
    page = httpx.get(url + "/", timeout=30).text
    config = re.search(r'"auth_message":"([^"]*)"', page).group(1)
    assert "Te veel mislukte inlogpogingen" in config and "15 minuten" in config
    msgs = [r.getMessage() for r in tda_lines(caplog)]
    assert "login failed user=anna client=127.0.0.1 failures=1 client_failures=1" in msgs
    assert "login lockout started user=anna client=127.0.0.1 scope=user+client seconds=900" in msgs
    assert any(m.startswith("login failed user=bob client=127.0.0.1 locked=client") for m in msgs)
    assert not any("203.0.113" in m for m in msgs)
    assert WRONG not in caplog.text and PASSWORD not in caplog.text


@pytest.mark.slow
def test_real_server_parallel_wrong_logins_hit_the_lockout(serve):
    url, ui = serve(LoginThrottle(base_delay=0.01, max_delay=0.05))
    codes: list[int] = []

    def wrong(i: int) -> None:
        codes.append(post_login(url, "anna", f"{WRONG}-{i}").status_code)

    threads = [threading.Thread(target=wrong, args=(i,)) for i in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert set(codes) <= {400, 429}
    assert codes.count(400) <= 10 + ui.login_guard.workers - 1
    assert post_login(url, "anna", PASSWORD).status_code == 429
