"""The admin device API (DESIGN.md contract): register, list and filter, enrol, credentials, retire."""

import datetime as dt

import pytest
from django.test import Client

from devices.models import Device, DeviceAssignment, Reading
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_user
from tests.conftest import errors_of, token_client


@pytest.fixture
def api(admin):
    return token_client(admin)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def device_post(token, now, message_id="m-1", **overrides):
    body = {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    body.update(overrides)
    return Client(headers={"Authorization": f"Device {token}"}).post("/api/v1/readings/", body,
                                                                     content_type="application/json")


def register(api, serial="SN-1", kind="pulse_oximeter"):
    response = post(api, "/api/v1/devices/", {"serial": serial, "kind": kind, "manufacturer": "Acme", "model": "Ox"})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_register_answers_201_with_the_device_id(api):
    response = post(api, "/api/v1/devices/", {"serial": "SN-1", "kind": "pulse_oximeter", "manufacturer": "Acme",
                                              "model": "Ox"})
    assert response.status_code == 201
    device = Device.objects.get(pk=response.json()["id"])
    assert (device.serial, device.kind, device.status) == ("SN-1", "pulse_oximeter", "inventory")


def test_register_refuses_a_duplicate_serial_naming_the_field(api):
    register(api, "SN-1")
    response = post(api, "/api/v1/devices/", {"serial": "SN-1", "kind": "glucometer"})
    assert response.status_code == 400
    assert "already registered" in errors_of(response)["serial"]
    assert Device.objects.count() == 1


def test_register_refuses_an_unknown_kind_naming_the_field(api):
    response = post(api, "/api/v1/devices/", {"serial": "SN-9", "kind": "toaster"})
    assert response.status_code == 400
    assert "kind" in errors_of(response)
    assert not Device.objects.exists()


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinicians_get_403_on_every_device_endpoint(role, patient):
    device, _ = make_device()
    client = token_client(make_user(f"{role}-x", role=role))
    assert client.get("/api/v1/devices/").status_code == 403
    assert post(client, "/api/v1/devices/", {"serial": "SN-X", "kind": "glucometer"}).status_code == 403
    for action in ["assign", "unassign", "rotate-token", "revoke-token", "retire", "return-to-inventory"]:
        response = post(client, f"/api/v1/devices/{device.id}/{action}/", {"patient": patient.id})
        assert response.status_code == 403, action
    assert client.get("/api/v1/enrolment/patients/").status_code == 403
    device.refresh_from_db()
    assert device.status == "inventory" and not Reading.objects.exists()


def test_anonymous_callers_are_refused(db):
    assert Client().get("/api/v1/devices/").status_code in (401, 403)


def test_assign_enrols_the_device_to_the_patient(api, patient):
    device_id = register(api)
    response = post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["patient"] == {"id": patient.id, "mrn": patient.mrn, "name": patient.name}


def test_assign_to_an_unknown_patient_is_a_400_naming_the_field(api):
    device_id = register(api)
    response = post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": 999999})
    assert response.status_code == 400
    assert "patient" in errors_of(response)
    assert not DeviceAssignment.objects.exists()


def test_assign_to_a_discharged_patient_is_refused(api, team):
    gone = make_patient(team, status="discharged")
    device_id = register(api)
    response = post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": gone.id})
    assert response.status_code == 400
    assert not DeviceAssignment.objects.exists()


def test_enrolment_moves_a_device_from_a_to_b_and_later_readings_land_on_b(api, team, now):
    patient_a, patient_b = make_patient(team), make_patient(team)
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient_a.id})
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]
    assert device_post(token, now, "m-1").status_code == 201

    assert post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient_b.id}).status_code == 200
    assert device_post(token, now, "m-2", value=90).status_code == 201

    assert list(Reading.objects.filter(patient=patient_a).values_list("value", flat=True)) == [72.0]
    assert list(Reading.objects.filter(patient=patient_b).values_list("value", flat=True)) == [90.0]
    history = DeviceAssignment.objects.filter(device_id=device_id).order_by("started_at")
    assert [(a.patient_id, a.ended_at is None) for a in history] == [(patient_a.id, False), (patient_b.id, True)]


