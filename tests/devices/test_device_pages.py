"""The admin device pages: inventory, register, import, the device page and its actions."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from devices.models import Device, DeviceAssignment, IngestRejection, Reading
from devices.services import enrol_device, register_device
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_user
from tests.conftest import signed_in


def device_post(token, now, message_id="m-1", **overrides):
    body = {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    body.update(overrides)
    return Client(headers={"Authorization": f"Device {token}"}).post("/api/v1/readings/", body,
                                                                     content_type="application/json")


def token_on(page_html: str) -> str:
    return re.search(r'id="device-token"[^>]*value="([^"]+)"', page_html).group(1)


def rotate_on_page(client, device) -> str:
    response = client.post(f"/devices/{device.id}/token/")
    assert response.status_code == 200
    return token_on(response.content.decode())


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinicians_get_403_on_every_device_page_and_action(role, patient):
    device, _ = make_device()
    client = signed_in(make_user(f"{role}-p", role=role))
    for url in ["/devices/", "/devices/new/", "/devices/import/", f"/devices/{device.id}/"]:
        assert client.get(url).status_code == 403, url
    for action in ["enrol", "unenrol", "retire", "return", "token", "revoke"]:
        response = client.post(f"/devices/{device.id}/{action}/", {"patient_mrn": patient.mrn, "confirm": "on"})
        assert response.status_code == 403, action
    device.refresh_from_db()
    assert device.status == "inventory"


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get("/devices/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admins_see_the_admin_links_and_nurses_do_not(admin_client, nurse_client):
    assert 'href="/devices/"' in admin_client.get("/devices/").content.decode()
    assert 'href="/devices/"' not in nurse_client.get("/").content.decode()


def test_inventory_shows_each_device_with_its_patient_battery_and_firmware(admin_client, team):
    patient = make_patient(team, mrn="MRN-INV")
    device = register_device(serial="SN-INV", kind="weight_scale", manufacturer="Acme", model="S2")
    Device.objects.filter(pk=device.pk).update(battery_level=15, firmware="1.2.3")
    enrol_device(device=device, patient=patient)
    html = admin_client.get("/devices/").content.decode()
    row = re.search(rf'<tr data-device="{device.id}">(.*?)</tr>', html, re.S).group(1)
    for text in ["SN-INV", "weight scale", "Acme S2", "active", "MRN-INV", "15 %", "low", "1.2.3", "offline"]:
        assert text in row, text


def test_inventory_filters_by_status_kind_search_offline_and_battery(admin_client, team):
    now = dt.datetime.now(dt.UTC)
    patient = make_patient(team, family_name="Filterperson")
    shelf = register_device(serial="SN-SHELF", kind="glucometer")
    out = register_device(serial="SN-OUT", kind="weight_scale")
    enrol_device(device=out, patient=patient)
    Device.objects.filter(pk=out.pk).update(last_seen_at=now - dt.timedelta(hours=48))
    Device.objects.filter(pk=shelf.pk).update(battery_level=5)

    def shown(query):
        html = admin_client.get(f"/devices/?{query}").content.decode()
        return sorted(re.findall(r">(SN-[A-Z]+)</a>", html))

    assert shown("status=active") == ["SN-OUT"]
    assert shown("kind=glucometer") == ["SN-SHELF"]
    assert shown("q=filterperson") == ["SN-OUT"]
    assert shown("offline_hours=24") == ["SN-OUT"]
    assert shown("offline_hours=72") == []
    assert shown("low_battery=on") == ["SN-SHELF"]


def test_register_page_creates_the_device_and_opens_its_page(admin_client):
    response = admin_client.post("/devices/new/", {"serial": "SN-NEW", "kind": "thermometer",
                                                     "manufacturer": "Acme", "model": "T"})
    device = Device.objects.get(serial="SN-NEW")
    assert response.status_code == 302 and response["Location"] == f"/devices/{device.id}/"


def test_register_page_refuses_a_duplicate_serial_with_a_message(admin_client):
    register_device(serial="SN-DUP", kind="thermometer")
    response = admin_client.post("/devices/new/", {"serial": "SN-DUP", "kind": "cgm"})
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert Device.objects.filter(serial="SN-DUP").count() == 1


def test_import_page_reports_every_bad_row_by_line_and_imports_the_rest(admin_client):
    upload = SimpleUploadedFile("devices.csv", b"serial,kind,manufacturer,model\nSN-I1,cgm,A,B\nSN-I2,toaster,A,B\n"
                                                b"SN-I1,cgm,A,B\n", content_type="text/csv")
    html = admin_client.post("/devices/import/", {"file": upload}).content.decode()
    assert "Imported 1 device" in html and "rejected 2 rows" in html
    assert '<tr data-line="3">' in html and '<tr data-line="4">' in html
    assert list(Device.objects.values_list("serial", flat=True)) == ["SN-I1"]


def test_import_page_refuses_a_non_utf8_file_with_a_message(admin_client):
    upload = SimpleUploadedFile("devices.csv", "serial,kind\nSN-\xc9,cgm\n".encode("cp1252"))
    html = admin_client.post("/devices/import/", {"file": upload}).content.decode()
    assert "Nothing was imported" in html and "not UTF-8" in html
    assert not Device.objects.exists()


def test_enrol_through_the_page_by_mrn(admin_client, team):
    patient = make_patient(team, mrn="MRN-E1")
    device = register_device(serial="SN-E", kind="cgm")
    response = admin_client.post(f"/devices/{device.id}/enrol/", {"patient_mrn": "MRN-E1"})
    assert response.status_code == 302
    assert DeviceAssignment.objects.get(device=device, ended_at__isnull=True).patient == patient
    assert "MRN-E1" in admin_client.get(f"/devices/{device.id}/").content.decode()


def test_enrol_with_an_unknown_mrn_shows_the_error_and_changes_nothing(admin_client):
    device = register_device(serial="SN-E2", kind="cgm")
    response = admin_client.post(f"/devices/{device.id}/enrol/", {"patient_mrn": "NOPE"})
    assert response.status_code == 400
    assert "No active patient has MRN NOPE" in response.content.decode()
    assert not DeviceAssignment.objects.exists()


def test_moving_a_device_from_a_to_b_on_the_page_keeps_a_history_and_later_readings_go_to_b(admin_client, team,
                                                                                               now):
    patient_a, patient_b = make_patient(team), make_patient(team)
    device, token = make_device(patient=patient_a)
    assert device_post(token, now, "m-a").status_code == 201
    admin_client.post(f"/devices/{device.id}/enrol/", {"patient_mrn": patient_b.mrn})
    assert device_post(token, now, "m-b").status_code == 201

    assert Reading.objects.get(device_message_id="m-a").patient == patient_a
    assert Reading.objects.get(device_message_id="m-b").patient == patient_b
    html = admin_client.get(f"/devices/{device.id}/").content.decode()
    assert patient_a.mrn in html and patient_b.mrn in html


def test_unenrol_through_the_page(admin_client, patient, now):
    device, token = make_device(patient=patient)
    admin_client.post(f"/devices/{device.id}/unenrol/")
    device.refresh_from_db()
    assert device.status == "inventory"
    assert device_post(token, now).status_code == 409
    assert not Reading.objects.exists()


def test_rotating_on_the_page_shows_the_new_token_once_and_the_old_one_stops(admin_client, patient, now):
    device, old = make_device(patient=patient)
    response = admin_client.post(f"/devices/{device.id}/token/")
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    new = token_on(html)
    assert 'data-copy-target="device-token"' in html and "copy-token.js" in html

    assert device_post(old, now, "m-1").status_code == 401
    assert device_post(new, now, "m-2").status_code == 201
    detail = admin_client.get(f"/devices/{device.id}/").content.decode()
    assert new.split("_", 2)[2] not in detail
    assert new.split("_")[1] in detail


def test_a_token_can_be_revoked_on_the_page_without_a_new_one(admin_client, patient, now):
    device, token = make_device(patient=patient)
    admin_client.post(f"/devices/{device.id}/revoke/")
    assert device_post(token, now).status_code == 401
    assert not device.credentials.filter(revoked_at__isnull=True).exists()


def test_retire_needs_the_confirmation_box(admin_client, patient):
    device, _ = make_device(patient=patient)
    admin_client.post(f"/devices/{device.id}/retire/", {})
    device.refresh_from_db()
    assert device.status == "active"


def test_retiring_on_the_page_stops_the_device_posting(admin_client, patient, now):
    device, token = make_device(patient=patient)
    admin_client.post(f"/devices/{device.id}/retire/", {"confirm": "on"})
    device.refresh_from_db()
    assert device.status == "retired"
    refused = device_post(token, now)
    assert refused.status_code in (401, 403) and refused.json()["error"]
    assert not Reading.objects.exists()
    assert "This device is retired" in admin_client.get(f"/devices/{device.id}/").content.decode()


def test_a_retired_device_cannot_get_a_token_on_the_page(admin_client):
    device, _ = make_device()
    admin_client.post(f"/devices/{device.id}/retire/", {"confirm": "on"})
    response = admin_client.post(f"/devices/{device.id}/token/", follow=True)
    assert "retired device cannot be given a token" in response.content.decode()
    assert not device.credentials.filter(revoked_at__isnull=True).exists()


def test_return_to_inventory_on_the_page_ends_enrolment_and_revokes_the_token(admin_client, patient, now):
    device, token = make_device(patient=patient)
    admin_client.post(f"/devices/{device.id}/return/")
    device.refresh_from_db()
    assert device.status == "inventory"
    assert device_post(token, now).status_code == 401


def test_device_page_shows_history_credentials_readings_and_ingestion_errors(admin_client, patient, now):
    device, token = make_device(patient=patient)
    device_post(token, now, "m-ok", value=77)
    device_post(token, now, "m-bad", value=999)  # no heart beats 999 times a minute: refused
    assert IngestRejection.objects.filter(device=device).exists()
    html = admin_client.get(f"/devices/{device.id}/").content.decode()
    assert patient.mrn in html and "current" in html                   # assignment history
    assert device.credentials.get().prefix in html                      # credential history, prefix only
    assert token.split("_", 2)[2] not in html                           # never the secret
    assert "77 /min" in html                                            # last readings received
    assert "m-bad" in html and "is not a possible heart rate" in html   # ingestion errors


def test_viewing_a_device_page_and_acting_on_it_are_audited(admin_client, admin, patient):
    device, _ = make_device()
    admin_client.get(f"/devices/{device.id}/")
    admin_client.post(f"/devices/{device.id}/enrol/", {"patient_mrn": patient.mrn})
    admin_client.post(f"/devices/{device.id}/token/")
    verbs = list(AuditEvent.objects.filter(actor=admin, object_id=str(device.id)).values_list("verb", flat=True))
    assert {"device.detail", "device.assign", "device.rotate_token"} <= set(verbs)


def test_the_device_page_shows_unit_symbols_not_ucum_codes(admin_client, patient, now):
    device, token = make_device(patient=patient)
    assert device_post(token, now, metric="systolic_bp", value=128, unit="mmHg").status_code == 201
    assert device_post(token, now, "m-2", metric="body_temperature", value=37.2, unit="Cel").status_code == 201

    html = admin_client.get(f"/devices/{device.id}/").content.decode()

    assert "128 mmHg" in html and "37.20 °C" in html
    assert "mm[Hg]" not in html and " Cel<" not in html
