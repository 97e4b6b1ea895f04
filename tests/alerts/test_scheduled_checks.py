"""Beat checks with an injected clock: missing measurements, missed doses, device health."""

import datetime as dt
import zoneinfo

import pytest

from alerts import engine
from alerts.models import Alert
from alerts.selectors import days_covered
from devices.models import Device
from patients.models import ExpectedMeasurement, MedicationSchedule, Patient
from tests.builders import make_device, make_patient
from tests.readings import store

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def local(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def bp_patient(team, default_rules):
    patient = make_patient(team, timezone="America/New_York")
    Patient.objects.filter(pk=patient.pk).update(created_at=local(1, 0))
    patient.refresh_from_db()
    ExpectedMeasurement.objects.create(plan=patient.plan, metric="systolic_bp", per_day=1, due_by=dt.time(20, 0))
    return patient


def test_no_blood_pressure_by_20_00_patient_local_raises_a_low_alert(bp_patient):
    assert engine.check_missing_data(now=local(22, 19, 59)).opened == 0
    engine.check_missing_data(now=local(22, 20, 0))
    alert = Alert.objects.get(patient=bp_patient)
    assert alert.severity == "low"
    assert alert.explanation == "No systolic blood pressure reading today by 20:00 (1 expected)."


def test_the_missing_data_alert_resolves_when_the_plan_stops_expecting_the_metric(bp_patient):
    engine.check_missing_data(now=local(22, 20, 5))
    ExpectedMeasurement.objects.filter(plan=bp_patient.plan).delete()

    engine.check_missing_data(now=local(22, 20, 40))

    alert = Alert.objects.get(patient=bp_patient)
    assert alert.state == "resolved"
    assert alert.resolution == ("Resolved automatically: the monitoring plan no longer expects systolic blood "
                                "pressure.")


def test_the_alert_stays_while_the_plan_still_expects_the_metric(bp_patient):
    engine.check_missing_data(now=local(22, 20, 5))
    engine.check_missing_data(now=local(22, 20, 40))
    assert Alert.objects.get(patient=bp_patient).state == "open"


def test_a_reading_earlier_that_local_day_meets_the_expectation(bp_patient):
    store(bp_patient, [("systolic_bp", 130, local(22, 8))], now=local(22, 8, 1))
    engine.check_missing_data(now=local(22, 21))
    assert not Alert.objects.exists()


def test_running_the_missing_data_check_again_changes_nothing(bp_patient):
    engine.check_missing_data(now=local(22, 20, 5))
    before = list(Alert.objects.values())
    engine.check_missing_data(now=local(22, 20, 10))
    assert list(Alert.objects.values()) == before


def test_the_missing_data_alert_resolves_when_the_reading_arrives(bp_patient):
    engine.check_missing_data(now=local(22, 20, 5))
    Alert.objects.update(opened_at=local(22, 20, 5))
    store(bp_patient, [("systolic_bp", 128, local(22, 20, 30))], now=local(22, 20, 31))
    from devices.models import Reading
    Reading.objects.update(received_at=local(22, 20, 31))
    engine.check_missing_data(now=local(22, 20, 40))
    alert = Alert.objects.get()
    assert alert.state == "resolved"
    assert alert.resolution == "Resolved automatically: the missing readings arrived (Systolic blood pressure)."


@pytest.fixture
def dose_patient(team, default_rules):
    patient = make_patient(team, timezone="America/New_York")
    Patient.objects.filter(pk=patient.pk).update(created_at=local(1, 0))
    patient.refresh_from_db()
    MedicationSchedule.objects.create(plan=patient.plan, drug="Lisinopril", dose="10 mg", times=[dt.time(8, 0)],
                                      window_minutes=120, starts_on=dt.date(2026, 11, 1))
    return patient


def take(patient, at):
    store(patient, [("dose_taken", 1, at)], now=at)


def test_a_dose_not_taken_by_the_end_of_its_window_is_a_low_alert(dose_patient):
    take(dose_patient, local(20, 8))
    take(dose_patient, local(21, 8))
    assert engine.check_medication_adherence(now=local(22, 9, 59)).opened == 0
    engine.check_medication_adherence(now=local(22, 10, 0))
    alert = Alert.objects.get()
    assert alert.severity == "low"
    assert alert.explanation == ("Missed dose: Lisinopril 10 mg due 08:00 on Sun 22 Nov not taken "
                                 "(no dispenser event within 120 min).")


def test_two_missed_doses_in_a_row_make_it_medium(dose_patient):
    take(dose_patient, local(20, 8))
    engine.check_medication_adherence(now=local(22, 10, 0))
    alert = Alert.objects.get()
    assert alert.severity == "medium" and "2 missed in a row" in alert.explanation


def test_a_dose_taken_at_the_edge_of_its_window_counts(dose_patient):
    take(dose_patient, local(20, 8))
    take(dose_patient, local(21, 8))
    take(dose_patient, local(22, 10, 0))
    engine.check_medication_adherence(now=local(22, 10, 1))
    assert not Alert.objects.exists()


def test_a_missed_dose_alert_resolves_when_the_plan_schedules_no_medication_any_more(dose_patient):
    take(dose_patient, local(20, 8))
    take(dose_patient, local(21, 8))
    engine.check_medication_adherence(now=local(22, 10, 0))
    MedicationSchedule.objects.filter(plan=dose_patient.plan).delete()

    engine.check_medication_adherence(now=local(22, 10, 5))

    alert = Alert.objects.get()
    assert (alert.state, alert.resolution) == (
        "resolved", "Resolved automatically: the monitoring plan no longer schedules any medication.")


def test_a_missed_dose_alert_resolves_when_the_dose_is_taken_late(dose_patient):
    take(dose_patient, local(20, 8))
    take(dose_patient, local(21, 8))
    engine.check_medication_adherence(now=local(22, 10, 0))
    take(dose_patient, local(22, 11, 0))
    engine.check_medication_adherence(now=local(22, 11, 5))
    alert = Alert.objects.get()
    assert (alert.state, alert.resolution) == ("resolved", "Resolved automatically: the latest scheduled doses were "
                                                           "taken.")


def test_the_page_the_proportion_of_days_covered_and_the_alert_agree_on_each_dose(dose_patient):
    for day in range(1, 22):
        if day not in (3, 9):
            take(dose_patient, local(day, 8, 15))
    doses, covered = days_covered(dose_patient, now=local(22, 12))
    assert (covered.covered, covered.days) == (19, 21)  # 1-21 Nov: the schedule started on the 1st
    assert covered.value == pytest.approx(19 / 21)
    assert [d.status for d in doses if d.scheduled_at.astimezone(NEW_YORK).day == 22] == ["missed"]
    engine.check_medication_adherence(now=local(22, 12))
    assert "due 08:00 on Sun 22 Nov" in Alert.objects.get().explanation


def test_no_contact_for_48_hours_and_low_battery_are_separate_alerts(team, default_rules):
    patient = make_patient(team)
    device, _ = make_device("pulse_oximeter", patient=patient)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - dt.timedelta(hours=47), battery_level=19)
    engine.check_device_health(now=now)
    assert list(Alert.objects.values_list("rule__name", flat=True)) == ["Device battery low"]
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - dt.timedelta(hours=48))
    engine.check_device_health(now=now)
    assert sorted(Alert.objects.values_list("rule__name", flat=True)) == ["Device battery low",
                                                                          "Device not in contact"]
    assert "no contact from pulse oximeter" in Alert.objects.get(rule__name="Device not in contact").explanation.lower()


