"""Probes against a real Gradio server started with the production launch kwargs: downloads bound
to the session and role that made them, no API map before login, same-origin requests only,
private files. The export handler is called in-process with the cookies a real login returned."""

from __future__ import annotations

import re
import stat
from types import SimpleNamespace

import gradio as gr
import httpx
import pytest

from app.audit import AuditLog
from app.auth import UserStore
from app.downloads import DownloadStore
from app.reply import Reply
from app.settings import load_settings
from app.ui import TdaUI
from app.web_guard import same_origin

PASSWORD = "geheim-wachtwoord-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app.bench.loadtest import free_port

    data = tmp_path_factory.mktemp("websec") / "data"
    settings = load_settings(data_dir=data)
    users = UserStore.for_data_dir(data)
    users.create_user("rita", PASSWORD, "reviewer")
    users.create_user("rob", PASSWORD, "reviewer")
    users.create_user("erik", PASSWORD, "employer")
    log = AuditLog.open(settings)
    for i in range(3):
        log.record_turn(user="cm", role="casemanager", session_id="s", input_text=f"vraag {i}",
                        reply=Reply(text=f"antwoord {i}", decision="answer"))
    (data / "exports").mkdir(mode=0o755)
    (data / "exports" / "oud-export.csv").write_text("oud")          # left by an earlier run
    ui = TdaUI(SimpleNamespace(settings=settings, audit=log), users, audit=log,
               report_dir=tmp_path_factory.mktemp("websec-out"))
    demo = ui.build()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **ui.launch_kwargs())
    url = f"http://127.0.0.1:{port}"
    yield SimpleNamespace(url=url, ui=ui, data=data, users=users)
    demo.close()
    ui.login_guard.close()
    log.close()


def login(server, user: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60)
    assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 200
    return client


def export(server, client: httpx.Client, user: str) -> str:
    msg = server.ui.audit_export("csv", "", "", "", "", "", "", "",
                                 gr.Request(username=user, cookies=dict(client.cookies)))
    return re.search(r"\((/tda/download/[\w-]+)\)", msg).group(1)


def test_old_exports_are_cleared_on_start(server):
    assert not (server.data / "exports" / "oud-export.csv").exists()
    assert stat.S_IMODE((server.data / "exports").stat().st_mode) == 0o700


def test_export_is_served_once_and_only_to_its_session(server):
    rita, erik = login(server, "rita"), login(server, "erik")
    rita_again = login(server, "rita")                       # the same user in another session
    anonymous = httpx.Client(base_url=server.url, timeout=60)
    try:
        path = export(server, rita, "rita")
        files = [p for p in (server.data / "exports").rglob("*") if p.is_file()]
        assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
        assert all(stat.S_IMODE(p.parent.stat().st_mode) == 0o700 for p in files)
        for other in (erik, rita_again, anonymous):
            r = other.get(path)
            assert r.status_code == 404 and "andere sessie" in r.text
        # Gradio's own file route does not serve it either (it is outside Gradio's cache).
        assert erik.get(f"/gradio_api/file={files[0]}").status_code in (403, 404)
        r = rita.get(path)
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["cache-control"] == "no-store"
        assert r.text.splitlines()[0].startswith("\ufeffRecordnummer;") and len(r.text.splitlines()) >= 4
        assert rita.get(path).status_code == 404                # deleted after the download
        assert not [p for p in (server.data / "exports").rglob("*") if p.is_file()]
    finally:
        for c in (rita, erik, rita_again, anonymous):
            c.close()


def test_export_refused_when_the_role_changed(server):
    rob = login(server, "rob")
    try:
        path = export(server, rob, "rob")
        server.users.create_user("rob", PASSWORD, "employer", replace=True)
        assert rob.get(path).status_code == 404
    finally:
        server.users.create_user("rob", PASSWORD, "reviewer", replace=True)
        rob.close()


def test_unfetched_exports_expire(tmp_path):
    now = [0.0]
    store = DownloadStore(tmp_path / "dl", lambda u: "reviewer", ttl_s=600, clock=lambda: now[0])
    cookies = {"access-token-x": "sessie"}
    url = store.create(cookies=cookies, user="rita", roles=("reviewer",), filename="a.csv",
                       media_type="text/csv", write=lambda fh: fh.write("x"))
    now[0] = 601
    assert store.take(url.rsplit("/", 1)[1], cookies) is None
    assert store.pending() == 0 and not [p for p in (tmp_path / "dl").rglob("*") if p.is_file()]


def test_login_page_has_no_api_map(server):
    page = httpx.get(server.url + "/", timeout=30).text
    assert "login" in page.lower() or "auth_required" in page
    assert "audit_export" not in page and "named_endpoints\": {\"/" not in page
    for query in ("/?all_endpoints=true", "/gradio_api/info", "/gradio_api/info?all_endpoints=true"):
        r = httpx.get(server.url + query, timeout=30)
        assert "audit_export" not in r.text and "/chat" not in r.text, query


def test_cross_origin_requests_are_refused(server):
    rita = login(server, "rita")
    try:
        for origin in ("http://127.0.0.1:1", "http://localhost:8000", "null", "https://evil.example"):
            r = rita.post("/login", data={"username": "rita", "password": PASSWORD}, headers={"Origin": origin})
            assert r.status_code == 403, origin
            assert "access-control-allow-credentials" not in r.headers
            r = rita.get("/config", headers={"Origin": origin})
            assert r.status_code == 403, origin
        same = rita.get("/config", headers={"Origin": server.url})
        assert same.status_code == 200
    finally:
        rita.close()


@pytest.mark.parametrize("origin,host,ok", [
    ("http://127.0.0.1:7860", "127.0.0.1:7860", True),
    ("http://127.0.0.1:7861", "127.0.0.1:7860", False),
    ("http://localhost:7860", "127.0.0.1:7860", False),
    ("https://tda.example", "tda.example", False),     # scheme differs from the plain-http request
    ("http://tda.example", "tda.example:80", True),
    ("garbage", "127.0.0.1:7860", False),
])
def test_same_origin(origin, host, ok):
    scope = {"type": "http", "scheme": "http", "headers": [(b"host", host.encode())]}
    assert same_origin(origin, scope) is ok


def test_role_refusal_is_one_log_line_with_user_and_role(server, caplog):
    caplog.set_level("WARNING")
    with pytest.raises(gr.Error):
        server.ui.audit_export("csv", "", "", "", "", "", "", "", gr.Request(username="erik"))
    lines = [r for r in caplog.records if "handler refused" in r.getMessage()]
    assert len(lines) == 1
    assert "user=erik" in lines[0].getMessage() and "role=employer" in lines[0].getMessage()
    assert lines[0].exc_info is None


def test_access_denied_prints_no_traceback():
    from app.ui import AccessDenied

    assert AccessDenied("Geen toegang").print_exception is False
