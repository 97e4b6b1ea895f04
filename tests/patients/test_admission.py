"""Admission, the monitoring plan, pause, resume and discharge: the services clinicians' pages call."""

import datetime as dt

import pytest

from devices.models import Device, DeviceAssignment, DeviceCredential
from patients import admission
from patients.admission import Admission, PlannedMeasurement, PlannedMedication
from patients.models import MedicationSchedule, Patient
from rpm.errors import InvalidInput, NotAllowed, WrongState
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_team, make_user

pytestmark = pytest.mark.django_db


def an_admission(team, **changes) -> Admission:
    fields = dict(mrn="ADMIT-0001", given_name="Ann", family_name="Fakeadmit", birth_date=dt.date(1948, 3, 2),
                  sex="female", timezone="Europe/London", conditions=["heart_failure"], care_team_id=team.id)
    fields.update(changes)
    return Admission(**fields)


def test_a_nurse_admits_a_patient_to_her_team_active_with_an_empty_plan_and_audited(team, nurse):
    patient = admission.admit_patient(admission=an_admission(team), by=nurse)

    assert (patient.status, patient.care_team, patient.conditions) == ("active", team, ["heart_failure"])
    assert admission.plan_of(patient) == {"measurements": [], "medications": []}
    event = AuditEvent.objects.get(verb="patient.admit")
    assert (event.actor, event.patient, event.action) == (nurse, patient, "create")


def test_admission_to_another_team_is_refused_naming_the_care_team(team, nurse):
    other = make_team("Ward B")
    with pytest.raises(InvalidInput) as error:
        admission.admit_patient(admission=an_admission(other), by=nurse)
    assert "care_team" in error.value.errors
    assert not Patient.objects.exists()


def test_admission_names_every_bad_field_and_stores_nothing(team, nurse):
    make_patient(team, mrn="TAKEN-1")
    bad = an_admission(team, mrn="TAKEN-1", given_name=" ", birth_date=dt.date.today() + dt.timedelta(days=1),
                       sex="x", timezone="Mars/Olympus", conditions=["gout"])
    with pytest.raises(InvalidInput) as error:
        admission.admit_patient(admission=bad, by=nurse)
    assert set(error.value.errors) == {"mrn", "given_name", "birth_date", "sex", "timezone", "conditions"}
    assert "TAKEN-1 is already registered" in error.value.errors["mrn"]
    assert Patient.objects.count() == 1


def test_a_born_today_patient_is_admitted_and_one_born_tomorrow_is_not(team, nurse):
    admission.admit_patient(admission=an_admission(team, birth_date=dt.date.today()), by=nurse)
    with pytest.raises(InvalidInput):
        admission.admit_patient(admission=an_admission(team, mrn="ADMIT-2",
                                                       birth_date=dt.date.today() + dt.timedelta(days=1)), by=nurse)


def test_the_plan_is_set_with_a_reason_and_audited_before_and_after(patient, nurse):
    admission.set_monitoring_plan(
        patient=patient, by=nurse, reason="heart failure: daily weights",
        measurements=[PlannedMeasurement("body_weight", 1, dt.time(10, 0), 26)],
        medications=[PlannedMedication("Furosemide", "40 mg", [dt.time(20, 0), dt.time(8, 0)], 90)])

    plan = admission.plan_of(patient)
    assert plan["measurements"] == [{"metric": "body_weight", "per_day": 1, "due_by": "10:00",
                                     "stale_after_hours": 26}]
    assert plan["medications"][0]["times"] == ["08:00", "20:00"]
    event = AuditEvent.objects.get(verb="patient.plan")
    assert event.detail["reason"] == "heart failure: daily weights"
    assert event.detail["before"] == {"measurements": [], "medications": []}
    assert event.detail["after"] == plan


