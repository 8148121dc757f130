"""The reviewer's audit tab in a real browser (issue 14): Dutch values, Enter runs the filter, the
risk queue, one-click CSV for Dutch Excel, and a usable tab at phone width (390 px).

The turns are written straight into the server's audit log (another process on the same SQLite
file, as the log allows) with a pass-through redactor: fictitious texts without identifiers, so the
test does not wait for chats and knows exactly what the reviewer must see.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from tests.browser.conftest import UI_TIMEOUT_MS, fill_login, shot

PHONE = {"width": 390, "height": 844}
HEALTH_DECISION = {"rail": "input.health", "action": "redact", "rule_id": "health.redact_input",
                   "reason": "Gezondheidstermen afgeschermd.", "risk": 0.5, "category": None,
                   "evidence": [{"start": 14, "end": 28, "label": "HEALTH_DATA/treatments_care", "score": 0.85,
                                 "detector": "guardrails.health"}]}


@pytest.fixture(scope="module")
def audit_turns(server):
    """Turns of two employers, a casemanager and an evaluation run in the server's audit log."""
    from app.audit import AuditLog
    from app.audit import redaction as redaction_mod
    from app.reply import Reply
    from app.settings import load_settings

    saved = redaction_mod._redactor
    redaction_mod._redactor = lambda: (lambda text: text)
    log = AuditLog.open(load_settings(data_dir=server["data_dir"]))
    try:
        def turn(user, role, session, text, decision="answer", category=None, decisions=()):
            return log.record_turn(user=user, role=role, session_id=session, input_text=text,
                                   reply=Reply(text="Uitleg volgens de bronnen.", decision=decision,
                                               category=category, decisions=list(decisions)))

        ids = {
            "cm": turn("cm-browser14", "casemanager", "b14-a", "Hoe plan ik het eerste gesprek?"),
            "eval": turn("eval", "employer", "eval:b14-run", "Wat is de diagnose?", "refuse", "health_data"),
            "refuse": turn("wg-browser14", "employer", "b14-b", "Wat heeft hij precies?", "refuse", "health_data"),
            "health": turn("wg-browser14", "employer", "b14-b", "Hij is bij de <HEALTH_DATA> geweest; hoe lang?",
                           decisions=[HEALTH_DECISION]),
            "plain": turn("wg-browser14", "employer", "b14-b", "Wanneer moet ik de ziekmelding doorgeven?"),
        }
    finally:
        log.close()
        redaction_mod._redactor = saved
    return ids


@pytest.fixture
def phone_page(browser):
    """A page in a fresh context at phone width (Dutch locale)."""
    ctx = browser.new_context(locale="nl-NL", viewport=PHONE, is_mobile=True, has_touch=True)
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    yield ctx.new_page()
    ctx.close()


def open_audit_tab(page) -> None:
    tab = page.get_by_role("tab", name="Auditlog")
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:                                          # narrow screens: Gradio folds tabs into a menu
        page.locator("button[aria-label='More tabs']").click()
        page.locator(".overflow-dropdown").get_by_text("Auditlog").click()
    page.locator("#tda-audit-status").get_by_text("gevonden").wait_for()


def field(page, elem_id: str):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def run_user_filter(page, user: str) -> str:
    """Type a user name and press Enter (no button): the table shows only that user's turns."""
    box = field(page, "tda-audit-user")
    box.fill(user)
    box.press("Enter")
    page.wait_for_function(
        """(u) => { const t = document.querySelector('#tda-audit-table').innerText;
                    return t.includes(u) && !t.includes('cm-browser14'); }""", arg=user)
    return page.locator("#tda-audit-table").inner_text()


def open_risk_queue(page) -> str:
    page.locator("#tda-audit-view").get_by_text("Risico-wachtrij").click()
    page.locator("#tda-audit-status").get_by_text("risico-wachtrij").wait_for()
    page.wait_for_function("() => !document.querySelector('#tda-audit-table').innerText"
                           ".includes('Wanneer moet ik de ziekmelding')")
    return page.locator("#tda-audit-table").inner_text()


