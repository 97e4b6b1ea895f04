"""Exports: CSV and a FHIR Bundle of exactly the range asked for, validated, scoped and audited.

fhir.resources 8 ships R5 at its top level and R4B (4.3.0) beside it, and no 4.0.1 models: R4B's
Bundle and Observation are the R4 structures these exports use, so they validate against those.
"""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from devices.services import enrol_device, register_device
from rpm.models import AuditEvent
from tests.builders import make_device, make_team, make_user
from tests.conftest import errors_of
from tests.readings import add_readings, every

UTC = dt.UTC
DAY = dt.datetime(2026, 1, 10, tzinfo=UTC)


@pytest.fixture
def readings(patient):
    """Hourly heart rate over three days, and one blood pressure, one SpO2 and one dose event on the middle day."""
    device, _ = make_device(patient=patient)
    add_readings(patient, "heart_rate", ((at, 70) for at in every(DAY - dt.timedelta(days=1), dt.timedelta(hours=1),
                                                                  72)), device=device)
    add_readings(patient, "systolic_bp", [(DAY + dt.timedelta(hours=8, minutes=5), 150)], device=device)
    add_readings(patient, "diastolic_bp", [(DAY + dt.timedelta(hours=8, minutes=5), 95)], device=device)
    add_readings(patient, "spo2", [(DAY + dt.timedelta(hours=9, minutes=30), 96)], device=device)
    add_readings(patient, "dose_taken", [(DAY + dt.timedelta(hours=9, minutes=30), 1)])
    return device


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def fhir(physician_client, patient, **params):
    return physician_client.get(f"/api/v1/patients/{patient.id}/export/fhir/", params)


def observations_of(body) -> list[dict]:
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Observation"]


def test_csv_contains_exactly_the_range(physician_client, patient, readings):
    response = physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/",
                          {"start": "2026-01-10T00:00:00Z", "end": "2026-01-11T00:00:00Z"})
    rows = csv_rows(response)
    times = [dt.datetime.fromisoformat(r["measured_at_utc"]) for r in rows]
    assert len([r for r in rows if r["metric"] == "heart_rate"]) == 24
    assert min(times) == DAY and max(times) < DAY + dt.timedelta(days=1)


def test_csv_rows_carry_source_and_device(physician_client, patient, readings):
    response = physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/",
                          {"start": "2026-01-10T09:30:00Z", "end": "2026-01-10T09:30:01Z"})
    spo2 = next(r for r in csv_rows(response) if r["metric"] == "spo2")
    assert (spo2["value"], spo2["unit"], spo2["source"], spo2["device_serial"]) == ("96.0", "%", "seed",
                                                                                     readings.serial)


