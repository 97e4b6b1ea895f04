"""In a real browser: admin1 registers a device, enrols it, copies its token, and the device's reading lands."""

import datetime as dt
import json
import urllib.request

import pytest

from devices.models import Device, Reading
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def post_reading(base_url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/readings/", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_admin_registers_enrols_and_copies_a_token_that_then_posts_to_the_patient(page, live_server_url):
    patient = make_patient(make_team("Ward E2E"), mrn="MRN-E2E-1", family_name="Browserperson")
    make_user("admin1", role="admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)

    browser_login(page, "admin1")
    page.get_by_role("link", name="Devices").click()
    page.get_by_role("link", name="Register a device").click()
    page.get_by_label("Serial").fill("SN-E2E-0001")
    page.get_by_label("Kind").select_option("pulse_oximeter")
    page.get_by_label("Manufacturer").fill("Acme")
    page.get_by_label("Model").fill("Ox 2")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/devices/*/")

    page.get_by_label("Enrol to patient (MRN)").fill("MRN-E2E-1")
    page.get_by_label("Enrol to patient (MRN)").press("Enter")  # keyboard submits the form
    page.get_by_role("status").filter(has_text="Enrolled").wait_for()
    assert "MRN-E2E-1" in page.locator(".device-patient").inner_text()

    page.get_by_role("button", name="Issue token").click()
    page.get_by_role("button", name="Copy token").click()
    page.get_by_text("Copied.").wait_for()
    token = page.evaluate("navigator.clipboard.readText()")
    assert token == page.get_by_label("Device token").input_value()
    assert token.startswith("rpmd_")

    measured = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    status = post_reading(live_server_url, token, {"id": "e2e-1", "metric": "spo2", "value": 96, "unit": "%",
                                                   "measured_at": measured})
    assert status == 201
    reading = Reading.objects.get(device__serial="SN-E2E-0001")
    assert (reading.patient_id, reading.metric, reading.value) == (patient.id, "spo2", 96.0)

    page.goto(f"/devices/{Device.objects.get(serial='SN-E2E-0001').id}/")
    assert "96 %" in page.locator("table.readings").inner_text()
    assert token.split("_", 2)[2] not in page.content()
