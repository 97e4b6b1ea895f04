"""Each person reads glucose, weight and temperature in their own units on the dashboard, the patient page, the
chart series and the CSV; the stored values and the machine API stay canonical."""

import csv
import datetime as dt
import io
import json

import pytest

from devices.ingest import ingest
from devices.models import Reading
from rpm.units import set_units_for
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def glucose(patient):
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    ingest(patient_id=patient.id, source="manual",
           items=[{"metric": "blood_glucose", "value": 100, "unit": "mg/dL", "measured_at": at.isoformat()},
                  {"metric": "body_weight", "value": 80, "unit": "kg", "measured_at": at.isoformat()}])
    return patient


def test_the_dashboard_carries_the_readers_units(nurse, glucose):
    set_units_for(nurse, chosen={"blood_glucose": "mmol/L"})
    html = signed_in(nurse).get("/").content.decode()
    start = html.index('<script id="unit-data" type="application/json">') + len(
        '<script id="unit-data" type="application/json">')
    units = json.loads(html[start:html.index("</script>", start)])
    assert units["blood_glucose"]["symbol"] == "mmol/L" and units["systolic_bp"]["symbol"] == "mmHg"


def test_the_patient_page_shows_the_latest_glucose_and_weight_in_the_readers_units(nurse, physician, glucose):
    set_units_for(nurse, chosen={"blood_glucose": "mmol/L", "body_weight": "[lb_av]"})
    mine = signed_in(nurse).get(f"/patients/{glucose.id}/").content.decode()
    theirs = signed_in(physician).get(f"/patients/{glucose.id}/").content.decode()
    assert '<strong>5.6</strong> <span class="unit">mmol/L</span>' in mine
    assert '<strong>176.4</strong> <span class="unit">lb</span>' in mine
    assert '<strong>100</strong> <span class="unit">mg/dL</span>' in theirs


def test_the_chart_series_and_the_csv_are_in_the_readers_units_and_storage_is_not(nurse, glucose):
    set_units_for(nurse, chosen={"blood_glucose": "mmol/L"})
    client = signed_in(nurse)
    body = client.get(f"/api/v1/patients/{glucose.id}/readings/?metric=blood_glucose").json()
    assert body["series"]["blood_glucose"]["v"] == [5.6]
    assert body["series"]["blood_glucose"]["unit"] == "mmol/L"

    response = client.get(f"/api/v1/patients/{glucose.id}/export/csv/")
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))}
    assert (rows["blood_glucose"]["value"], rows["blood_glucose"]["unit"]) == ("5.55", "mmol/L")
    assert (rows["body_weight"]["value"], rows["body_weight"]["unit"]) == ("80.0", "kg")
    assert Reading.objects.get(metric="blood_glucose").value == 100


def test_the_units_page_saves_a_choice_and_refuses_an_unknown_unit_with_400(nurse):
    client = signed_in(nurse)
    assert client.post("/preferences/units/", {"blood_glucose": "mmol/L", "body_weight": "kg",
                                               "body_temperature": "[degF]"}).status_code == 302
    response = client.post("/preferences/units/", {"blood_glucose": "mmol/L", "body_weight": "stone",
                                                   "body_temperature": "Cel"})
    assert response.status_code == 400 and 'data-error="body_weight"' in response.content.decode()


def test_an_admin_has_no_units_page(admin_client):
    assert admin_client.get("/preferences/units/").status_code == 404