def test_an_unchanged_medication_keeps_its_start_day_and_a_removed_one_goes(patient, nurse):
    keep = [PlannedMedication("Ramipril", "5 mg", [dt.time(8)], 120)]
    admission.set_monitoring_plan(patient=patient, by=nurse, reason="start", measurements=[],
                                  medications=keep + [PlannedMedication("Aspirin", "75 mg", [dt.time(9)], 60)])
    MedicationSchedule.objects.filter(drug="Ramipril").update(starts_on=dt.date(2026, 1, 1))

    admission.set_monitoring_plan(patient=patient, by=nurse, reason="aspirin stopped", measurements=[],
                                  medications=keep)

    assert list(MedicationSchedule.objects.values_list("drug", "starts_on")) == [("Ramipril", dt.date(2026, 1, 1))]


def test_a_plan_without_a_reason_or_with_bad_rows_changes_nothing(patient, nurse):
    with pytest.raises(InvalidInput) as error:
        admission.set_monitoring_plan(
            patient=patient, by=nurse, reason=" ",
            measurements=[PlannedMeasurement("spo2", 0, dt.time(9)), PlannedMeasurement("spo2", 49, dt.time(9))],
            medications=[PlannedMedication("", "1 mg", [], 0)])
    assert set(error.value.errors) == {"reason", "measurements.0.per_day", "measurements.1.metric",
                                       "measurements.1.per_day", "medications.0.drug", "medications.0.times",
                                       "medications.0.window_minutes"}
    assert admission.plan_of(patient) == {"measurements": [], "medications": []}
    assert not AuditEvent.objects.filter(verb="patient.plan").exists()


def test_the_readings_a_day_bounds_are_1_and_48(patient, nurse):
    for per_day in (1, 48):
        admission.set_monitoring_plan(patient=patient, by=nurse, reason="r", medications=[],
                                      measurements=[PlannedMeasurement("spo2", per_day, dt.time(9))])
    with pytest.raises(InvalidInput):
        admission.set_monitoring_plan(patient=patient, by=nurse, reason="r", medications=[],
                                      measurements=[PlannedMeasurement("spo2", 49, dt.time(9))])


def test_a_clinician_of_another_team_may_not_change_the_plan_or_the_status(patient):
    stranger = make_user("nurse-b", team=make_team("Ward B"))
    with pytest.raises(NotAllowed):
        admission.set_monitoring_plan(patient=patient, by=stranger, reason="r", measurements=[], medications=[])
    with pytest.raises(NotAllowed):
        admission.pause_monitoring(patient=patient, by=stranger, reason="r")


def test_pause_and_resume_need_a_reason_and_the_right_status_and_are_audited(patient, nurse):
    with pytest.raises(InvalidInput) as error:
        admission.pause_monitoring(patient=patient, by=nurse, reason="")
    assert set(error.value.errors) == {"reason"}
    with pytest.raises(WrongState):
        admission.resume_monitoring(patient=patient, by=nurse, reason="home")

    admission.pause_monitoring(patient=patient, by=nurse, reason="in hospital")
    assert Patient.objects.get(pk=patient.pk).status == "paused"
    admission.resume_monitoring(patient=patient, by=nurse, reason="home again")

    assert Patient.objects.get(pk=patient.pk).status == "active"
    assert [(e.verb, e.detail["reason"]) for e in AuditEvent.objects.order_by("at", "id")] == [
        ("patient.pause", "in hospital"), ("patient.resume", "home again")]


def test_discharge_returns_every_enrolled_device_to_inventory_with_its_token_revoked(patient, physician):
    device, _ = make_device(patient=patient)

    admission.discharge_patient(patient=patient, by=physician, reason="programme complete")

    assert Patient.objects.get(pk=patient.pk).status == "discharged"
    assert Device.objects.get(pk=device.pk).status == "inventory"
    assert not DeviceAssignment.objects.filter(device=device, ended_at__isnull=True).exists()
    assert not DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).exists()
    assert {"patient.discharge", "device.return_to_inventory"} <= set(AuditEvent.objects.values_list("verb",
                                                                                                     flat=True))
    with pytest.raises(WrongState):
        admission.discharge_patient(patient=patient, by=physician, reason="again")
