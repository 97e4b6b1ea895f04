"""A nurse's and a physician's way through a stay in a real browser: from the tile to the patient and back with the
filter kept, admission with a plan, discharge."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from devices.models import Device
from patients import admission
from patients.models import Patient
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(page):
    page.set_default_timeout(30_000)  # the patient page loads plotly.js: slow on a busy 2-core machine
    return page


@pytest.fixture
def ward():
    team = make_team("Ward A")
    make_user("nurse1", team=team)
    make_user("physician1", role="physician", team=team)
    ada = make_patient(team, given_name="Ada", family_name="Tileperson", mrn="MRN-TILE-1")
    bea = make_patient(team, given_name="Bea", family_name="Otherperson", mrn="MRN-OTHER-2")
    return team, ada, bea


def test_a_nurse_clicks_a_tile_lands_on_the_patient_and_comes_back_to_her_filter(page, ward):
    _, ada, bea = ward
    browser_login(page, "nurse1")
    page.fill("#search", "tile")
    expect(page.locator(f'.tile[data-patient="{bea.id}"]')).to_be_hidden()

    page.locator(f'.tile[data-patient="{ada.id}"] [data-patient-link]').click()

    page.wait_for_url(f"**/patients/{ada.id}/")
    expect(page.locator("h1")).to_have_text("Ada Tileperson")
    page.locator(".crumbs [data-back-to-dashboard]").click()
    expect(page.locator("#search")).to_have_value("tile")
    expect(page.locator(f'.tile[data-patient="{ada.id}"]')).to_be_visible()
    expect(page.locator(f'.tile[data-patient="{bea.id}"]')).to_be_hidden()


def test_a_nurse_admits_a_patient_with_a_plan_and_sees_the_tile_appear(page, ward):
    team, _, _ = ward
    browser_login(page, "nurse1")
    page.goto("/patients/")
    page.get_by_role("link", name="Admit a patient").click()
    page.fill("#mrn", "MRN-NEW-7")
    page.fill("#given_name", "Cleo")
    page.fill("#family_name", "Newperson")
    page.fill("#birth_date", "1951-06-15")
    page.fill("#timezone", "Europe/Dublin")
    page.check('input[name=conditions][value="heart_failure"]')
    page.get_by_role("button", name="Admit and set the monitoring plan").click()

    page.wait_for_url("**/plan/")
    page.check('input[name="expect_body_weight"]')
    page.fill('input[name="due_by_body_weight"]', "10:00")
    page.fill('input[name="med-0-drug"]', "Furosemide")
    page.fill('input[name="med-0-dose"]', "40 mg")
    page.fill('input[name="med-0-times"]', "08:00")
    page.fill("#plan-reason", "new heart failure admission")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_role("status")).to_have_text("Plan saved.")

    page.goto("/")
    patient = Patient.objects.get(mrn="MRN-NEW-7")
    tile = page.locator(f'.tile[data-patient="{patient.id}"]')
    expect(tile).to_contain_text("Cleo Newperson")
    # the plan's expected weight shows on the tile before any reading arrives
    expect(tile.locator('[data-metric="body_weight"]')).to_be_visible()
    assert patient.care_team == team
    assert set(AuditEvent.objects.filter(patient=patient).values_list("verb", flat=True)) >= {
        "patient.admit", "patient.plan"}


def test_a_physician_discharges_a_patient_and_the_device_goes_back_to_inventory(page, ward):
    _, ada, _ = ward
    device, _ = make_device(patient=ada)
    browser_login(page, "physician1")
    page.goto(f"/patients/{ada.id}/")
    page.locator("[data-plan-link]").click()
    page.fill("#discharge-reason", "programme complete")
    page.get_by_role("button", name="Discharge").click()

    page.wait_for_url(f"**/patients/{ada.id}/")
    expect(page.locator("[data-patient-status]")).to_have_text("Discharged.")
    assert Device.objects.get(pk=device.pk).status == "inventory"
    page.goto("/")
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator(f'.tile[data-patient="{ada.id}"]')).to_have_count(0)


def test_a_paused_patient_shows_paused_on_the_tile(page, ward):
    _, ada, _ = ward
    browser_login(page, "nurse1")
    page.goto(f"/patients/{ada.id}/plan/")
    page.fill("#pause-reason", "admitted to hospital")
    page.get_by_role("button", name="Pause monitoring").click()
    page.goto("/")
    expect(page.locator(f'.tile[data-patient="{ada.id}"] [data-paused]')).to_have_text("Monitoring paused")


def test_an_open_dashboard_shows_a_pause_and_a_discharge_made_elsewhere_without_reloading(page, ward):
    _, ada, _ = ward
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")
    physician = User.objects.get(username="physician1")

    admission.pause_monitoring(patient=ada, by=physician, reason="admitted to hospital")
    expect(page.locator(f'.tile[data-patient="{ada.id}"] [data-paused]')).to_have_text("Monitoring paused")

    admission.discharge_patient(patient=ada, by=physician, reason="programme complete")
    expect(page.locator(f'.tile[data-patient="{ada.id}"]')).to_have_count(0)
    expect(page.locator(".tile")).to_have_count(1)
