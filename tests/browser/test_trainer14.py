"""Issue 14, trainer: the evaluation tab in Dutch at 1280 px and at 390 px (phone).

Logs in as the trainer, runs one category (at both widths), checks the Dutch labels,
that no word is split over two lines in headings, table headers, labels and buttons, and that the page
does not scroll sideways at 390 px. Writes docs/screenshots/trainer-desktop.png and trainer-phone.png.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import UI_TIMEOUT_MS, fill_login, shot

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 600_000
ENGLISH = ("Decision accuracy", "must_mention missing", "Pass rate", "Refusal recall", "expected ", "got ")

# Every word in headings, table headers, labels and buttons of the tab must sit on one line.
SPLIT_WORDS_JS = r"""
() => {
  const root = document.querySelector('#tab-eval');
  const split = [];
  const els = root.querySelectorAll('h1, h2, h3, th, label, button, [role=tab]');
  for (const el of els) {
    if (!el.offsetParent) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /\S+/g;
      let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
}
"""


IDLE_JS = """() => [...document.querySelectorAll('#tab-eval [data-testid=status-tracker]')]
  .every(t => t.classList.contains('hide') || !t.querySelector('svg, .progress-text, .eta-bar'))"""


@pytest.fixture
def trainer_page(server, browser):
    """``trainer_page(width) -> page``: the trainer logged in, in a fresh context of that viewport width."""
    contexts = []

    def make(width: int, height: int = 900):
        ctx = browser.new_context(locale="nl-NL", viewport={"width": width, "height": height})
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        fill_login(page, server["url"], "b-trainer", server["passwords"]["trainer"])
        page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
        return page

    yield make
    for ctx in contexts:
        ctx.close()



def open_eval_tab(page) -> None:
    # The role's tabs appear once the page-load event has run; a narrow screen may fold some into
    # Gradio's overflow menu. Wait until the tab or the menu button is shown, then pick the tab.
    page.wait_for_function(
        """() => [...document.querySelectorAll("[role='tab'], .overflow-menu button")].some(
               el => el.offsetParent !== null && (el.getAttribute('role') !== 'tab'
                                                  || el.innerText.includes('Evaluatie')))""",
        timeout=RUN_TIMEOUT_MS)
    tab = page.get_by_role("tab", name="Evaluatie")
    if not tab.first.is_visible():
        page.locator(".overflow-menu button").first.click()
        tab = page.locator(".overflow-dropdown button", has_text="Evaluatie")
    tab.first.click()
    page.locator("#tda-run-eval").wait_for()
    # the tab's select event fills the pickers (more than the placeholder choice)
    page.wait_for_function(IDLE_JS, timeout=RUN_TIMEOUT_MS)


def pick(page, elem_id: str, typed: str, option: re.Pattern) -> None:
    """Choose in a filterable Gradio dropdown: type a filter, click the option, check the choice."""
    box = page.locator(f"#{elem_id} input").first
    page.wait_for_function(IDLE_JS, timeout=RUN_TIMEOUT_MS)
    box.click()
    box.fill(typed)
    page.get_by_role("option", name=option).first.click()
    assert option.search(box.input_value()), box.input_value()


def wait_for_run(page) -> str:
    page.locator("#tda-eval-status").get_by_text("runs, waarvan").wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function("() => document.querySelector('#tda-eval-table').innerText.includes('geslaagd')")
    return page.locator("#tab-eval").inner_text()


def check_dutch(text: str) -> None:
    for label in ("Eigen cases", "metriek", "Juiste beslissing", "Weigeringen met de juiste reden", "vraag",
                  "verwacht", "antwoord (ingekort)", "oordeel", "waarom",
                  "Generalisatie: testsplit van het intentiecorpus", "Categorie draaien", "Case draaien"):
        assert label in text, label
    for english in ENGLISH:
        assert english not in text, english


def test_trainer_runs_one_category_at_desktop_width(trainer_page):
    page = trainer_page(1280)
    open_eval_tab(page)
    pick(page, "tda-eval-group", "medisch", re.compile("weigeren: medisch oordeel"))
    page.locator("#tda-run-group").click()
    text = wait_for_run(page)
    check_dutch(text)
    assert "Alleen de categorie weigeren: medisch oordeel" in page.locator("#tda-eval-metrics").inner_text()
    table = page.locator("#tda-eval-table").inner_text()
    assert re.search(r"\bgeslaagd\b|niet geslaagd", table)
    page.locator("#tda-eval-download").wait_for()
    # the case form offers readable choices, not codes
    page.locator("#tda-case-form").get_by_text("Case toevoegen of bewerken").click()
    page.locator("#tda-case-expected input").first.click()
    page.get_by_role("option", name="weigeren (gezondheidsgegevens)").wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate(SPLIT_WORDS_JS) == []
    shot(page, "trainer-desktop")


def test_trainer_runs_one_category_at_phone_width(trainer_page):
    page = trainer_page(390, 844)
    open_eval_tab(page)
    pick(page, "tda-eval-group", "medisch", re.compile("weigeren: medisch oordeel"))
    page.locator("#tda-run-group").click()
    text = wait_for_run(page)
    check_dutch(text)
    assert "Alleen de categorie" in page.locator("#tda-eval-metrics").inner_text()
    page.evaluate("() => window.scrollTo(0, 0)")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page scrolls sideways at 390 px: {width}"
    assert page.evaluate(SPLIT_WORDS_JS) == []
    shot(page, "trainer-phone")
