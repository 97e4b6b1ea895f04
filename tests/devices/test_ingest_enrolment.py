"""The reading's patient is the device's current assignment; unassigned and retired devices are refused."""

from django.test import Client

from devices.credentials import issue_token
from devices.models import Reading
from devices.services import enrol_device, retire_device, unenrol_device
from tests.builders import make_device, make_patient


def post_as(token: str, now, message_id: str = "m-1"):
    client = Client(headers={"Authorization": f"Device {token}"})
    body = {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    return client.post("/api/v1/readings/", body, content_type="application/json")


def test_a_retired_device_is_told_it_is_retired_and_nothing_is_stored(device_token, now):
    device, token = device_token
    retire_device(device=device)
    response = post_as(token, now)
    assert response.status_code == 403
    assert "retired" in response.json()["error"]
    assert not Reading.objects.exists()


def test_a_retired_device_given_a_fresh_token_is_still_refused(device_token, now):
    device, _ = device_token
    retire_device(device=device)
    response = post_as(issue_token(device=device), now)
    assert response.status_code == 403
    assert not Reading.objects.exists()


def test_a_device_never_enrolled_is_refused_with_a_clear_error(db, now):
    _, token = make_device()
    response = post_as(token, now)
    assert response.status_code == 409
    assert "not enrolled" in response.json()["error"]
    assert not Reading.objects.exists()


def test_a_device_taken_back_from_its_patient_is_refused(device_token, now):
    device, token = device_token
    unenrol_device(device=device)
    assert post_as(token, now).status_code == 409
    assert not Reading.objects.exists()


def test_a_device_moved_to_another_patient_stores_later_readings_on_the_new_one(team, now):
    first, second = make_patient(team), make_patient(team)
    device, token = make_device(patient=first)
    post_as(token, now, "before-move")
    enrol_device(device=device, patient=second)
    post_as(token, now, "after-move")
    assert list(Reading.objects.filter(patient=first).values_list("device_message_id", flat=True)) == ["before-move"]
    assert list(Reading.objects.filter(patient=second).values_list("device_message_id", flat=True)) == ["after-move"]
