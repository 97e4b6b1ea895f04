"""A nurse who reads glucose in mmol/L sees it so on the tile, the chart and the CSV she downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from devices.ingest import ingest
from rpm.units import set_units_for
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(page):
    page.set_default_timeout(30_000)  # the patient page loads plotly.js: slow on a busy 2-core machine
    return page


def test_a_user_with_mmol_per_litre_sees_glucose_in_mmol_on_the_tile_the_chart_and_the_csv(page):
    team = make_team("Ward A")
    nurse = make_user("nurse1", team=team)
    set_units_for(nurse, chosen={"blood_glucose": "mmol/L"})
    patient = make_patient(team, given_name="Gina", family_name="Sugarperson", conditions=["diabetes"])
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    ingest(patient_id=patient.id, source="manual",
           items=[{"metric": "blood_glucose", "value": 180, "unit": "mg/dL", "measured_at": at},
                  {"metric": "systolic_bp", "value": 128, "unit": "mm[Hg]", "measured_at": at}])

    browser_login(page, "nurse1")
    glucose = page.locator(f'[data-patient="{patient.id}"][data-metric="blood_glucose"] .value')
    expect(glucose.locator("b")).to_have_text("10.0")
    expect(glucose.locator(".unit")).to_have_text("mmol/L")
    expect(page.locator(f'[data-patient="{patient.id}"][data-metric="systolic_bp"] .unit')).to_have_text("mmHg")

    page.goto(f"/patients/{patient.id}/")
    chart = page.locator('[data-chart="blood_glucose"]')
    expect(chart).to_have_attribute("data-state", "ready")
    expect(chart.locator(".ytitle")).to_have_text("mmol/L")
    assert chart.evaluate("div => div.data[0].y") == [10.0]
    expect(page.locator("[data-tir]")).to_contain_text("Time in range 3.9-10.0 mmol/L")
    expect(page.locator('[data-chart="blood_pressure"] .ytitle')).to_have_text("mmHg")

    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert [(r["value"], r["unit"]) for r in rows if r["metric"] == "blood_glucose"] == [("9.99", "mmol/L")]