def test_unassign_ends_the_enrolment_and_the_device_can_no_longer_post(api, patient, now):
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]

    response = post(api, f"/api/v1/devices/{device_id}/unassign/")
    assert response.status_code == 200
    assert response.json()["patient"] is None and response.json()["status"] == "inventory"
    refused = device_post(token, now)
    assert refused.status_code == 409
    assert "not enrolled" in refused.json()["error"]
    assert not Reading.objects.exists()


def test_rotated_token_fails_and_the_new_one_works(api, patient, now):
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    old = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]
    response = post(api, f"/api/v1/devices/{device_id}/rotate-token/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new = response.json()["token"]

    assert device_post(old, now, "m-1").status_code == 401
    assert device_post(new, now, "m-2").status_code == 201
    assert Reading.objects.get().device_message_id == "m-2"


def test_the_token_is_never_shown_again(api, patient):
    device_id = register(api)
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]
    detail = api.get(f"/api/v1/devices/{device_id}/").content.decode()
    listing = api.get("/api/v1/devices/").content.decode()
    secret = token.split("_", 2)[2]
    assert secret not in detail and secret not in listing
    assert token.split("_")[1] in detail  # the prefix identifies it


def test_revoke_stops_the_token_without_issuing_another(api, patient, now):
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]

    response = post(api, f"/api/v1/devices/{device_id}/revoke-token/")
    assert response.status_code == 200
    assert response.json()["credential"] is None
    assert device_post(token, now).status_code == 401
    assert not Reading.objects.exists()


def test_retired_device_post_is_refused_and_nothing_is_stored(api, patient, now):
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]

    response = post(api, f"/api/v1/devices/{device_id}/retire/")
    assert response.status_code == 200
    assert response.json()["status"] == "retired"
    refused = device_post(token, now)
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]
    assert not Reading.objects.exists()


def test_a_retired_device_cannot_be_enrolled_or_given_a_token(api, patient):
    device_id = register(api)
    post(api, f"/api/v1/devices/{device_id}/retire/")
    enrol = post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    rotate = post(api, f"/api/v1/devices/{device_id}/rotate-token/")
    assert enrol.status_code == 409 and "retired" in errors_of(enrol)["status"]
    assert rotate.status_code == 409 and "retired" in errors_of(rotate)["status"]
    assert not DeviceAssignment.objects.exists()


def test_return_to_inventory_ends_the_enrolment_and_revokes_the_token(api, patient, now):
    device_id = register(api, kind="multiparameter_monitor")
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    token = post(api, f"/api/v1/devices/{device_id}/rotate-token/").json()["token"]

    response = post(api, f"/api/v1/devices/{device_id}/return-to-inventory/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["patient"], response.json()["credential"]) == (
        "inventory", None, None)
    assert device_post(token, now).status_code == 401


def test_unknown_device_is_a_404(api):
    assert post(api, "/api/v1/devices/424242/retire/").status_code == 404


def listed_serials(api, query=""):
    response = api.get(f"/api/v1/devices/{query}")
    assert response.status_code == 200, response.json()
    return sorted(d["serial"] for d in response.json()["results"])


def test_list_filters_by_status_and_kind(api, patient):
    register(api, "SN-OX", "pulse_oximeter")
    scale_id = register(api, "SN-SCALE", "weight_scale")
    post(api, f"/api/v1/devices/{scale_id}/assign/", {"patient": patient.id})
    assert listed_serials(api, "?status=active") == ["SN-SCALE"]
    assert listed_serials(api, "?kind=pulse_oximeter") == ["SN-OX"]


