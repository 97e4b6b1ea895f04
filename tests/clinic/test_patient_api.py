"""The staff patient API: care-team scoping on every patient endpoint, roles, token auth and the audit trail."""

import datetime as dt

import pytest
from django.test import Client

from devices.ingest import ingest
from devices.models import Reading
from rpm.models import AuditEvent
from tests.builders import PASSWORD, make_patient, make_team, make_user
from tests.conftest import errors_of, signed_in

PER_PATIENT = [
    "/api/v1/patients/{id}/",
    "/api/v1/patients/{id}/readings/?metric=heart_rate",
    "/api/v1/patients/{id}/export/csv/",
    "/api/v1/patients/{id}/export/fhir/",
]
MISSING_ID = 999_999_999


@pytest.fixture
def other_patient(db):
    return make_patient(make_team("Ward B"), given_name="Other")


def test_patient_list_shows_only_the_callers_care_team(nurse, patient, other_patient):
    response = signed_in(nurse).get("/api/v1/patients/")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [patient.id]


def test_nurses_on_different_teams_see_different_patients(nurse, patient, other_patient):
    other_nurse = make_user("nurse-b", role="nurse", team=other_patient.care_team)
    response = signed_in(other_nurse).get("/api/v1/patients/")
    assert [p["id"] for p in response.json()] == [other_patient.id]


@pytest.mark.parametrize("path", PER_PATIENT)
def test_another_teams_patient_is_a_404_exactly_like_a_missing_one(nurse, other_patient, path):
    client = signed_in(nurse)
    foreign = client.get(path.format(id=other_patient.id))
    missing = client.get(path.format(id=MISSING_ID))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


@pytest.mark.parametrize("path", PER_PATIENT)
def test_own_patient_endpoints_answer_200(nurse, patient, path):
    assert signed_in(nurse).get(path.format(id=patient.id)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/patients/", *PER_PATIENT])
def test_admins_get_403_on_clinical_data(patient, path):
    admin = make_user("admin-x", role="admin")
    response = signed_in(admin).get(path.format(id=patient.id))
    assert response.status_code == 403
    assert errors_of(response) == {None: "only nurses and physicians may see patient data"}


@pytest.mark.parametrize("path", ["/api/v1/patients/", *PER_PATIENT])
def test_anonymous_callers_are_refused(patient, path):
    assert Client().get(path.format(id=patient.id)).status_code in (401, 403)


@pytest.mark.parametrize("path", PER_PATIENT)
def test_each_patient_view_writes_an_audit_event_naming_the_patient(nurse, patient, path):
    signed_in(nurse).get(path.format(id=patient.id))
    event = AuditEvent.objects.exclude(action=AuditEvent.Action.LOGIN).get(actor=nurse)
    assert event.patient_id == patient.id
    assert event.action in (AuditEvent.Action.VIEW, AuditEvent.Action.EXPORT)


def test_patient_list_writes_an_audit_event(nurse, patient):
    signed_in(nurse).get("/api/v1/patients/")
    assert AuditEvent.objects.filter(actor=nurse, verb="patient.list").count() == 1


def test_refused_views_write_no_audit_event_about_the_foreign_patient(nurse, other_patient):
    signed_in(nurse).get(f"/api/v1/patients/{other_patient.id}/")
    assert not AuditEvent.objects.filter(patient=other_patient).exists()


def test_token_from_auth_endpoint_opens_the_api(nurse, patient):
    response = Client().post("/api/v1/auth/token/", {"username": nurse.username, "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200
    token = response.json()["token"]
    listed = Client(headers={"Authorization": f"Token {token}"}).get("/api/v1/patients/")
    assert [p["id"] for p in listed.json()] == [patient.id]


def test_wrong_password_gets_no_token(nurse):
    response = Client().post("/api/v1/auth/token/", {"username": nurse.username, "password": "wrong-password"},
                             content_type="application/json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_patient_detail_includes_the_latest_value_of_each_metric(nurse, patient, now):
    readings = [
        {"id": "a", "metric": "heart_rate", "value": 70, "unit": "/min", "measured_at": now - dt.timedelta(hours=2)},
        {"id": "b", "metric": "heart_rate", "value": 88, "unit": "/min", "measured_at": now - dt.timedelta(hours=1)},
        {"id": "c", "metric": "body_weight", "value": 180, "unit": "[lb_av]", "measured_at": now},
    ]
    ingest(patient_id=patient.id, items=readings, source=Reading.Source.MANUAL)
    latest = signed_in(nurse).get(f"/api/v1/patients/{patient.id}/").json()["latest"]
    assert latest["heart_rate"]["value"] == 88
    assert latest["body_weight"]["value"] == pytest.approx(81.6, abs=0.1)
    assert latest["body_weight"]["unit"] == "kg"
    assert set(latest) == {"heart_rate", "body_weight"}
