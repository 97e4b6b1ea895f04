"""A nurse runs the programme in a real browser: the care-time timer feeds the month's total and the billing
report; the outreach worklist puts the patient with least slack first."""

import datetime as dt

import pytest

from patients.models import CareTimeEntry
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login
from tests.readings import patient_in_period

pytestmark = pytest.mark.e2e
UTC = dt.UTC


@pytest.fixture(autouse=True)
def patient_waits(page):
    page.set_default_timeout(30_000)


@pytest.fixture
def ward(live_server_url):
    team = make_team("Ward A")
    make_user("nurse1", role="nurse", team=team)
    return team


def test_a_nurse_times_her_work_and_sees_it_in_the_months_total_and_the_report(page, ward):
    patient = make_patient(ward, family_name="Timerperson", timezone="UTC")
    browser_login(page, "nurse1")
    page.goto(f"/patients/{patient.id}/#care-time")
    page.click("[data-timer-start]")
    page.locator('[data-timer="running"]').wait_for()
    # the injectable clock of the ledger: the timer started 12 minutes ago, not a test that sleeps
    CareTimeEntry.objects.filter(patient=patient).update(started_at=dt.datetime.now(UTC) - dt.timedelta(minutes=12))
    page.reload()
    page.wait_for_function("() => document.querySelector('[data-timer-elapsed]').textContent === '12'")
    page.select_option('[data-timer="running"] select[name="activity"]', "call")
    page.check('[data-timer="running"] input[name="interactive"]')
    page.click("[data-timer-stop]")
    page.locator('[data-timer="stopped"]').wait_for()
    assert page.inner_text("[data-care-time-month]") == "12 min"
    page.goto("/programme/billing/")
    row = page.locator(f'[data-billing-patient="{patient.id}"]')
    assert row.locator("[data-minutes]").inner_text() == "12"
    assert row.locator("[data-codes]").inner_text() == "99470"
    assert page.inner_text("[data-total-minutes]") == "12"


def test_the_worklist_puts_10_days_with_5_left_ahead_of_14_with_12_left(page, ward):
    comfortable = patient_in_period(ward, day_of_period=19, data_days=14)
    tight = patient_in_period(ward, day_of_period=26, data_days=10)
    browser_login(page, "nurse1")
    page.goto("/programme/worklist/")
    rows = page.locator("[data-worklist-patient]")
    assert [rows.nth(i).get_attribute("data-worklist-patient") for i in range(rows.count())] == [
        str(tight.id), str(comfortable.id)]
    assert [rows.nth(0).locator(s).inner_text() for s in ("[data-data-days]", "[data-days-left]")] == ["10", "5"]
    assert [rows.nth(1).locator(s).inner_text() for s in ("[data-data-days]", "[data-days-left]")] == ["14", "12"]