def test_csv_is_a_download(physician_client, patient, readings):
    response = physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/",
                                    {"start": "2026-01-10", "end": "2026-01-10"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")


def test_fhir_export_is_a_valid_bundle_of_the_patient_and_observations(physician_client, patient, readings):
    body = fhir(physician_client, patient, start="2026-01-10T00:00:00Z", end="2026-01-11T00:00:00Z").json()
    bundle = Bundle.model_validate(body)
    assert bundle.type == "collection"
    Patient.model_validate(body["entry"][0]["resource"])
    for resource in observations_of(body):
        Observation.model_validate(resource)


def test_the_export_carries_the_patient_with_the_mrn_so_a_receiver_can_resolve_the_subject(
        physician_client, patient, readings):
    body = fhir(physician_client, patient, start="2026-01-10T00:00:00Z", end="2026-01-11T00:00:00Z").json()
    first = body["entry"][0]
    assert first["resource"]["identifier"][0]["value"] == patient.mrn
    assert first["resource"]["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    base = first["fullUrl"].rsplit("/Patient/", 1)[0]
    for entry in body["entry"][1:]:
        # a relative reference resolves against the entry's base (FHIR R4, Bundle.entry.fullUrl)
        assert f"{base}/{entry['resource']['subject']['reference']}" == first["fullUrl"]


def test_fhir_export_contains_exactly_the_range(physician_client, patient, readings):
    body = fhir(physician_client, patient, start="2026-01-10T00:00:00Z", end="2026-01-11T00:00:00Z").json()
    times = [dt.datetime.fromisoformat(r["effectiveDateTime"]) for r in observations_of(body)]
    assert min(times) == DAY and max(times) < DAY + dt.timedelta(days=1)
    assert len(times) == 24 + 1 + 1  # heart rate, one BP panel, SpO2; the dose event has no LOINC


def test_the_same_reading_has_the_same_id_in_every_export(physician_client, patient, readings):
    params = {"start": "2026-01-10T00:00:00Z", "end": "2026-01-11T00:00:00Z"}
    first = [r["id"] for r in observations_of(fhir(physician_client, patient, **params).json())]
    second = [r["id"] for r in observations_of(fhir(physician_client, patient, **params).json())]
    assert first == second and len(set(first)) == len(first)


def test_blood_pressure_is_one_observation_with_two_components(physician_client, patient, readings):
    body = fhir(physician_client, patient, start="2026-01-10T08:01:00Z", end="2026-01-10T08:10:00Z").json()
    (bp,) = observations_of(body)
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["component"]} == {
        "8480-6": 150, "8462-4": 95}
    assert {c["valueQuantity"]["code"] for c in bp["component"]} == {"mm[Hg]"}


def test_blood_pressure_halves_a_second_apart_are_still_one_panel(physician_client, patient):
    device, _ = make_device("blood_pressure_monitor", patient=patient)
    add_readings(patient, "systolic_bp", [(DAY + dt.timedelta(hours=7), 141)], device=device)
    add_readings(patient, "diastolic_bp", [(DAY + dt.timedelta(hours=7, seconds=1), 88)], device=device)
    body = fhir(physician_client, patient, start="2026-01-10T06:00:00Z", end="2026-01-10T08:00:00Z").json()
    (bp,) = observations_of(body)
    assert [c["valueQuantity"]["value"] for c in bp["component"]] == [141, 88]


def test_a_cgm_reading_is_coded_as_cgm_and_a_meter_reading_as_a_meter(physician_client, patient):
    cgm, _ = make_device("cgm", patient=patient)
    meter, _ = make_device("glucometer", patient=patient)
    add_readings(patient, "blood_glucose", [(DAY + dt.timedelta(hours=6), 110)], device=cgm)
    add_readings(patient, "blood_glucose", [(DAY + dt.timedelta(hours=7), 130)], device=meter)
    body = fhir(physician_client, patient, start="2026-01-10T05:00:00Z", end="2026-01-10T08:00:00Z").json()
    codings = [r["code"]["coding"][0] for r in observations_of(body)]
    assert [(c["code"], c["display"]) for c in codings] == [
        ("99504-3", "Glucose [Mass/volume] in Interstitial fluid"),
        ("41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer")]


def test_vital_signs_carry_loinc_ucum_and_the_vital_signs_profile(physician_client, patient, readings):
    body = fhir(physician_client, patient, start="2026-01-10T09:30:00Z", end="2026-01-10T09:30:01Z").json()
    (spo2,) = observations_of(body)
    # codes.md: LOINC's own displays, not the app's labels
    assert [(c["code"], c["display"]) for c in spo2["code"]["coding"]] == [
        ("2708-6", "Oxygen saturation in Arterial blood"),
        ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")]
    assert spo2["valueQuantity"] == {"value": 96.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert "http://hl7.org/fhir/StructureDefinition/vitalsigns" in spo2["meta"]["profile"]
    assert spo2["category"][0]["coding"][0]["code"] == "vital-signs"


def test_both_exports_are_audited(physician_client, patient, physician, readings):
    physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/", {"start": "2026-01-10", "end": "2026-01-10"})
    fhir(physician_client, patient, start="2026-01-10", end="2026-01-10")
    verbs = set(AuditEvent.objects.filter(actor=physician, patient=patient, action="export")
                .values_list("verb", flat=True))
    assert verbs == {"patient.export.csv", "patient.export.fhir"}


@pytest.mark.parametrize("kind", ["csv", "fhir"])
def test_another_teams_physician_gets_404_for_exports(patient, readings, kind):
    outsider = make_user("physician-y", role="physician", team=make_team("Ward Y"))
    c = Client()
    c.force_login(outsider)
    assert c.get(f"/api/v1/patients/{patient.id}/export/{kind}/").status_code == 404


def test_a_bad_export_range_is_a_400_naming_the_parameter(physician_client, patient):
    response = physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/", {"start": "soon"})
    assert response.status_code == 400 and "start" in errors_of(response)


@pytest.mark.parametrize("serial", ["=HYPERLINK(\"http://x.invalid\")", "+1", "-1+2", "@SUM(A1)", "\tSN", "\rSN"])
def test_a_serial_that_a_spreadsheet_would_run_is_exported_as_text(physician_client, patient, serial):
    device = register_device(serial=serial, kind="pulse_oximeter")
    enrol_device(device=device, patient=patient)
    add_readings(patient, "spo2", [(DAY, 95)], device=device)
    response = physician_client.get(f"/api/v1/patients/{patient.id}/export/csv/",
                                    {"start": "2026-01-10T00:00:00Z", "end": "2026-01-10T00:00:01Z"})
    (row,) = csv_rows(response)
    assert row["device_serial"] == "'" + serial and row["value"] == "95.0"
