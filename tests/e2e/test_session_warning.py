"""The idle-timeout warning in Chromium: it appears before the session's end, and "Stay signed in" slides the
end on (the server answers the new seconds left, and the page hides the warning)."""

import re

import pytest
from playwright.sync_api import expect

from tests.builders import make_team, make_user
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def ending_soon(route):
    """The page as served, told its session has 100 s left (inside the 120 s warning)."""
    response = route.fetch()
    body = re.sub(r'data-session-seconds="\d+"', 'data-session-seconds="100"', response.text())
    route.fulfill(response=response, body=body)


def test_the_warning_appears_and_stay_signed_in_hides_it(page, live_server_url):
    make_user("nurse1", role="nurse", team=make_team("Ward A"))
    browser_login(page, "nurse1")
    page.route(re.compile(r".*/$"), ending_soon)
    page.goto("/")
    warning = page.locator("#session-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Your session ends in 1 min")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()


def test_no_warning_while_the_session_has_long_to_run(page, live_server_url):
    make_user("nurse1", role="nurse", team=make_team("Ward A"))
    browser_login(page, "nurse1")
    assert page.locator("body").get_attribute("data-session-seconds")
    expect(page.locator("#session-warning")).to_be_hidden()