def test_list_filters_devices_offline_for_more_than_n_hours(api, patient):
    now = dt.datetime.now(dt.UTC)
    fresh, stale, never = (register(api, s, "weight_scale") for s in ("SN-FRESH", "SN-STALE", "SN-NEVER"))
    for device_id in (fresh, stale, never):
        post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    Device.objects.filter(pk=fresh).update(last_seen_at=now - dt.timedelta(hours=1))
    Device.objects.filter(pk=stale).update(last_seen_at=now - dt.timedelta(hours=30))
    register(api, "SN-SHELF", "weight_scale")  # in inventory: never "offline"
    assert listed_serials(api, "?offline_hours=24") == ["SN-NEVER", "SN-STALE"]


def test_list_filters_low_battery(api):
    low, ok = register(api, "SN-LOW"), register(api, "SN-OK")
    Device.objects.filter(pk=low).update(battery_level=12)
    Device.objects.filter(pk=ok).update(battery_level=80)
    assert listed_serials(api, "?low_battery=true") == ["SN-LOW"]


def test_list_searches_by_serial_or_patient(api, team):
    patient = make_patient(team, family_name="Searchable", mrn="MRN-777")
    enrolled = register(api, "SN-AAA")
    register(api, "SN-BBB")
    post(api, f"/api/v1/devices/{enrolled}/assign/", {"patient": patient.id})
    assert listed_serials(api, "?search=bbb") == ["SN-BBB"]
    assert listed_serials(api, "?search=MRN-777") == ["SN-AAA"]
    assert listed_serials(api, "?search=searchable") == ["SN-AAA"]


def test_a_bad_filter_is_a_400_naming_the_field(api):
    response = api.get("/api/v1/devices/?offline_hours=soon")
    assert response.status_code == 400
    assert "offline_hours" in errors_of(response)


def test_enrolment_patients_lists_active_patients_by_identifiers_only(api, team):
    active = make_patient(team, family_name="Present")
    make_patient(team, family_name="Gone", status="discharged")
    response = api.get("/api/v1/enrolment/patients/")
    assert response.status_code == 200
    assert response.json() == [{"id": active.id, "mrn": active.mrn, "name": active.name}]


def test_every_device_action_is_audited_with_the_admin_and_patient(api, admin, patient):
    device_id = register(api)
    post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
    post(api, f"/api/v1/devices/{device_id}/rotate-token/")
    post(api, f"/api/v1/devices/{device_id}/revoke-token/")
    post(api, f"/api/v1/devices/{device_id}/unassign/")
    post(api, f"/api/v1/devices/{device_id}/retire/")
    events = AuditEvent.objects.filter(actor=admin, object_id=str(device_id))
    verbs = set(events.values_list("verb", flat=True))
    assert {"device.register", "device.assign", "device.rotate_token", "device.revoke_token", "device.unassign",
            "device.retire"} <= verbs
    assert events.get(verb="device.assign").patient == patient


def test_csv_import_through_the_api_reports_rows(api):
    body = "serial,kind,manufacturer,model\nSN-C1,glucometer,Acme,G1\nSN-C2,toaster,Acme,T\n"
    response = api.post("/api/v1/devices/import/", body, content_type="text/csv")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1
    [error] = body["errors"]
    assert (error["line"], error["serial"]) == (3, "SN-C2")
    assert "unknown kind" in error["reason"]


def test_csv_import_through_the_api_refuses_a_non_utf8_file_with_400(api):
    response = api.post("/api/v1/devices/import/", b"serial,kind\nSN-\xe9,cgm\n",
                        content_type="text/csv")
    assert response.status_code == 400
    assert "not UTF-8" in errors_of(response)["file"]
    assert not Device.objects.exists()


def test_listing_costs_the_same_queries_for_many_devices_as_for_one(api, patient, django_assert_max_num_queries):
    for n in range(30):
        device_id = register(api, f"SN-Q{n:02d}", "weight_scale")
        post(api, f"/api/v1/devices/{device_id}/assign/", {"patient": patient.id})
        post(api, f"/api/v1/devices/{device_id}/rotate-token/")
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/devices/")
    assert response.json()["count"] == 30
    assert all(d["patient"]["id"] == patient.id and d["credential"] for d in response.json()["results"])
