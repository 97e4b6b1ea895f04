"""The engine over stored readings: spot checks judged per reading, continuous streams over a duration, the safety
net for every patient, open once and update on repeats, worse after acknowledgement, recovery that waits for a
person, late readings, NEWS2 across devices, idempotency. The clock is passed in (`now=`)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from alerts import engine, services
from alerts.models import Alert, AlertNote
from devices.models import Reading
from patients.models import MonitoringPlan
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_user
from tests.readings import store

M = dt.timedelta(minutes=1)


def evaluate(ids, now):
    return engine.evaluate_readings(reading_ids=ids, now=now)


def spo2(patient, t0, *pairs, device=None):
    return store(patient, [("spo2", v, t0 + m * M) for m, v in pairs], now=t0 + max(m for m, _ in pairs) * M,
                 device=device)


def heart(patient, t0, *pairs, device=None):
    return store(patient, [("heart_rate", v, t0 + m * M) for m, v in pairs], now=t0 + max(m for m, _ in pairs) * M,
                 device=device)


# --- spot checks: one reading in a band raises the alert --------------------------------------------------------

def test_one_home_oximeter_reading_of_84_opens_a_high_alert_at_once(ward_patient, t0):
    oximeter, _ = make_device("pulse_oximeter", patient=ward_patient)
    ids = spo2(ward_patient, t0, (0, 84), device=oximeter)
    evaluate(ids, t0 + M)
    alert = Alert.objects.get(patient=ward_patient)
    assert (alert.severity, alert.state, alert.metric) == ("high", "open", "spo2")
    assert alert.explanation == "SpO2 84 %, at or below 88 %"
    assert alert.reading_ids == ids


def test_spo2_of_exactly_92_is_a_medium_alert(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 92)), t0 + M)
    assert Alert.objects.get().severity == "medium"


def test_a_cuff_reporting_a_pulse_of_35_opens_a_high_alert(ward_patient, t0):
    cuff, _ = make_device("blood_pressure_monitor", patient=ward_patient)
    evaluate(heart(ward_patient, t0, (0, 35), device=cuff), t0 + M)
    assert Alert.objects.get().explanation == "Heart rate 35 /min, at or below 40 /min"


def test_a_heart_rate_of_exactly_40_alerts(ward_patient, t0):
    evaluate(heart(ward_patient, t0, (0, 40)), t0 + M)
    assert Alert.objects.get().severity == "high"


def test_the_scale_2_copd_patient_with_only_an_oximeter_gets_spo2_alerts(team, default_rules, t0):
    patient = make_patient(team, conditions=["copd"])
    MonitoringPlan.objects.filter(patient=patient).update(spo2_scale=2, spo2_target_low=88, spo2_target_high=92)
    oximeter, _ = make_device("pulse_oximeter", patient=patient)
    evaluate(spo2(patient, t0, (0, 89), device=oximeter), t0 + M)
    assert not Alert.objects.exists()
    evaluate(spo2(patient, t0, (240, 85), device=oximeter), t0 + 241 * M)
    alert = Alert.objects.get()
    assert (alert.rule.name, alert.severity) == ("SpO2 out of target (scale 2, target 88-92 %)", "medium")


def test_a_scale_2_patient_on_oxygen_is_alerted_at_97(team, default_rules, t0):
    patient = make_patient(team, conditions=["copd"])
    MonitoringPlan.objects.filter(patient=patient).update(spo2_scale=2, on_supplemental_oxygen=True)
    evaluate(spo2(patient, t0, (0, 97)), t0 + M)
    assert Alert.objects.get().explanation == "SpO2 97 %, at or above 97 %"


# --- the safety net applies to every patient ------------------------------------------------------------------------

def test_crisis_blood_pressure_alerts_a_virtual_ward_patient_without_hypertension(ward_patient, t0):
    cuff, _ = make_device("blood_pressure_monitor", patient=ward_patient)
    ids = store(ward_patient, [("systolic_bp", 212, t0), ("diastolic_bp", 124, t0)], now=t0 + M, device=cuff)
    evaluate(ids, t0 + M)
    alert = Alert.objects.get(patient=ward_patient)
    assert (alert.rule.name, alert.severity) == ("Hypertensive crisis", "high")
    assert "212 mmHg" in alert.explanation and "124 mmHg" in alert.explanation


def test_180_over_120_does_not_alert(ward_patient, t0):
    evaluate(store(ward_patient, [("systolic_bp", 180, t0), ("diastolic_bp", 120, t0)], now=t0 + M), t0 + M)
    assert not Alert.objects.exists()


def test_level_2_hypoglycaemia_alerts_a_patient_without_diabetes(ward_patient, t0):
    evaluate(store(ward_patient, [("blood_glucose", 50, t0)], now=t0 + M), t0 + M)
    assert Alert.objects.get().rule.name == "Severe hypoglycaemia"


def test_condition_rules_add_to_the_safety_net(team, default_rules, t0):
    diabetic = make_patient(team, conditions=["diabetes"])
    other = make_patient(team, conditions=["hypertension"])
    for patient in (diabetic, other):
        evaluate(store(patient, [("blood_glucose", 60, t0)], now=t0 + M), t0 + M)
    assert list(Alert.objects.values_list("patient", "rule__name", "severity")) == [
        (diabetic.id, "Hypoglycaemia", "medium")]


# --- continuous streams: a duration, and gaps break the run -----------------------------------------------------------

def test_a_monitor_at_115_for_15_minutes_opens_a_medium_alert(ward_patient, monitor, t0):
    evaluate(heart(ward_patient, t0, *[(m, 115) for m in range(0, 16, 5)], device=monitor), t0 + 16 * M)
    assert Alert.objects.get().severity == "medium"


def test_a_monitor_with_a_gap_longer_than_5_minutes_does_not_make_a_run(ward_patient, monitor, t0):
    evaluate(heart(ward_patient, t0, (0, 115), (6, 115), (12, 115), (18, 115), device=monitor), t0 + 19 * M)
    assert not Alert.objects.exists()


def test_a_run_that_grows_over_several_batches_fires_when_it_is_long_enough(ward_patient, monitor, t0):
    evaluate(heart(ward_patient, t0, (0, 115), (5, 116), device=monitor), t0 + 6 * M)
    evaluate(heart(ward_patient, t0, (10, 117), device=monitor), t0 + 11 * M)
    assert not Alert.objects.exists()
    evaluate(heart(ward_patient, t0, (15, 118), device=monitor), t0 + 16 * M)
    assert Alert.objects.get().explanation.startswith("Heart rate 118 /min for 15 min")


# --- one alert per episode --------------------------------------------------------------------------------------------

def test_every_reading_is_marked_evaluated(ward_patient, t0):
    ids = spo2(ward_patient, t0, (0, 97), (1, 96))
    evaluate(ids, t0 + 2 * M)
    assert set(Reading.objects.filter(id__in=ids).values_list("evaluated_at", flat=True)) == {t0 + 2 * M}


def test_evaluating_the_same_readings_twice_changes_nothing(ward_patient, t0):
    ids = spo2(ward_patient, t0, (0, 91), (10, 91))
    evaluate(ids, t0 + 11 * M)
    before = list(Alert.objects.values())
    evaluate(ids, t0 + 12 * M)
    assert list(Alert.objects.values()) == before


def test_a_repeat_trigger_updates_the_open_alert_and_raises_its_severity(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 91)), t0 + M)
    newer = spo2(ward_patient, t0, (12, 87))
    evaluate(newer, t0 + 13 * M)
    alert = Alert.objects.get(patient=ward_patient)
    assert (alert.trigger_count, alert.severity, alert.state) == (2, "high", "open")
    assert alert.explanation == "SpO2 87 %, at or below 88 %"
    assert newer[-1] in alert.reading_ids
    assert AuditEvent.objects.filter(verb="alert.severity_raised", patient=ward_patient).count() == 1


def test_severity_never_drops_on_a_milder_repeat(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 86)), t0 + M)
    evaluate(spo2(ward_patient, t0, (6, 90)), t0 + 7 * M)
    assert Alert.objects.get(patient=ward_patient).severity == "high"


def test_readings_arriving_out_of_order_are_judged_by_when_they_were_measured(ward_patient, monitor, t0):
    evaluate(heart(ward_patient, t0, (10, 115), (15, 115), device=monitor), t0 + 16 * M)
    assert not Alert.objects.exists()
    evaluate(heart(ward_patient, t0, (0, 115), (5, 115), device=monitor), t0 + 17 * M)
    assert Alert.objects.get().explanation.startswith("Heart rate 115 /min for 15 min")


def test_a_late_reading_from_an_episode_already_resolved_does_not_reopen_it(ward_patient, nurse, t0):
    evaluate(spo2(ward_patient, t0, (10, 91)), t0 + 11 * M)
    services.resolve_alert(alert=Alert.objects.get(), by=nurse)
    evaluate(spo2(ward_patient, t0, (5, 90)), t0 + 24 * M)
    assert list(Alert.objects.values_list("state", flat=True)) == ["resolved"]


def test_a_new_episode_after_resolution_opens_a_new_alert(ward_patient, nurse, t0):
    evaluate(spo2(ward_patient, t0, (0, 91)), t0 + M)
    services.resolve_alert(alert=Alert.objects.get(), by=nurse)
    evaluate(spo2(ward_patient, t0, (30, 91)), t0 + 31 * M)
    assert sorted(Alert.objects.values_list("state", flat=True)) == ["open", "resolved"]


# --- worse is news again ----------------------------------------------------------------------------------------------

def news2_readings(patient, at, *, rr, spo2, sbp, pulse, temp):
    return store(patient, [("respiratory_rate", rr, at), ("spo2", spo2, at), ("systolic_bp", sbp, at),
                           ("heart_rate", pulse, at), ("body_temperature", temp, at)], now=at + M)


def test_an_acknowledged_news2_alert_that_rises_from_5_to_8_opens_again(ward_patient, nurse, t0,
                                                                        django_capture_on_commit_callbacks):
    evaluate(news2_readings(ward_patient, t0, rr=22, spo2=95, sbp=105, pulse=95, temp=37.0), t0 + M)
    alert = Alert.objects.get(rule__name="NEWS2")
    assert alert.severity == "medium"
    services.acknowledge_alert(alert=alert, by=nurse, now=t0 + 2 * M)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evaluate(news2_readings(ward_patient, t0 + 10 * M, rr=26, spo2=93, sbp=105, pulse=95, temp=37.0),
                 t0 + 11 * M)
    alert.refresh_from_db()
    assert (alert.severity, alert.state, alert.reopened_at) == ("high", "open", t0 + 11 * M)
    assert alert.acknowledged_by is None and alert.escalation_level == 0
    assert list(alert.notes.values_list("verb", flat=True)) == ["acknowledge", "reopen"]
    assert AuditEvent.objects.filter(verb="alert.reopen", object_id=str(alert.pk)).exists()
    assert [cb.args[1] for cb in callbacks if getattr(cb, "args", None) and cb.args[0].pk == alert.pk] == ["reopened"]


def test_a_reopened_alert_escalates_on_a_clock_that_restarts(ward_patient, nurse, t0):
    evaluate(spo2(ward_patient, t0, (0, 91)), t0 + M)
    alert = Alert.objects.get()
    services.acknowledge_alert(alert=alert, by=nurse, now=t0 + 2 * M)
    evaluate(spo2(ward_patient, t0, (40, 85)), t0 + 41 * M)
    assert services.escalate_due_alerts(now=t0 + 45 * M) == []  # high escalates 5 min after reopening
    assert [a.pk for a in services.escalate_due_alerts(now=t0 + 46 * M)] == [alert.pk]


def test_a_milder_repeat_leaves_an_acknowledged_alert_acknowledged(ward_patient, nurse, t0):
    evaluate(spo2(ward_patient, t0, (0, 86)), t0 + M)
    services.acknowledge_alert(alert=Alert.objects.get(), by=nurse)
    evaluate(spo2(ward_patient, t0, (10, 87)), t0 + 11 * M)
    assert Alert.objects.get().state == "acknowledged"


# --- recovery waits for a person --------------------------------------------------------------------------------------

def test_glucose_48_then_85_four_minutes_later_stays_in_the_queue_as_recovered(ward_patient, t0):
    evaluate(store(ward_patient, [("blood_glucose", 48, t0)], now=t0 + M), t0 + M)
    evaluate(store(ward_patient, [("blood_glucose", 85, t0 + 4 * M)], now=t0 + 5 * M), t0 + 5 * M)
    alert = Alert.objects.get()
    assert (alert.state, alert.recovered_at, alert.resolved_at) == ("open", t0 + 5 * M, None)
    assert alert.awaiting_review
    assert alert.recovery == "blood glucose back at or above 64 mg/dL, latest 85 mg/dL (margin 10)."
    assert AuditEvent.objects.filter(verb="alert.recover", object_id=str(alert.pk)).exists()


def test_a_recovered_alert_that_comes_back_is_active_again(ward_patient, t0):
    evaluate(store(ward_patient, [("blood_glucose", 48, t0)], now=t0 + M), t0 + M)
    evaluate(store(ward_patient, [("blood_glucose", 85, t0 + 4 * M)], now=t0 + 5 * M), t0 + 5 * M)
    evaluate(store(ward_patient, [("blood_glucose", 50, t0 + 9 * M)], now=t0 + 10 * M), t0 + 10 * M)
    alert = Alert.objects.get()
    assert (alert.state, alert.recovered_at, alert.trigger_count) == ("open", None, 2)


def test_an_acknowledged_alert_resolves_itself_on_recovery(ward_patient, nurse, t0):
    evaluate(store(ward_patient, [("blood_glucose", 48, t0)], now=t0 + M), t0 + M)
    services.acknowledge_alert(alert=Alert.objects.get(), by=nurse)
    evaluate(store(ward_patient, [("blood_glucose", 85, t0 + 4 * M)], now=t0 + 5 * M), t0 + 5 * M)
    alert = Alert.objects.get()
    assert (alert.state, alert.resolved_by) == ("resolved", None)
    assert AuditEvent.objects.filter(verb="alert.auto_resolve", object_id=str(alert.pk)).exists()


def test_a_low_alert_resolves_itself_on_recovery(team, default_rules, t0):
    patient = make_patient(team, conditions=["hypertension"])
    cuff, _ = make_device("blood_pressure_monitor", patient=patient)
    day = dt.timedelta(days=1)
    ids = store(patient, [("systolic_bp", 150, t0 - 2 * day), ("systolic_bp", 150, t0 - day),
                          ("systolic_bp", 150, t0)], now=t0 + M, device=cuff)
    evaluate(ids, t0 + M)
    assert Alert.objects.get().severity == "low"
    ids = store(patient, [("systolic_bp", 100, t0 + h * dt.timedelta(hours=1)) for h in range(1, 6)],
                now=t0 + 6 * dt.timedelta(hours=1), device=cuff)
    evaluate(ids, t0 + 7 * dt.timedelta(hours=1))
    assert Alert.objects.get().state == "resolved"


def test_a_person_reviews_a_recovered_alert_by_resolving_it(ward_patient, nurse, t0):
    evaluate(store(ward_patient, [("blood_glucose", 48, t0)], now=t0 + M), t0 + M)
    evaluate(store(ward_patient, [("blood_glucose", 85, t0 + 4 * M)], now=t0 + 5 * M), t0 + 5 * M)
    services.resolve_alert(alert=Alert.objects.get(), by=nurse, note="spoke to patient, ate")
    alert = Alert.objects.get()
    assert (alert.state, alert.resolved_by) == ("resolved", nurse)


# --- implausible readings ---------------------------------------------------------------------------------------------

def test_an_implausible_spo2_is_stored_flagged_kept_out_of_bands_and_raises_a_check_alert(ward_patient, t0):
    ids = store(ward_patient, [("spo2", 45, t0)], now=t0 + M)
    assert Reading.objects.get(id=ids[0]).quality == "implausible"
    evaluate(ids, t0 + M)
    alert = Alert.objects.get()
    assert (alert.rule.name, alert.severity, alert.metric) == ("Implausible reading", "medium", "spo2")
    assert alert.explanation.endswith("check the patient or the device")


# --- NEWS2 ------------------------------------------------------------------------------------------------------------

def test_news2_of_6_opens_an_urgent_medium_alert_listing_the_scoring_parameters(ward_patient, t0):
    evaluate(news2_readings(ward_patient, t0, rr=22, spo2=94, sbp=105, pulse=95, temp=38.4), t0 + M)
    alert = Alert.objects.get(patient=ward_patient, rule__name="NEWS2")
    assert (alert.severity, alert.metric) == ("medium", "news2")
    assert alert.explanation == (
        "NEWS2 6: medium clinical risk, key threshold for urgent response. respiration rate 22 breaths/min scores 2; "
        "SpO2 94 % (scale 1) scores 1; systolic BP 105 mmHg scores 1; pulse 95 /min scores 1; "
        "temperature 38.4 °C scores 1.")


def test_news2_is_scored_over_readings_from_separate_devices_and_batches(ward_patient, t0):
    cuff, _ = make_device("blood_pressure_monitor", patient=ward_patient)
    oximeter, _ = make_device("pulse_oximeter", patient=ward_patient)
    thermometer, _ = make_device("thermometer", patient=ward_patient)
    evaluate(store(ward_patient, [("systolic_bp", 105, t0), ("heart_rate", 95, t0)], now=t0 + M, device=cuff),
             t0 + M)
    evaluate(store(ward_patient, [("body_temperature", 38.4, t0 + 5 * M)], now=t0 + 6 * M, device=thermometer),
             t0 + 6 * M)
    evaluate(store(ward_patient, [("respiratory_rate", 22, t0 + 8 * M)], now=t0 + 9 * M), t0 + 9 * M)
    assert not Alert.objects.filter(rule__name="NEWS2").exists()
    evaluate(store(ward_patient, [("spo2", 94, t0 + 10 * M)], now=t0 + 11 * M, device=oximeter), t0 + 11 * M)
    assert Alert.objects.get(rule__name="NEWS2").explanation.startswith("NEWS2 6:")


def test_news2_single_parameter_3_is_urgent_even_with_a_low_aggregate(ward_patient, t0):
    evaluate(news2_readings(ward_patient, t0, rr=16, spo2=96, sbp=118, pulse=140, temp=37.0), t0 + M)
    alert = Alert.objects.get(patient=ward_patient, rule__name="NEWS2")
    assert alert.severity == "medium"
    assert alert.explanation.startswith("NEWS2 3 with a single parameter scoring 3: low-medium clinical risk")


def test_news2_of_7_is_an_emergency(ward_patient, t0):
    evaluate(news2_readings(ward_patient, t0, rr=22, spo2=93, sbp=105, pulse=95, temp=38.4), t0 + M)
    assert Alert.objects.get(patient=ward_patient, rule__name="NEWS2").severity == "high"


def test_news2_of_4_raises_nothing(ward_patient, t0):
    evaluate(news2_readings(ward_patient, t0, rr=21, spo2=95, sbp=115, pulse=95, temp=37.0), t0 + M)
    assert not Alert.objects.filter(rule__name="NEWS2").exists()


def test_news2_uses_oxygen_and_consciousness_from_the_plan(ward_patient, t0):
    MonitoringPlan.objects.filter(patient=ward_patient).update(on_supplemental_oxygen=True, consciousness="cvpu")
    evaluate(news2_readings(ward_patient, t0, rr=16, spo2=97, sbp=120, pulse=70, temp=37.0), t0 + M)
    assert "NEWS2 5:" in Alert.objects.get(rule__name="NEWS2").explanation


@pytest.mark.parametrize("fields", [{"birth_date": dt.date.today().replace(year=dt.date.today().year - 15)},
                                    {"pregnant": True}])
def test_no_news2_alert_for_a_child_or_in_pregnancy(team, default_rules, t0, fields):
    patient = make_patient(team, conditions=["virtual_ward"], **fields)
    evaluate(news2_readings(patient, t0, rr=22, spo2=93, sbp=105, pulse=95, temp=38.4), t0 + M)
    assert not Alert.objects.filter(rule__name="NEWS2").exists()


def test_news2_resolves_when_a_full_later_set_is_low_risk(ward_patient, nurse, t0):
    evaluate(news2_readings(ward_patient, t0, rr=22, spo2=94, sbp=105, pulse=95, temp=38.4), t0 + M)
    services.acknowledge_alert(alert=Alert.objects.get(rule__name="NEWS2"), by=nurse)
    evaluate(news2_readings(ward_patient, t0 + 30 * M, rr=16, spo2=97, sbp=125, pulse=72, temp=36.8), t0 + 31 * M)
    alert = Alert.objects.get(rule__name="NEWS2")
    assert alert.state == "resolved"
    assert alert.resolution.startswith("Resolved automatically: NEWS2 now 0 (low risk)")


def test_a_paused_patients_readings_are_still_judged(team, default_rules, t0):
    patient = make_patient(team, status="paused")
    evaluate(store(patient, [("respiratory_rate", 6, t0)], now=t0 + M), t0 + M)
    assert Alert.objects.get().severity == "high"


def test_a_discharged_patient_raises_no_alerts_but_readings_are_marked(team, default_rules, t0):
    patient = make_patient(team, status="discharged")
    ids = store(patient, [("respiratory_rate", 6, t0)], now=t0 + M)
    evaluate(ids, t0 + M)
    assert not Alert.objects.exists()
    assert Reading.objects.get(id=ids[0]).evaluated_at is not None


def test_heart_failure_weight_gain_in_a_day_opens_a_medium_alert(team, default_rules, t0):
    patient = make_patient(team, conditions=["heart_failure"])
    ids = store(patient, [("body_weight", 80.0, t0 - dt.timedelta(days=1)), ("body_weight", 81.0, t0)], now=t0)
    evaluate(ids, t0)
    alert = Alert.objects.get(patient=patient)
    assert alert.severity == "medium"
    assert alert.explanation.startswith("Body weight up 1.0 kg in 1 day (80.0 kg to 81.0 kg)")


# --- concurrency ------------------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_the_same_patient_at_once_make_one_alert_with_every_reading(team, t0):
    from alerts.defaults import install_default_rules
    from alerts.models import AlertRule

    install_default_rules(AlertRule)
    patient = make_patient(team)
    # two batches of one episode, each enough alone to raise it
    first = store(patient, [("respiratory_rate", 6, t0)], now=t0 + M)
    second = store(patient, [("respiratory_rate", 7, t0 + M)], now=t0 + M)
    barrier = threading.Barrier(2)
    errors = []

    def worker(ids):
        try:
            barrier.wait()
            evaluate(ids, t0 + 2 * M)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(ids,)) for ids in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    alert = Alert.objects.get(patient=patient)
    assert set(first + second) <= set(alert.reading_ids)
    assert alert.trigger_count == 2
    assert Reading.objects.filter(patient=patient, evaluated_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_waits_while_another_holds_the_patients_lock(team, t0):
    """Without the lock a worker could judge a patient on a stale view: recovery readings evaluated while another
    worker's alert is not committed yet would never see that alert."""
    from django.db import connections

    from alerts.defaults import install_default_rules
    from alerts.models import AlertRule

    install_default_rules(AlertRule)
    patient = make_patient(team)
    ids = store(patient, [("respiratory_rate", 6, t0)], now=t0 + M)
    holder = connections.create_connection("default")
    holder.connect()
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [services.PATIENT_LOCK_NAMESPACE, patient.id])
    worker = threading.Thread(target=lambda: (evaluate(ids, t0 + 2 * M), connection.close()))
    worker.start()
    worker.join(1.0)
    try:
        assert worker.is_alive(), "evaluation went ahead while another worker held the patient's lock"
    finally:
        holder.rollback()
        holder.close()
        worker.join(30)
    assert Alert.objects.filter(patient=patient).count() == 1


def test_the_database_refuses_a_second_unresolved_alert_for_the_same_patient_and_rule(ward_patient, t0):
    from django.db import IntegrityError, transaction

    evaluate(store(ward_patient, [("respiratory_rate", 6, t0)], now=t0 + M), t0 + M)
    alert = Alert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(patient=ward_patient, rule=alert.rule, severity="high", explanation="duplicate",
                             opened_at=t0, last_triggered_at=t0)


def test_a_note_marks_who_acknowledged_before_it_reopened(ward_patient, t0):
    nurse = make_user("nurse-z", role="nurse")
    evaluate(spo2(ward_patient, t0, (0, 91)), t0 + M)
    services.acknowledge_alert(alert=Alert.objects.get(), by=nurse)
    evaluate(spo2(ward_patient, t0, (5, 85)), t0 + 6 * M)
    assert AlertNote.objects.get(verb="acknowledge").author == nurse
