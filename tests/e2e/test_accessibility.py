"""Accessibility and tablets, in a real Chromium: axe-core (served from the test environment by
axe-playwright-python, never a CDN) finds no serious or critical violation on the dashboard, the patient page and
the device pages; an alert can be acknowledged with the keyboard alone; the dashboard works at a 768 px tablet and
a 390 px phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from alerts import engine
from alerts.models import Alert
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import browser_login
from tests.readings import store

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
M = dt.timedelta(minutes=1)
BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in BLOCKING]


@pytest.fixture
def ward(default_rules):
    team = make_team("Ward A")
    make_user("nurse1", team=team)
    patient = make_patient(team, given_name="Ada", family_name="Mineperson", conditions=["virtual_ward"])
    now = dt.datetime.now(dt.UTC)
    ids = store(patient, [("spo2", 85, now - 2 * M), ("heart_rate", 72, now - 2 * M),
                          ("systolic_bp", 128, now - 2 * M)], now=now)
    engine.evaluate_readings(reading_ids=ids, now=now)
    return team, patient, Alert.objects.get(patient=patient)


def test_dashboard_has_no_serious_accessibility_violations(page, ward):
    _, _, alert = ward
    browser_login(page, "nurse1")
    expect(page.locator(f'#open-alerts [data-alert="{alert.id}"]')).to_be_visible()
    page.locator(f'[data-alert="{alert.id}"] summary').click()  # the workflow controls too
    assert blocking_violations(page) == []


def test_patient_page_has_no_serious_accessibility_violations(page, ward):
    _, patient, _ = ward
    browser_login(page, "nurse1")
    page.goto(f"/patients/{patient.id}/")
    expect(page.locator('.chart[data-state="ready"]').first).to_be_visible()
    assert blocking_violations(page) == []


def test_device_pages_have_no_serious_accessibility_violations(page, ward):
    _, patient, _ = ward
    device, _ = make_device("pulse_oximeter", patient=patient)
    make_user("admin1", role="admin")
    browser_login(page, "admin1")
    for path in ("/devices/", "/devices/new/", f"/devices/{device.id}/", "/devices/import/"):
        page.goto(path)
        assert blocking_violations(page) == [], path


def test_an_alert_is_acknowledged_with_the_keyboard_alone(page, ward):
    _, _, alert = ward
    browser_login(page, "nurse1")
    expect(page.locator(f'#open-alerts [data-alert="{alert.id}"]')).to_be_visible()
    target = f'[data-alert="{alert.id}"] button[value="acknowledge"]'
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches('{target}')"):
            break
    else:
        pytest.fail("Tab never reached the alert's Acknowledge button")

    page.keyboard.press("Enter")

    expect(page.locator(f'#acknowledged-alerts [data-alert="{alert.id}"]')).to_contain_text("nurse1")
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by.username == "nurse1"


@pytest.mark.parametrize("width", [768, 390])
def test_the_dashboard_works_at_tablet_and_phone_widths(browser, live_server_url, ward, width):
    _, patient, alert = ward
    context = browser.new_context(base_url=live_server_url, viewport={"width": width, "height": 900},
                                  has_touch=True, is_mobile=width < 600)
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_login(page, "nurse1")
    tile = page.locator(f'.tile[data-patient="{patient.id}"]')
    expect(tile).to_be_visible()
    page.locator(f'[data-alert="{alert.id}"] summary').tap()  # the workflow controls fit too
    expect(page.locator(f'[data-alert="{alert.id}"] button[value="snooze"]')).to_be_visible()
    # nothing wider than the screen: no sideways scrolling to reach a value or a button
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.locator(f'[data-alert="{alert.id}"]')).to_be_visible()
    # measured in one step: the queue may be redrawn between two calls
    edges = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map((el) => {
             const r = el.getBoundingClientRect(); return [r.left, r.right]; })""",
        f'.tile[data-patient="{patient.id}"], [data-alert="{alert.id}"]')
    assert len(edges) == 2 and all(left >= 0 and right <= width for left, right in edges), edges
    expect(tile.locator('[data-metric="spo2"] .value b')).to_have_text("85")

    page.locator(f'[data-alert="{alert.id}"] button[value="acknowledge"]').tap()

    expect(page.locator(f'#acknowledged-alerts [data-alert="{alert.id}"]')).to_be_visible()
    context.close()
