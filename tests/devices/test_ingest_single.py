import pytest
from django.test import Client

from devices.models import Reading
from tests.builders import make_device

KIND_FOR = {"body_weight": "weight_scale", "blood_glucose": "glucometer", "body_temperature": "thermometer"}


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


def test_same_id_twice_is_stored_once(device_client, now):
    assert post(device_client, reading(now)).status_code == 201
    second = post(device_client, reading(now, value=80))
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert Reading.objects.get().value == 72.0


@pytest.mark.parametrize(
    ("metric", "value", "unit", "stored_value", "stored_unit"),
    [
        ("body_weight", 200, "[lb_av]", 90.718474, "kg"),
        ("body_weight", 200, "lbs", 90.718474, "kg"),
        ("body_weight", 80500, "g", 80.5, "kg"),
        ("body_temperature", 98.6, "[degF]", 37.0, "Cel"),
        ("body_temperature", 100.4, "F", 38.0, "Cel"),
        ("body_temperature", 37.2, "C", 37.2, "Cel"),
        ("blood_glucose", 5.5, "mmol/L", 99.088, "mg/dL"),
        ("spo2", 0.95, "1", 95.0, "%"),
        ("heart_rate", 64, "bpm", 64.0, "/min"),
        ("systolic_bp", 128, "mmHg", 128.0, "mm[Hg]"),
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
