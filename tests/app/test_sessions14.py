"""Sessions and the login page (issue 14, item 2): the app's own login page for callers without a
session, the session probe the chat asks before sending, logout in the same tab, and the lockout
notice on the page. Probed against a real Gradio server started with the production launch kwargs."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace

import httpx
import pytest

from app.audit import AuditLog
from app.auth import UserStore
from app.settings import load_settings
from app.throttle import LoginThrottle
from app.ui import TdaUI
from app.ui.app import LOGOUT_JS, SESSION_JS
from app.ui.login import LOGIN_TEXTS, render_login_page
from app.web_guard import SESSION_EXPIRED, LoginPageMiddleware, session_user

PASSWORD = "geheim-wachtwoord-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app.bench.loadtest import free_port

    data = tmp_path_factory.mktemp("sessions14") / "data"
    settings = load_settings(data_dir=data)
    users = UserStore.for_data_dir(data)
    users.create_user("anna", PASSWORD, "casemanager")
    users.create_user("erik", PASSWORD, "employer")
    log = AuditLog.open(settings)
    ui = TdaUI(SimpleNamespace(settings=settings, audit=log), users, audit=log,
               report_dir=tmp_path_factory.mktemp("sessions14-out"),
               throttle=LoginThrottle(base_delay=0.01, max_delay=0.05, lock_after=3))
    demo = ui.build()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs())
    url = f"http://127.0.0.1:{port}"
    yield SimpleNamespace(url=url, ui=ui, demo=demo)
    demo.close()
    ui.login_guard.close()
    log.close()


def login(server, user: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60)
    assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 200
    return client


# -- the page ------------------------------------------------------------------------------------
def test_login_page_is_the_apps_own_dutch_form():
    page = render_login_page("Log in met uw tda-account.", "n0nce")
    assert '<html lang="nl">' in page and 'name="viewport" content="width=device-width' in page
    assert 'id="tda-username"' in page and 'autocomplete="username"' in page
    assert 'type="password"' in page and 'autocomplete="current-password"' in page
    # user name first, password second, the submit button the first button (as tests/browser fill it)
    assert page.index('id="tda-username"') < page.index('id="tda-password"') < page.index("<button")
    assert page.count("<button") == 1 and ">Inloggen</button>" in page
    assert page.count('nonce="n0nce"') == 2                                  # the one style, the one script
    assert LOGIN_TEXTS["missing_user"] == "Vul uw gebruikersnaam in."
    assert LOGIN_TEXTS["missing_password"] == "Vul uw wachtwoord in."
    config = json.loads(re.search(r'id="tda-login-config">(.*?)</script>', page).group(1))
    assert config["texts"] == LOGIN_TEXTS and config["auth_message"] == "Log in met uw tda-account."
    # a wrong password does not reload the page or clear the name: only the password is emptied
    script = page[page.index('<script nonce'):]
    assert 'pass.value = ""' in script and 'user.value = ""' not in script
    assert "sessionStorage" in script and "location.reload" not in script


def test_login_page_config_cannot_break_out_of_its_script():
    page = render_login_page('</script><script>alert(1)</script>&"', "n")
    config = re.search(r'id="tda-login-config">(.*?)</script>', page, re.S).group(1)
    assert "<" not in config and ">" not in config and "&" not in config
    assert json.loads(config)["auth_message"] == '</script><script>alert(1)</script>&"'


def test_page_has_no_word_breaking_css():
    page = render_login_page(None, "n")
    assert "break-all" not in page and "hyphens: auto" not in page
    assert "max-width: 28rem" in page and "width: 100%" in page and "min-width" not in page


# -- the server ----------------------------------------------------------------------------------
def test_root_without_session_serves_the_login_page_under_a_strict_csp(server):
    r = httpx.get(server.url + "/", timeout=30)
    assert r.status_code == 200 and 'id="tda-login"' in r.text
    assert "gradio_config" not in r.text and "named_endpoints" not in r.text
    csp = r.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", csp).group(1)
    assert f'nonce="{nonce}"' in r.text and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert r.headers["cache-control"] == "no-store"
    assert "De rol hoort bij de login" in r.text
    head = httpx.head(server.url + "/", timeout=30)
    assert head.status_code == 200 and head.content == b""
    again = httpx.get(server.url + "/", timeout=30).headers["content-security-policy"]
    assert again != csp                                                     # a nonce per response


def test_root_with_session_serves_the_app(server):
    anna = login(server, "anna")
    try:
        r = anna.get("/")
        assert r.status_code == 200 and "gradio_config" in r.text and 'id="tda-login"' not in r.text
        assert "tdaSessionGuard" in r.text                                  # the head script is in the page
    finally:
        anna.close()


def test_session_probe_and_logout(server):
    assert httpx.get(server.url + "/tda/session", timeout=30).status_code == 401
    anna = login(server, "anna")
    try:
        assert anna.get("/tda/session").status_code == 204
        r = anna.get("/logout", follow_redirects=False)
        assert r.status_code == 302
        anna.cookies.clear()
        probe = anna.get("/tda/session")
        assert probe.status_code == 401 and probe.json()["detail"] == SESSION_EXPIRED
        assert probe.headers["cache-control"] == "no-store"
        assert 'id="tda-login"' in anna.get("/").text
    finally:
        anna.close()


def test_logout_ends_the_other_tabs_session_too(server):
    tab1, tab2 = login(server, "erik"), login(server, "erik")
    try:
        assert tab2.get("/tda/session").status_code == 204
        tab1.get("/logout", follow_redirects=False)
        # the old tab still has its cookie, but the session behind it is gone
        assert tab2.get("/tda/session").status_code == 401
        assert tab2.post("/gradio_api/queue/join", json={}).status_code == 401
    finally:
        tab1.close()
        tab2.close()


def test_session_probe_is_same_origin_only(server):
    r = httpx.get(server.url + "/tda/session", headers={"Origin": "https://evil.example"}, timeout=30)
    assert r.status_code == 403


# -- the wiring ----------------------------------------------------------------------------------
def test_logout_is_a_button_in_the_same_tab_that_clears_the_conversation(server):
    config = server.demo.config
    logout = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "tda-logout")
    assert logout["props"]["value"] == "Uitloggen" and not logout["props"].get("link")
    dep = next(d for d in config["dependencies"] if d["targets"] and d["targets"][0][0] == logout["id"])
    assert dep["js"] == LOGOUT_JS and dep["backend_fn"] is False
    assert "location.replace" in LOGOUT_JS and "_blank" not in LOGOUT_JS and "window.open" not in LOGOUT_JS
    by_id = {c["id"]: c for c in config["components"]}
    ids = [by_id[i].get("props", {}).get("elem_id") for i in dep["outputs"]]
    assert ids[:3] == ["tda-chatbot", None, "tda-input"]
    assert "[]" in LOGOUT_JS and '""' in LOGOUT_JS
    header = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "tda-header")
    assert "/logout" not in str(header["props"].get("value"))


def test_header_has_no_logout_link(server):
    import gradio as gr

    out = server.ui.on_load(gr.Request(username="anna"))
    assert "Ingelogd als **anna**" in out[0] and "logout" not in out[0].lower()


def test_session_guard_script(server):
    assert server.ui.launch_kwargs()["head"] == SESSION_JS
    assert json.dumps(SESSION_EXPIRED) in SESSION_JS
    assert SESSION_EXPIRED == "Uw sessie is verlopen; log opnieuw in. Uw tekst is bewaard."
    for needle in ("tda/session", "#tda-send", "#tda-input textarea", "stopImmediatePropagation",
                   "sessionStorage", "gradio_config.username", "tda-login-user"):
        assert needle in SESSION_JS, needle


def test_middleware_passes_everything_else_through():
    asyncio.run(_middleware_passes_everything_else_through())


async def _middleware_passes_everything_else_through():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])

    mw = LoginPageMiddleware(app, render=lambda m, n: "page")
    fake = SimpleNamespace(auth=lambda u, p: True, auth_dependency=None, tokens={"tok": "anna"}, cookie_id="c1",
                           get_blocks=lambda: SimpleNamespace(auth_message="x"))
    sent = []

    async def send(msg):
        sent.append(msg)

    for path in ("/login", "/logout", "/config", "/gradio_api/queue/join"):
        await mw({"type": "http", "path": path, "method": "GET", "headers": [], "app": fake}, None, send)
    # a live session gets the app, not the login page
    await mw({"type": "http", "path": "/", "method": "GET", "app": fake,
              "headers": [(b"cookie", b"access-token-unsecure-c1=tok")]}, None, send)
    assert calls == ["/login", "/logout", "/config", "/gradio_api/queue/join", "/"] and not sent
    await mw({"type": "http", "path": "/", "method": "GET", "app": fake,
              "headers": [(b"cookie", b"access-token-c1=stale")]}, None, send)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"page"


def test_session_user_reads_the_gradio_cookie():
    app = SimpleNamespace(tokens={"t1": "anna"}, cookie_id="abc")
    scope = {"app": app, "headers": [(b"cookie", b"other=1; access-token-abc=t1")]}
    assert session_user(scope) == "anna"
    assert session_user({"app": app, "headers": [(b"cookie", b"access-token-abc=t2")]}) is None
    assert session_user({"app": app, "headers": [(b"cookie", b"\x00garbage;;=")]}) is None
    assert session_user({"headers": []}) is None


# Last: it locks the client address out of this module's server.
def test_wrong_login_is_400_and_lockout_notice_is_on_the_page(server):
    for _ in range(3):
        r = httpx.post(server.url + "/login", data={"username": "anna", "password": "fout-fout-fout"}, timeout=60)
        assert r.status_code == 400
    r = httpx.post(server.url + "/login", data={"username": "anna", "password": PASSWORD}, timeout=60)
    assert r.status_code == 429 and "Te veel mislukte inlogpogingen" in r.json()["detail"]
    page = httpx.get(server.url + "/", timeout=30).text
    config = re.search(r'"auth_message":"([^"]*)"', page).group(1)
    assert "Te veel mislukte inlogpogingen" in config
    assert "<strong>Te veel mislukte inlogpogingen" in page
