"""Issue 14 (items 3 and 6) in a real browser: the script tab as a call companion, at 1280 and 390 px.

A casemanager builds a script, ticks a question, types a note with a name, phone number and BSN,
exports, and downloads the DOCX: the note is in it, masked. At 390 px the page does not scroll
sideways and no heading, tab or label breaks inside a word. Screenshots: docs/screenshots/intake-*.png.
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urljoin

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import UI_TIMEOUT_MS, fill_login, shot

pytestmark = pytest.mark.browser

ARTS, ORG = "Dr. P. de Vries", "Bouwbedrijf Jansen BV"
NOTE = "Terugbellen: Jan de Vries, 06-12345678, BSN 123456782"
QUESTION = "Wat is uw functie, en wat vraagt die functie van u?"

# Words (in headings, tabs, labels, buttons of the script tab) whose letters end up on two lines.
SPLIT_WORDS_JS = """() => {
  const sel = '#tab-intake h1, #tab-intake h2, #tab-intake h3, [role=tab], #tab-intake label, #tab-intake button';
  const bad = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent) continue;
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walk.nextNode())) {
      const re = /[^\\s\\-\\/]+/g; let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
        if (tops.size > 1) bad.push(m[0]);
      }
    }
  }
  return bad;
}"""
WIDEST_JS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent)
  .slice(0, 8).map(e => (e.id || e.className || e.tagName).toString().slice(0, 60))"""


@pytest.fixture
def page_at(browser):
    """``page_at(width) -> page`` in its own context with that viewport (Dutch locale)."""
    contexts = []

    def make(width: int):
        ctx = browser.new_context(locale="nl-NL", viewport={"width": width, "height": 900 if width > 600 else 844})
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def _open_tab(page, name: str) -> None:
    tab = page.get_by_role("tab", name=name)
    try:                                          # the tabs of the role appear once the page has loaded
        tab.wait_for(state="visible", timeout=30_000)
    except PlaywrightTimeout:                     # Gradio folds tabs that do not fit into a menu
        page.locator(".overflow-menu button").first.click()
        tab = page.locator(".overflow-dropdown button", has_text=name)
    tab.first.click()


def _fill(page, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id}").locator("input, textarea").first.fill(value)


@pytest.mark.parametrize("width,name", [(1280, "intake-desktop"), (390, "intake-phone")])
def test_script_tab_is_a_call_companion(server, page_at, width, name):
    page = page_at(width)
    fill_login(page, server["url"], "b-casemanager", server["passwords"]["casemanager"])
    page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
    _open_tab(page, "Gespreksscript")
    _fill(page, "tda-arts", ARTS)
    _fill(page, "tda-org", ORG)
    page.locator("#tda-make-script").click()
    script = page.locator("#tda-script")
    script.get_by_text("niet de bedrijfsarts").first.wait_for()
    text = script.inner_text()
    assert f"{ARTS} ({ORG})" not in text and f"de bedrijfsarts voor uw werkgever {ORG}" in text
    assert "Wie werkt voor wie" in text and text.count("Bronnen") == 1

    # the checklist: tick the question, type a note next to it
    check = page.locator(".tda-check", has_text=QUESTION).first
    check.wait_for()
    n = re.search(r"tda-check-(\d+)", check.get_attribute("id")).group(1)
    check.locator("input[type=checkbox]").check()
    assert check.locator("input[type=checkbox]").is_checked()
    note = page.locator(f"#tda-note-{n}").locator("input, textarea").first
    note.fill(NOTE)
    page.get_by_text("niet naar de assistent en niet naar het auditlog").wait_for()

    # plain text to copy: no Markdown markup
    page.get_by_text("Tekst om te kopiëren (zonder opmaak)").click()
    plain = page.locator("#tda-script-src textarea").input_value()
    assert "**" not in plain and "niet de bedrijfsarts" in plain

    # export with the ticks and notes, download the DOCX through its one-time link
    page.locator("#tda-export-notes").click()
    link = page.locator("#tda-export-download a", has_text=".docx")
    link.wait_for()
    docx = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert docx.status == 200 and "officedocument" in docx.headers["content-type"]
    with zipfile.ZipFile(io.BytesIO(docx.body())) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert QUESTION.replace('"', "") in xml.replace("&quot;", "").replace('"', "")
    assert "☒" in xml and "Notitie" in xml
    assert "123456782" not in xml and "12345678" not in xml and "Jan de Vries" not in xml
    assert "&lt;NL_BSN&gt;" in xml
    assert page.request.get(urljoin(page.url, link.get_attribute("href"))).status == 404   # one time only

    # phone width: no sideways scroll, no word split over two lines
    page.evaluate("window.scrollTo(0, 0)")
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], (scroll, page.evaluate(WIDEST_JS))
    assert page.evaluate(SPLIT_WORDS_JS) == []
    top = page.evaluate("""() => ['#tda-checklist-col', '#tda-script', '#tda-calltype', '#tda-arts']
        .map(s => document.querySelector(s).getBoundingClientRect())
        .map(r => [Math.round(r.top), Math.round(r.width)])""")
    if width <= 600:   # phone: the checklist first, one option field per row
        assert top[0][0] < top[1][0] and top[3][0] > top[2][0], top
    else:              # desktop: script and checklist side by side, the options in one row
        assert top[0][0] > 0 and abs(top[2][0] - top[3][0]) < 5, top
    shot(page, name)
