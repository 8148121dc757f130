"""Sessions and the login page in a real browser (issue 14, items 2 and 6), at 1280 and 390 px:
logout in the same tab, a message sent from a tab whose session ended, the login form's messages,
and no horizontal scroll on the login page at phone width."""

from __future__ import annotations

import pytest

from tests.browser.conftest import UI_TIMEOUT_MS, ask, shot

WIDTHS = {"desktop": 1280, "phone": 390}
EXPIRED = "Uw sessie is verlopen; log opnieuw in. Uw tekst is bewaard."
NO_HSCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(params=list(WIDTHS))
def context(request, browser):
    """A fresh browser context (own cookies, Dutch locale) at desktop or phone width."""
    width = WIDTHS[request.param]
    ctx = browser.new_context(locale="nl-NL", viewport={"width": width, "height": 900 if width > 500 else 844})
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    ctx.tda_width = request.param
    yield ctx
    ctx.close()


def log_in(page, username: str, password: str) -> None:
    page.locator("#tda-username").fill(username)
    page.locator("#tda-password").fill(password)
    page.locator("#tda-login-button").click()


def open_app(page, server, role: str) -> None:
    page.goto(server["url"])
    log_in(page, f"b-{role}", server["passwords"][role])
    page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
    page.locator("#tda-input textarea").wait_for()


def test_login_page_messages_keep_the_name_and_fit_the_width(server, context):
    page = context.new_page()
    page.goto(server["url"])
    page.locator("#tda-login").wait_for()
    assert page.evaluate(NO_HSCROLL)
    # empty submit: says what is missing, per field
    page.locator("#tda-login-button").click()
    assert page.locator("#tda-username-error").inner_text() == "Vul uw gebruikersnaam in."
    assert page.locator("#tda-password-error").inner_text() == "Vul uw wachtwoord in."
    page.locator("#tda-username").fill("b-trainer")
    page.locator("#tda-login-button").click()
    assert page.locator("#tda-username-error").inner_text() == ""
    assert page.locator("#tda-password-error").inner_text() == "Vul uw wachtwoord in."
    # a wrong password keeps the user name and empties the password
    page.locator("#tda-password").fill("helemaal-fout-wachtwoord")
    page.locator("#tda-login-button").click()
    page.locator("#tda-login-message").get_by_text("Onjuiste inloggegevens").wait_for()
    assert page.locator("#tda-username").input_value() == "b-trainer"
    assert page.locator("#tda-password").input_value() == ""
    assert page.locator("#tda-header").count() == 0
    assert page.evaluate(NO_HSCROLL)
    # no word is split over two lines: every word of the page is as wide as its line box or less
    split = page.evaluate("""() => [...document.querySelectorAll('h1, label, button, p')].filter(
        el => el.scrollWidth > el.clientWidth + 1).map(el => el.id || el.tagName)""")
    assert split == []
    shot(page, f"login-{context.tda_width}", full_page=False)
    # a reload (e.g. to see a lockout's waiting time) still has the name
    page.reload()
    page.locator("#tda-login").wait_for()
    assert page.locator("#tda-username").input_value() == "b-trainer"


def test_logout_in_the_same_tab_and_an_old_tab_keeps_its_text(server, context):
    page = context.new_page()
    open_app(page, server, "casemanager")
    ask(page, "Wanneer moet ik de bedrijfsarts inschakelen?")
    old = context.new_page()                                # a second tab of the same login
    open_app_already_logged_in(old, server)
    draft = "Mag ik de werkgever vertellen wanneer hij terugkomt?"
    old.locator("#tda-input textarea").fill(draft)

    opened = []
    context.on("page", lambda p: opened.append(p))
    page.locator("#tda-logout").click()
    page.locator("#tda-login").wait_for()                    # this tab shows the login page
    assert opened == [] and len(context.pages) == 2         # no new tab
    assert page.locator("#tda-chatbot").count() == 0 and "bedrijfsarts inschakelen" not in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert "bedrijfsarts inschakelen" not in page.content()   # "Back" does not bring the conversation back

    # the other tab: Enter sends nothing, says why in Dutch and keeps the text
    old.locator("#tda-input textarea").press("Enter")
    old.get_by_text(EXPIRED).wait_for()
    assert old.locator("#tda-input textarea").input_value() == draft
    # the message is in sight where the user typed (not only at the top of the page)
    assert old.evaluate("""() => { const r = document.querySelector('#tda-session-expired').getBoundingClientRect();
                                   return r.top >= 0 && r.bottom <= window.innerHeight; }""")
    assert old.locator("#tda-input textarea").is_visible()
    old.locator("#tda-send").click()
    old.wait_for_timeout(500)
    assert old.locator("#tda-input textarea").input_value() == draft
    assert old.locator("#tda-session-expired").count() == 1
    assert old.get_by_text("Fout", exact=True).count() == 0 and old.get_by_text("Error", exact=True).count() == 0
    assert old.locator("#tda-chatbot").get_by_text(draft).count() == 0
    if context.tda_width == "phone":
        shot(old, "login-session-expired", full_page=False)

    # logging in again in that tab puts the text back in the box
    old.locator("#tda-session-expired a").click()
    old.locator("#tda-login").wait_for()
    assert old.locator("#tda-username").input_value() == "b-casemanager"
    old.locator("#tda-password").fill(server["passwords"]["casemanager"])
    old.locator("#tda-login-button").click()
    old.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
    old.wait_for_function("(d) => document.querySelector('#tda-input textarea')?.value === d", arg=draft)
    answer = ask(old, draft)                                  # and it can be sent now
    assert "antwoordtijd" in answer


def open_app_already_logged_in(page, server) -> None:
    page.goto(server["url"])
    page.locator("#tda-header").get_by_text("Ingelogd als").wait_for()
    page.locator("#tda-input textarea").wait_for()