def test_a_silent_virtual_ward_monitor_alerts_within_15_minutes(team, default_rules):
    patient = make_patient(team, conditions=["virtual_ward"])
    device, _ = make_device("multiparameter_monitor", patient=patient)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - dt.timedelta(minutes=14), battery_level=80)
    engine.check_device_health(now=now)
    assert not Alert.objects.exists()
    engine.check_device_health(now=now + dt.timedelta(minutes=1))
    alert = Alert.objects.get()
    assert (alert.rule.name, alert.severity) == ("Continuous monitor not in contact", "medium")
    assert "for 15 min since its last reading (limit 15 min)" in alert.explanation


def test_a_device_back_in_contact_resolves_its_alert(team, default_rules):
    patient = make_patient(team)
    device, _ = make_device("pulse_oximeter", patient=patient)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - dt.timedelta(hours=50), battery_level=80)
    engine.check_device_health(now=now)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now + dt.timedelta(minutes=5))
    engine.check_device_health(now=now + dt.timedelta(minutes=10))
    alert = Alert.objects.get()
    assert (alert.state, alert.resolution) == ("resolved", "Resolved automatically: every device is back in contact.")


def test_a_silent_monitor_that_comes_back_waits_for_a_person(team, default_rules):
    patient = make_patient(team)
    device, _ = make_device("multiparameter_monitor", patient=patient)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - dt.timedelta(minutes=20), battery_level=80)
    engine.check_device_health(now=now)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now + dt.timedelta(minutes=1))
    engine.check_device_health(now=now + dt.timedelta(minutes=2))
    alert = Alert.objects.get()
    assert (alert.state, alert.recovered_at) == ("open", now + dt.timedelta(minutes=2))


def test_every_beat_entry_names_a_registered_task():
    from config.celery import app

    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name


def test_sweep_evaluates_readings_left_unevaluated_for_a_minute(ward_patient, t0):
    from devices.models import Reading

    ids = store(ward_patient, [("respiratory_rate", 6, t0)], now=t0)
    assert engine.sweep_unevaluated(now=t0 + dt.timedelta(seconds=59)).readings == 0
    assert engine.sweep_unevaluated(now=t0 + dt.timedelta(seconds=60)).readings == 1
    assert Alert.objects.get().reading_ids == ids
    assert Reading.objects.get(id=ids[0]).evaluated_at is not None
