"""Browser tests: ``tda serve`` on a free loopback port with a temporary data dir, driven by
Playwright in Debian's Chromium. Logins are created beforehand through ``app.auth``.

The server is started once per session (the first start builds the index and loads the models, so
the wait is generous); every test gets a fresh browser context (own cookies) per login.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from app.settings import ROLES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STARTUP_TIMEOUT_S = float(os.environ.get("TDA_BROWSER_STARTUP_TIMEOUT", "900"))
UI_TIMEOUT_MS = 120_000   # one answer on a busy 2-core machine
PASSWORDS = {role: f"browser-{role}-wachtwoord" for role in ROLES}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Start the app; yields ``{"url", "data_dir", "passwords"}``; stops it afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    from app.auth import UserStore
    from app.bench.loadtest import free_port, start_server, wait_for_server

    data_dir = tmp_path_factory.mktemp("tda-browser-data")
    store = UserStore.for_data_dir(data_dir)
    for role, password in PASSWORDS.items():
        store.create_user(f"b-{role}", password, role)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    proc = start_server(data_dir, port, log_path=log_path)
    try:
        try:
            login_page_s = wait_for_server(url, proc, timeout=STARTUP_TIMEOUT_S)
            import httpx

            status_at_login_page = httpx.get(url + "/tda/status", timeout=10).json()["status"]
            wait_for_server(url, proc, timeout=STARTUP_TIMEOUT_S, ready=True)
        except Exception:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            pytest.fail(f"tda serve did not start:\n{tail}")
        yield {"url": url, "data_dir": data_dir, "passwords": PASSWORDS, "log": log_path,
               "login_page_s": login_page_s, "status_at_login_page": status_at_login_page}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """Factory for pages in fresh contexts (Dutch browser locale); closes them after the test."""
    contexts = []

    def make():
        ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 1000})
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def fill_login(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    inputs = page.locator("input")
    inputs.first.wait_for()
    inputs.nth(0).fill(username)
    inputs.nth(1).fill(password)
    page.locator("button").first.click()


@pytest.fixture
def login(server, new_page):
    """``login(role) -> page``: logged in, the app loaded and the role's tabs shown."""

    def do(role: str):
        page = new_page()
        fill_login(page, server["url"], f"b-{role}", server["passwords"][role])
        page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
        page.locator("#tda-input textarea").wait_for()
        return page

    return do


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot for the README into docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def ask(page, message: str) -> str:
    """Send a chat message and wait for the answer; returns the text of the last answer bubble."""
    count_js = "() => (document.querySelector('#tda-chatbot').innerText.match(/antwoordtijd/g) || []).length"
    before = page.evaluate(count_js)
    box = page.locator("#tda-input textarea")
    box.fill(message)
    box.press("Enter")
    page.wait_for_function(f"() => ({count_js})() > {before}", timeout=UI_TIMEOUT_MS)
    page.locator("#tda-status").get_by_text("Antwoordtijd").wait_for()
    return page.locator("#tda-chatbot").inner_text()


def rule_ids(text: str) -> list[str]:
    return re.findall(r"\b([a-z_]+\.[a-z0-9_]+)\b", text)

