import datetime as dt

import pytest
from django.test import Client

from devices.models import Device, Reading
from tests.builders import make_device

KIND_FOR = {"body_weight": "weight_scale", "blood_glucose": "glucometer", "body_temperature": "thermometer",
            "steps": "wearable", "dose_taken": "pill_dispenser"}


def reading(now, **overrides):
    body = {"id": "m-1", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    body.update(overrides)
    return body


def post(client, body):
    return client.post("/api/v1/readings/", body, content_type="application/json")


def test_single_reading_is_stored_on_the_assigned_patient(device_client, patient, now):
    response = post(device_client, reading(now))
    assert response.status_code == 201, response.json()
    stored = Reading.objects.get()
    assert (stored.patient, stored.metric, stored.value, stored.unit) == (patient, "heart_rate", 72.0, "/min")
    assert stored.measured_at == now
    assert response.json() == {"status": "created", "id": stored.id}


def test_stored_reading_records_device_source_message_id_and_server_time(device_client, device_token, now):
    before = dt.datetime.now(dt.UTC)
    post(device_client, reading(now, id="msg-42"))
    stored = Reading.objects.get()
    assert (stored.device, stored.source, stored.device_message_id) == (device_token[0], "api", "msg-42")
    assert stored.received_at >= before
    assert stored.evaluated_at is None


def test_measured_at_with_an_offset_is_stored_as_the_same_instant(device_client, now):
    local = now.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    post(device_client, reading(now, measured_at=local.isoformat()))
    assert Reading.objects.get().measured_at == now


def test_a_numeric_message_id_is_accepted_as_text(device_client, now):
    assert post(device_client, reading(now, id=12345)).status_code == 201
    assert Reading.objects.get().device_message_id == "12345"


def test_posting_marks_the_device_as_seen(device_client, device_token, now):
    post(device_client, reading(now))
    assert Device.objects.get(pk=device_token[0].pk).last_seen_at is not None


def test_same_id_twice_is_stored_once(device_client, now):
    assert post(device_client, reading(now)).status_code == 201
    second = post(device_client, reading(now, value=80))
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert Reading.objects.get().value == 72.0


def test_same_id_from_two_devices_is_two_readings(patient, now):
    for _ in range(2):
        _, token = make_device(patient=patient)
        response = post(Client(headers={"Authorization": f"Device {token}"}), reading(now, id="shared-id"))
        assert response.status_code == 201
    assert Reading.objects.filter(device_message_id="shared-id").count() == 2


# Conversions: ../shared/clinical/codes.md "Unit conversions"; aliases per DESIGN.md "Units are UCUM codes".
@pytest.mark.parametrize(
    ("metric", "value", "unit", "stored_value", "stored_unit"),
    [
        ("body_weight", 200, "[lb_av]", 90.718474, "kg"),
        ("body_weight", 200, "lb", 90.718474, "kg"),
        ("body_weight", 200, "lbs", 90.718474, "kg"),
        ("body_weight", 80500, "g", 80.5, "kg"),
        ("body_weight", 80.5, "kg", 80.5, "kg"),
        ("body_weight", 80.5, "kgs", 80.5, "kg"),
        ("body_temperature", 98.6, "[degF]", 37.0, "Cel"),
        ("body_temperature", 100.4, "F", 38.0, "Cel"),
        ("body_temperature", 100.4, "degF", 38.0, "Cel"),
        ("body_temperature", 100.4, "°F", 38.0, "Cel"),
        ("body_temperature", 37.2, "Cel", 37.2, "Cel"),
        ("body_temperature", 37.2, "C", 37.2, "Cel"),
        ("body_temperature", 37.2, "degC", 37.2, "Cel"),
        ("body_temperature", 37.2, "°C", 37.2, "Cel"),
        ("blood_glucose", 5.5, "mmol/L", 99.088, "mg/dL"),
        ("blood_glucose", 5.5, "mmol/l", 99.088, "mg/dL"),
        ("blood_glucose", 110, "mg/dL", 110.0, "mg/dL"),
        ("blood_glucose", 110, "mg/dl", 110.0, "mg/dL"),
        ("spo2", 0.95, "1", 95.0, "%"),
        ("spo2", 0.95, "fraction", 95.0, "%"),
        ("spo2", 0.95, "{fraction}", 95.0, "%"),
        ("spo2", 97, "%", 97.0, "%"),
        ("spo2", 97, "percent", 97.0, "%"),
        ("heart_rate", 64, "bpm", 64.0, "/min"),
        ("heart_rate", 64, "beats/min", 64.0, "/min"),
        ("heart_rate", 64, "1/min", 64.0, "/min"),
        ("respiratory_rate", 16, "breaths/min", 16.0, "/min"),
        ("systolic_bp", 128, "mmHg", 128.0, "mm[Hg]"),
        ("systolic_bp", 128, "mm[Hg]", 128.0, "mm[Hg]"),
        ("diastolic_bp", 82, "mmhg", 82.0, "mm[Hg]"),
        ("steps", 4200, "steps", 4200.0, "{steps}"),
        ("steps", 4200, "{steps}", 4200.0, "{steps}"),
        ("dose_taken", 1, "dose", 1.0, "{dose}"),
        ("dose_taken", 1, "{dose}", 1.0, "{dose}"),
    ],
)
def test_units_are_converted_to_the_canonical_ucum_unit(patient, now, metric, value, unit, stored_value, stored_unit):
    _, token = make_device(KIND_FOR.get(metric, "multiparameter_monitor"), patient=patient)
    client = Client(headers={"Authorization": f"Device {token}"})
    response = post(client, reading(now, metric=metric, value=value, unit=unit))
    assert response.status_code == 201, response.json()
    stored = Reading.objects.get()
    assert stored.value == pytest.approx(stored_value, abs=1e-6)
    assert stored.unit == stored_unit
