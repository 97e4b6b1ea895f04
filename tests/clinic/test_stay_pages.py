"""The patient list, admission, plan and status pages: scoped to the care team, audited, errors named."""

import datetime as dt

import pytest

from alerts import engine
from alerts.models import Alert
from patients.admission import PlannedMeasurement, pause_monitoring, resume_monitoring, set_monitoring_plan
from patients.models import Patient
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_patient_list_shows_each_team_of_the_user_with_every_status_and_is_audited(team, nurse, nurse_client):
    active = make_patient(team, family_name="Activeperson")
    gone = make_patient(team, family_name="Goneperson", status="discharged")
    theirs = make_patient(make_team("Ward B"), family_name="Otherward")

    html = nurse_client.get("/patients/").content.decode()

    assert f'data-patient-row="{active.id}"' in html and f'data-patient-row="{gone.id}"' in html
    assert 'data-status="discharged"' in html
    assert theirs.family_name not in html
    assert f'href="/patients/{active.id}/"' in html
    assert AuditEvent.objects.get(verb="patient.list").detail == {"count": 2}


def test_an_admin_sees_no_patient_list(admin_client):
    assert admin_client.get("/patients/").status_code == 404


def test_admitting_through_the_form_lands_on_the_plan_page(team, nurse_client):
    response = nurse_client.post("/patients/admit/", {
        "mrn": "FORM-1", "given_name": "Fay", "family_name": "Formperson", "birth_date": "1950-02-03",
        "sex": "female", "timezone": "Europe/Paris", "conditions": ["copd", "diabetes"], "care_team": team.id})

    patient = Patient.objects.get(mrn="FORM-1")
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.id}/plan/"
    assert (patient.timezone, patient.conditions, patient.care_team) == ("Europe/Paris", ["copd", "diabetes"], team)


def test_a_bad_admission_answers_400_naming_the_fields(team, nurse_client):
    response = nurse_client.post("/patients/admit/", {"mrn": "", "given_name": "A", "family_name": "B",
                                                      "birth_date": "3 May", "sex": "female",
                                                      "timezone": "UTC", "care_team": team.id})
    assert response.status_code == 400
    assert "birth_date: &#x27;3 May&#x27; is not a date (YYYY-MM-DD)" in response.content.decode()
    assert not Patient.objects.exists()


def test_the_plan_form_saves_measurements_and_medications(patient, nurse_client):
    response = nurse_client.post(f"/patients/{patient.id}/plan/", {
        "expect_systolic_bp": "1", "per_day_systolic_bp": "2", "due_by_systolic_bp": "09:30",
        "stale_systolic_bp": "12", "med-0-drug": "Amlodipine", "med-0-dose": "5 mg",
        "med-0-times": "08:00, 20:00", "med-0-window": "60", "med-1-drug": "", "med-1-dose": "",
        "reason": "new hypertension plan"})

    assert response.status_code == 302
    plan = patient.plan
    assert [(e.metric, e.per_day, e.due_by.strftime("%H:%M"), e.stale_after_hours)
            for e in plan.expected_measurements.all()] == [("systolic_bp", 2, "09:30", 12)]
    assert [(m.drug, [t.strftime("%H:%M") for t in m.times], m.window_minutes)
            for m in plan.medications.all()] == [("Amlodipine", ["08:00", "20:00"], 60)]


def test_a_bad_dose_time_answers_400_naming_the_row_and_keeps_what_was_typed(patient, nurse_client):
    response = nurse_client.post(f"/patients/{patient.id}/plan/", {
        "med-0-drug": "Amlodipine", "med-0-dose": "5 mg", "med-0-times": "8am", "reason": "r"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-error="medications.0.times"' in html and "&#x27;8am&#x27; is not a time" in html
    assert 'value="Amlodipine"' in html
    assert not patient.plan.medications.exists()


@pytest.mark.parametrize("path", ["plan/", "pause/", "resume/", "discharge/"])
def test_another_teams_patient_is_a_404_on_every_stay_page(path, nurse_client):
    theirs = make_patient(make_team("Ward B"))
    assert nurse_client.post(f"/patients/{theirs.id}/{path}", {"reason": "r"}).status_code == 404
    assert Patient.objects.get(pk=theirs.pk).status == "active"


def test_pause_without_a_reason_is_400_and_a_discharged_patient_cannot_be_paused_409(patient, nurse_client):
    assert nurse_client.post(f"/patients/{patient.id}/pause/", {"reason": ""}).status_code == 400
    Patient.objects.filter(pk=patient.pk).update(status="discharged")
    assert nurse_client.post(f"/patients/{patient.id}/pause/", {"reason": "x"}).status_code == 409


def test_a_paused_patient_is_shown_paused_on_the_patient_page(patient, nurse, nurse_client):
    assert nurse_client.post(f"/patients/{patient.id}/pause/", {"reason": "in hospital"}).status_code == 302
    html = nurse_client.get(f"/patients/{patient.id}/").content.decode()
    assert "Monitoring paused: no missing-data or adherence alerts." in html


def test_the_plan_page_view_is_audited_and_links_to_the_news2_settings(patient, physician):
    html = signed_in(physician).get(f"/patients/{patient.id}/plan/").content.decode()
    assert f'href="/patients/{patient.id}/#news2-settings"' in html
    assert AuditEvent.objects.filter(verb="patient.plan", action="view", patient=patient).exists()


def test_a_paused_patient_raises_no_missing_data_alert_and_one_resumed_does(team, nurse, default_rules):
    patient = make_patient(team, timezone="UTC")
    set_monitoring_plan(patient=patient, by=nurse, reason="r", medications=[],
                        measurements=[PlannedMeasurement("body_weight", 1, dt.time(9, 0))])
    late = dt.datetime.now(dt.UTC).replace(hour=23, minute=0, second=0, microsecond=0)
    pause_monitoring(patient=patient, by=nurse, reason="in hospital")

    engine.check_missing_data(now=late)
    assert not Alert.objects.filter(patient=patient).exists()

    resume_monitoring(patient=patient, by=nurse, reason="home")
    engine.check_missing_data(now=late)
    assert Alert.objects.get(patient=patient).rule.kind == "missing_data"
