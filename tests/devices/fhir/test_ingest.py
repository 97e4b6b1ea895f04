"""FHIR ingest: a device posts Observations, or a transaction or batch Bundle of them, through the one ingest();
per-entry results, the element at fault named, a resend stores nothing new."""

import datetime as dt

import pytest

from devices.models import Device, Reading
from tests.builders import make_patient
from tests.devices.fhir.conftest import device_fhir_client, fhir_body, outcome_of, post_fhir

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def quantity(value, code):
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def observation(code, value, unit, at, identifier=None, **extra):
    resource = {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": quantity(value, unit), "effectiveDateTime": at.isoformat(), **extra}
    if identifier:
        resource["identifier"] = [{"system": "urn:device:messages", "value": identifier}]
    return resource


def blood_pressure(systolic, diastolic, at, identifier):
    return {"resourceType": "Observation", "status": "final", "identifier": [{"value": identifier}],
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]}, "effectiveDateTime": at.isoformat(),
            "component": [{"code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                           "valueQuantity": quantity(systolic, "mm[Hg]")},
                          {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                           "valueQuantity": quantity(diastolic, "mm[Hg]")}]}


def battery(percent, at):
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "urn:iso:std:iso:11073:10101", "code": "67996"}]},
            "valueQuantity": quantity(percent, "%"), "effectiveDateTime": at.isoformat()}


def bundle(kind, *resources, device=None):
    entries = [{"resource": r, "request": {"method": "POST", "url": "Observation"}} for r in resources]
    if device is not None:
        entries.append({"resource": device, "request": {"method": "PUT", "url": f"Device/{device['id']}"}})
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


@pytest.fixture
def client(device_token):
    return device_fhir_client(device_token[1])


def test_a_posted_observation_is_stored_and_answered_with_its_location(client, device_token, patient, now):
    response = post_fhir(client, "/fhir/Observation", observation("8867-4", 72, "/min", now, "obs-1"))
    assert response.status_code == 201
    body = fhir_body(response)
    assert response["Location"].endswith(f"/fhir/Observation/{body['id']}")
    reading = Reading.objects.get()
    assert (reading.metric, reading.value, reading.source, reading.patient_id) == ("heart_rate", 72, "fhir",
                                                                                   patient.id)


def test_the_same_observation_twice_stores_one_reading(client, now):
    first = post_fhir(client, "/fhir/Observation", observation("8867-4", 72, "/min", now, "obs-1"))
    again = post_fhir(client, "/fhir/Observation", observation("8867-4", 72, "/min", now, "obs-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first["Location"] == again["Location"] and Reading.objects.count() == 1


def test_an_observation_without_identifier_is_still_stored_once(client, now):
    for _ in range(2):
        post_fhir(client, "/fhir/Observation", observation("2708-6", 95, "%", now))
    assert Reading.objects.count() == 1


def test_a_transaction_bundle_lands_with_per_entry_results_and_telemetry(client, device_token, now):
    device, _ = device_token
    sent = bundle("transaction", observation("8867-4", 80, "/min", now, "t-hr"), blood_pressure(138, 86, now, "t-bp"),
                  observation("2708-6", 0.97, "1", now, "t-spo2"), battery(18, now),
                  device={"resourceType": "Device", "id": str(device.id), "version": [
                      {"type": {"coding": [{"system": "urn:iso:std:iso:11073:10101", "code": "531976"}]},
                       "value": "4.2.0"}]})
    response = post_fhir(client, "/fhir/", sent)
    assert response.status_code == 200
    body = fhir_body(response)
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 3 + ["200 OK"] * 2
    assert body["entry"][1]["response"]["location"].startswith("Observation/bp-")
    assert sorted(Reading.objects.values_list("metric", "value")) == [
        ("diastolic_bp", 86), ("heart_rate", 80), ("spo2", 97), ("systolic_bp", 138)]
    device.refresh_from_db()
    assert (device.battery_level, device.firmware) == (18, "4.2.0")

    again = fhir_body(post_fhir(client, "/fhir/", sent))
    assert [e["response"]["status"] for e in again["entry"][:3]] == ["200 OK"] * 3
    assert Reading.objects.count() == 4


def test_a_transaction_with_a_bad_entry_stores_nothing_and_names_the_element(client, now):
    response = post_fhir(client, "/fhir/", bundle("transaction", observation("8867-4", 80, "/min", now, "a"),
                                                  observation("8867-4", 80, "kg", now, "b")))
    assert response.status_code == 422
    assert [i["expression"] for i in outcome_of(response)] == ["Bundle.entry[1].resource.valueQuantity.code"]
    assert not Reading.objects.exists()


def test_a_batch_stores_the_good_entries_and_answers_each_bad_one_with_an_outcome(client, now):
    response = post_fhir(client, "/fhir/", bundle("batch", observation("8867-4", 80, "/min", now, "a"),
                                                  observation("8867-4", 900, "/min", now, "b"),
                                                  blood_pressure(130, 80, now, "c")))
    body = fhir_body(response)
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "422 Unprocessable Entity",
                                                                "201 Created"]
    issue = body["entry"][1]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
    assert Reading.objects.count() == 3


@pytest.mark.parametrize("change, status, element", [
    ({"valueQuantity": {"value": "fast", "code": "/min"}}, 400, "Observation.valueQuantity.value"),
    ({"code": {"coding": [{"system": LOINC, "code": "1234-5"}]}}, 422, "Observation.code"),
    ({"status": "entered-in-error"}, 422, "Observation.status"),
    ({"effectiveDateTime": "2026-01-10T10:00:00"}, 400, "Observation.effectiveDateTime"),  # FHIR: a time needs a zone
    ({"subject": {"reference": "Patient/999999"}}, 422, "Observation.subject.reference"),
    ({"valueQuantity": quantity(72, "/min") | {"system": "http://example.org/units"}}, 422,
     "Observation.valueQuantity.system"),
])
def test_a_bad_observation_is_refused_naming_the_element(client, now, change, status, element):
    response = post_fhir(client, "/fhir/Observation", {**observation("8867-4", 72, "/min", now, "x"), **change})
    assert response.status_code == status
    assert element in [i["expression"] for i in outcome_of(response)]
    assert not Reading.objects.exists()


def test_a_device_may_not_post_for_another_patient_by_mrn(client, now, team):
    other = make_patient(team)
    response = post_fhir(client, "/fhir/Observation", observation(
        "8867-4", 72, "/min", now, "x", subject={"identifier": {"value": other.mrn}}))
    assert response.status_code == 422 and not Reading.objects.exists()


def test_posting_without_a_device_credential_is_a_401_outcome(db, now):
    from django.test import Client

    response = post_fhir(Client(), "/fhir/Observation", observation("8867-4", 72, "/min", now, "x"))
    assert response.status_code == 401 and outcome_of(response)


def test_a_retired_device_is_refused(client, device_token, now):
    from devices.services import retire_device

    retire_device(device=device_token[0])
    response = post_fhir(client, "/fhir/Observation", observation("8867-4", 72, "/min", now, "x"))
    assert response.status_code in (401, 403) and outcome_of(response)
    assert Device.objects.get(pk=device_token[0].pk).status == "retired"


def test_an_observation_older_than_the_backfill_window_names_its_time(client, now):
    old = now - dt.timedelta(days=40)
    response = post_fhir(client, "/fhir/Observation", observation("8867-4", 72, "/min", old, "x"))
    assert response.status_code == 422
    assert [i["expression"] for i in outcome_of(response)] == ["Observation.effectiveDateTime"]
