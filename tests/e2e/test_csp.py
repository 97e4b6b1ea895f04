"""Every page works under the Content-Security-Policy in Chromium, with no violation reported in the console."""

import datetime as dt

import pytest

from alerts.defaults import install_default_rules
from alerts.models import AlertRule
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import browser_login
from tests.readings import add_readings, every

pytestmark = pytest.mark.e2e


@pytest.fixture
def watched(page):
    """The page, and the CSP violations and script errors it reports."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.set_default_timeout(30_000)
    return page, problems


@pytest.fixture
def ward(live_server_url):
    install_default_rules(AlertRule)
    team = make_team("Ward A")
    make_user("nurse1", role="nurse", team=team)
    make_user("physician1", role="physician", team=team)
    make_user("admin1", role="admin")
    patient = make_patient(team, family_name="Cspperson")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    add_readings(patient, "heart_rate", ((at, 72) for at in every(now - dt.timedelta(days=2), dt.timedelta(hours=1),
                                                                      48)))
    device, _ = make_device(patient=patient)
    return patient, device


def test_the_clinicians_pages_work_with_no_csp_violation(watched, ward):
    page, problems = watched
    patient, _ = ward
    browser_login(page, "physician1")
    page.goto("/")
    page.locator(f'.tile[data-patient="{patient.id}"]').wait_for()
    page.goto(f"/patients/{patient.id}/")
    page.locator('[data-chart="heart_rate"][data-state="ready"]').wait_for()
    page.locator('[data-chart="heart_rate"] .main-svg').first.wait_for()  # plotly drew it
    assert page.locator("#session-warning").is_hidden()
    assert problems == [], "\n".join(problems)


def test_the_admin_pages_and_api_docs_work_with_no_csp_violation(watched, ward):
    page, problems = watched
    _, device = ward
    browser_login(page, "admin1")
    for url in ("/devices/", f"/devices/{device.id}/", "/staff/", "/care-teams/", "/audit/"):
        assert page.goto(url).status == 200, url
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert problems == [], "\n".join(problems)


def test_the_sign_in_page_works_with_no_csp_violation(watched, ward):
    page, problems = watched
    browser_login(page, "nurse1")
    assert page.url.endswith("/")
    assert problems == [], "\n".join(problems)
