import pytest
from django.test import Client

from devices.credentials import authenticate_device, issue_token, revoke_tokens
from devices.models import DeviceCredential, Reading


def post_as(token: str, now, message_id: str = "m-1"):
    client = Client(headers={"Authorization": f"Device {token}"})
    body = {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    return client.post("/api/v1/readings/", body, content_type="application/json")


def test_only_a_hash_of_the_secret_is_stored(device_token):
    device, token = device_token
    secret = token.split("_", 2)[2]  # rpmd_<prefix>_<secret>: the secret itself may contain "_"
    credential = DeviceCredential.objects.get(device=device)
    assert secret not in credential.secret_hash
    assert token.startswith(f"rpmd_{credential.prefix}_")


def test_a_valid_token_authenticates_its_device_and_patient(device_token, patient):
    device, token = device_token
    found = authenticate_device(token)
    assert (found.device_id, found.patient_id, found.kind) == (device.pk, patient.pk, device.kind)


@pytest.mark.parametrize("header", [None, "", "Device", "Device ", "Bearer rpmd_abc_def", "Token rpmd_abc_def",
                                    "Device not-a-token", "Device rpmd_only-two-parts", "Device xxxx_abc_def"])
def test_a_missing_or_malformed_credential_is_refused(db, now, header):
    client = Client(headers={"Authorization": header} if header is not None else {})
    response = client.post("/api/v1/readings/", {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"


def test_an_unknown_token_is_refused(device_token, now):
    response = post_as("rpmd_000000000000_" + "x" * 43, now)
    assert response.status_code == 401
    assert not Reading.objects.exists()


def test_the_right_prefix_with_the_wrong_secret_is_refused(device_token, now):
    _, token = device_token
    response = post_as(token[:-4] + "AAAA", now)
    assert response.status_code == 401
    assert not Reading.objects.exists()


def test_a_revoked_token_is_refused(device_token, now):
    device, token = device_token
    revoke_tokens(device=device)
    response = post_as(token, now)
    assert response.status_code == 401
    assert response.json()["error"] == "unknown or revoked device credential"
    assert not Reading.objects.exists()


def test_after_rotation_the_old_token_is_refused(device_token, now):
    device, old = device_token
    issue_token(device=device)
    assert post_as(old, now).status_code == 401


def test_after_rotation_the_new_token_works(device_token, now):
    device, _ = device_token
    new = issue_token(device=device)
    assert post_as(new, now).status_code == 201


def test_a_successful_post_records_when_the_credential_was_used(device_token, now):
    device, token = device_token
    post_as(token, now)
    assert DeviceCredential.objects.get(device=device).last_used_at is not None
