"""Chat tab in the browser (issue 14): verdict first, reply scrolled into view at its start, source
chips that open, masked-question notice, consult request for the bedrijfsarts; at 1280 px and 390 px.

Saves docs/screenshots/chat-desktop-*.png and chat-phone-*.png.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import UI_TIMEOUT_MS, ask, fill_login, shot

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LAST_BOT = "#tda-chatbot .message-row.bot-row >> nth=-1"
# Header texts, tab labels, table headers and verdict headers whose words the browser breaks across
# lines: each word is measured with a Range; a word drawn on more than one line is split mid-word.
MID_WORD_SPLIT_JS = """() => {
  const bad = [];
  const sel = '#tda-header *, [role="tab"], .tda-verdict-head, #tda-why th, #tda-why td:first-child, #tda-chatbot label';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g; let m;
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
RULE_CODE = re.compile(r"\b[a-z]+\.[a-z0-9]+_[a-z0-9_]+\b")   # "employer.no_diagnosis_questions"


@pytest.fixture(params=list(SIZES))
def sized_login(request, browser, server):
    """``sized_login(role) -> page`` in a fresh context at the parametrized width; yields (size, factory)."""
    size = request.param
    contexts = []

    def do(role: str):
        ctx = browser.new_context(locale="nl-NL", viewport=SIZES[size])
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        fill_login(page, server["url"], f"b-{role}", server["passwords"][role])
        page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
        page.locator("#tda-input textarea").wait_for()
        return page

    yield size, do
    for ctx in contexts:
        ctx.close()


def ask_last(page, message: str) -> str:
    """Ask, wait until the new reply's top is in the viewport; returns the text of that reply."""
    ask(page, message)
    page.wait_for_function(
        """() => { const rows = document.querySelectorAll('#tda-chatbot .message-row.bot-row');
                   const r = rows[rows.length - 1].getBoundingClientRect();
                   return r.top >= 0 && r.top < window.innerHeight - 40; }""", timeout=10_000)
    return page.locator(LAST_BOT).inner_text()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_employer_answer_refusal_and_masked_notice(sized_login):
    size, login = sized_login
    page = login("employer")
    # an allowed question: answer first, compact source chips that open to the quote
    answer = ask_last(page, "Wat mag ik vragen bij een ziekmelding?")
    assert "GEWEIGERD" not in answer and "antwoordtijd" in answer
    chip = page.locator(LAST_BOT).locator("details.tda-chip").first
    summary = chip.locator("summary").inner_text()
    assert re.search(r"\[1\] .+ · regels \d+", summary) and "(" not in summary, summary
    assert not chip.locator("blockquote").is_visible()
    chip.locator("summary").click()
    chip.locator("blockquote").wait_for(state="visible")
    assert len(chip.locator("blockquote").inner_text()) > 20
    assert no_horizontal_scroll(page)
    shot(page, f"chat-{size}-employer-answer", full_page=False)

    # a refused question: verdict first, the reason once, the rule as text, no rule code
    refusal = ask_last(page, "Welke diagnose heeft mijn werknemer?")
    lines = [ln.strip() for ln in refusal.splitlines() if ln.strip()]
    assert lines[0].startswith("GEWEIGERD"), lines[:3]
    assert " ".join(lines[1:3]).startswith("Nee, dat doe ik niet:"), lines[:3]
    flat = " ".join(refusal.split())
    assert "Regel:" in flat and "Wat u wel kunt doen:" in flat
    assert not RULE_CODE.search(flat), flat
    reason = flat.split("Regel:", 1)[1].split("(bron", 1)[0].strip()
    assert len(reason) > 30 and flat.count(reason[:60]) == 1, "the reason is printed once"
    head = page.locator(LAST_BOT).locator(".tda-verdict-head")
    box = head.bounding_box()
    assert box and 0 <= box["y"] < SIZES[size]["height"], "the GEWEIGERD header is in sight"
    assert no_horizontal_scroll(page)
    shot(page, f"chat-{size}-employer-refusal", full_page=False)

    # health words in the question: the user is told they were masked, the word itself is not echoed
    masked = ask_last(page, "Collega zegt dat hij overspannen is, mag ik dat in het verzuimsysteem zetten?")
    assert "Uw vraag bevatte gezondheidsinformatie; die is niet opgeslagen." in masked
    assert "overspannen" not in masked
    assert no_horizontal_scroll(page)
    shot(page, f"chat-{size}-employer-masked", full_page=False)

    # the "Waarom?" panel (a wide table) fits too; the whole tab, top to bottom, for the README
    page.locator("#tda-why").click()
    page.locator("#tda-why table").first.wait_for()
    assert no_horizontal_scroll(page)
    assert page.evaluate(MID_WORD_SPLIT_JS) == [], "a header or tab label is split inside a word"
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, f"chat-{size}-employer-full")


def test_casemanager_medical_refusal_offers_consult_request(sized_login):
    size, login = sized_login
    page = login("casemanager")
    question = "Kun jij beoordelen of zijn rugklachten ernstig genoeg zijn om niet te werken?"
    text = ask_last(page, question)
    assert text.strip().startswith("GEWEIGERD")
    block = page.locator(LAST_BOT).locator(".tda-escalation")
    block.wait_for()
    request = block.locator("pre").inner_text()
    assert request.startswith("Verzoek om beoordeling door de bedrijfsarts")
    assert "rugklachten" not in request and "ernstig genoeg" not in request
    assert block.locator("button").count() >= 1, "the request has a copy button"
    block.scroll_into_view_if_needed()
    assert no_horizontal_scroll(page)
    shot(page, f"chat-{size}-casemanager-escalation", full_page=False)