TINTED_JS = """() => { const h = document.querySelector('#tda-audit-table').innerHTML.toLowerCase();
                        return h.includes('253, 236, 234') || h.includes('#fdecea'); }"""


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


# JS: header cells whose words wrap inside a word (a word whose range spans more than one line box).
SPLIT_HEADERS_JS = """() => {
  const out = [];
  for (const th of document.querySelectorAll('#tda-audit-table th')) {
    if (!th.offsetParent) continue;
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /\\S+/g; let m;
      while ((m = re.exec(node.textContent))) {
        const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
        if (tops.size > 1) out.push(m[0]);
      }
    }
  }
  return out;
}"""


def test_reviewer_desktop_filters_risk_queue_and_exports_csv(login, server, audit_turns):
    page = login("reviewer")
    open_audit_tab(page)
    status = page.locator("#tda-audit-status").inner_text()
    assert "evaluatieturns verborgen" in status
    text = page.locator("#tda-audit-table").inner_text()
    assert "eval:b14-run" not in text and "(evaluatie)" not in text      # evaluation turns hidden
    assert "Tijd" in text and "Besluit" in text
    text = run_user_filter(page, "wg-browser14")
    assert "werkgever" in text and "geweigerd" in text and "antwoord" in text
    assert "refuse" not in text and "employer" not in text                # Dutch values, no codes
    assert "[gezondheidsgegeven]" in text and "<HEALTH_DATA>" not in text
    assert "T" not in page.locator("#tda-audit-table td").nth(1).inner_text()   # local time, not ISO
    text = open_risk_queue(page)
    assert "⚠" in text and "gezondheidsgegeven in bericht werkgever" in text
    assert page.evaluate(TINTED_JS), "the rows of the risk queue are tinted"
    # the detail view keeps the codes next to the Dutch labels
    page.locator("#tda-audit-table [role=gridcell]:visible").filter(has_text="gezondheidsgegeven in bericht").first.click()
    detail = page.locator("#tda-audit-detail")
    detail.get_by_text("Railbeslissingen").wait_for()
    assert "input.health" in detail.inner_text() and "Vraag (afgeschermd)" in detail.inner_text()
    # one click: the CSV of what is shown (user filter + risk queue), for Dutch Excel
    page.locator("#tda-export-csv").click()
    link = page.locator("#tda-export-status a")
    link.wait_for()
    assert "2 records geëxporteerd" in page.locator("#tda-export-status").inner_text()
    href = urljoin(page.url, link.get_attribute("href"))
    first = page.request.get(href)
    body = first.body()
    assert first.status == 200 and body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Recordnummer;Tijd (lokaal);") and len(lines) == 3
    assert page.request.get(href).status == 404                           # served once
    # a filter that matches nothing: said in Dutch, no empty file
    box = field(page, "tda-audit-user")
    box.fill("niemand-b14")
    box.press("Enter")
    page.locator("#tda-audit-status").get_by_text("Geen records gevonden").wait_for()
    page.locator("#tda-export-csv").click()
    page.locator("#tda-export-status").get_by_text("Niets geëxporteerd").wait_for()
    # back to the view the screenshot shows
    box.fill("wg-browser14")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#tda-audit-table').innerText.includes('wg-browser14')")
    assert no_horizontal_scroll(page)
    assert page.evaluate(SPLIT_HEADERS_JS) == []
    shot(page, "reviewer-desktop")


def test_reviewer_phone_width_is_usable(phone_page, server, audit_turns):
    page = phone_page
    fill_login(page, server["url"], "b-reviewer", server["passwords"]["reviewer"])
    page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
    open_audit_tab(page)
    run_user_filter(page, "wg-browser14")
    text = open_risk_queue(page)
    assert "⚠" in text
    page.wait_for_timeout(300)                     # layout settles after the table update
    assert no_horizontal_scroll(page), page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(SPLIT_HEADERS_JS) == []
    page.locator("#tda-export-csv").click()
    page.locator("#tda-export-status a").wait_for()
    assert no_horizontal_scroll(page)
    shot(page, "reviewer-phone")
