"""Django admin: admins run devices and care teams there and get no clinical data; the emergency superuser
reads clinical models, changes none of them, and is audited."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from devices.models import Reading
from patients.models import Patient
from rpm.models import AuditEvent
from tests.builders import make_device, make_user
from tests.conftest import signed_in
from tests.readings import add_readings

CLINICAL = ["devices/reading", "devices/ingestrejection", "alerts/alert", "alerts/alertrule", "patients/patient",
            "patients/monitoringplan"]


@pytest.fixture
def staff_admin(db):
    user = make_user("admin-ops", role="admin")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="emergency-only-123")


@pytest.fixture
def reading(patient):
    device, _ = make_device(patient=patient)
    add_readings(patient, "heart_rate", [(dt.datetime(2026, 1, 10, tzinfo=dt.UTC), 71)], device=device)
    return Reading.objects.get(patient=patient)


@pytest.mark.parametrize("model", CLINICAL)
def test_an_admin_gets_no_clinical_list_in_django_admin(staff_admin, patient, reading, model):
    assert signed_in(staff_admin).get(f"/django-admin/{model}/").status_code == 403


def test_an_admin_can_neither_read_nor_change_a_reading(staff_admin, reading):
    client = signed_in(staff_admin)
    assert client.get(f"/django-admin/devices/reading/{reading.pk}/change/").status_code == 403
    client.post(f"/django-admin/devices/reading/{reading.pk}/change/", {"value": "200"})
    assert Reading.objects.get(pk=reading.pk).value == 71


def test_the_admin_index_lists_devices_and_care_teams_but_no_clinical_model(staff_admin):
    html = signed_in(staff_admin).get("/django-admin/").content.decode()
    assert "/django-admin/devices/device/" in html and "/django-admin/patients/careteam/" in html
    for model in CLINICAL:
        assert f"/django-admin/{model}/\"" not in html
    assert signed_in(staff_admin).get("/django-admin/devices/device/").status_code == 200


def test_an_admin_admits_a_patient_audited_and_cannot_open_it_afterwards(staff_admin, team):
    client = signed_in(staff_admin)
    response = client.post("/django-admin/patients/patient/add/", {
        "mrn": "ADMIT-1", "given_name": "Testy", "family_name": "Admitted", "birth_date": "1950-01-01",
        "sex": "female", "timezone": "Europe/London", "conditions": "hypertension", "status": "active",
        "care_team": team.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get(mrn="ADMIT-1")
    assert AuditEvent.objects.filter(actor=staff_admin, verb="patient.admit", patient=patient).exists()
    assert client.get(f"/django-admin/patients/patient/{patient.pk}/change/").status_code == 403


def test_the_emergency_superuser_reads_a_reading_audited_with_its_patient(root, reading):
    client = signed_in(root)
    assert client.get("/django-admin/devices/reading/").status_code == 200
    assert client.get(f"/django-admin/devices/reading/{reading.pk}/change/").status_code == 200
    assert AuditEvent.objects.filter(actor=root, verb="django_admin.list").exists()
    assert AuditEvent.objects.filter(actor=root, verb="django_admin.view", patient_id=reading.patient_id,
                                     object_id=str(reading.pk)).exists()


def test_the_emergency_superuser_cannot_change_a_reading(root, reading):
    client = signed_in(root)
    assert client.post(f"/django-admin/devices/reading/{reading.pk}/change/", {"value": "200"}).status_code == 403
    assert client.post(f"/django-admin/devices/reading/{reading.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Reading.objects.get(pk=reading.pk).value == 71
