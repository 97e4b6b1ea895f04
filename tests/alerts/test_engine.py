"""The engine over stored readings: open once, update on repeats, auto-resolve, handle late
readings, and stay idempotent. The clock is passed in (`now=`)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from alerts import engine
from alerts.models import Alert
from devices.models import Reading
from patients.models import MonitoringPlan
from rpm.models import AuditEvent
from tests.builders import make_patient
from tests.readings import store

M = dt.timedelta(minutes=1)


def evaluate(ids, now):
    return engine.evaluate_readings(reading_ids=ids, now=now)


def spo2(patient, t0, *pairs):
    return store(patient, [("spo2", v, t0 + m * M) for m, v in pairs], now=t0 + 60 * M)


def test_spo2_below_92_for_ten_minutes_opens_one_medium_alert_that_explains_itself(ward_patient, t0):
    ids = spo2(ward_patient, t0, (0, 91), (5, 90), (10, 91))
    evaluate(ids, t0 + 11 * M)
    alert = Alert.objects.get(patient=ward_patient)
    assert (alert.severity, alert.state, alert.metric) == ("medium", "open", "spo2")
    assert alert.explanation == "SpO2 91 % for 10 min, below 92 % for at least 10 min (3 readings)"
    assert alert.reading_ids == ids


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
    evaluate(spo2(ward_patient, t0, (0, 91), (10, 91)), t0 + 11 * M)
    newer = spo2(ward_patient, t0, (12, 87), (17, 86))
    evaluate(newer, t0 + 18 * M)
    alert = Alert.objects.get(patient=ward_patient)
    assert (alert.trigger_count, alert.severity) == (2, "high")
    assert alert.explanation.startswith("SpO2 86 % for 5 min, below 88 %")
    assert newer[-1] in alert.reading_ids
    assert AuditEvent.objects.filter(verb="alert.severity_raised", patient=ward_patient).count() == 1


def test_severity_never_drops_on_a_milder_repeat(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 86), (5, 86)), t0 + 6 * M)
    evaluate(spo2(ward_patient, t0, (6, 90), (16, 90)), t0 + 17 * M)
    assert Alert.objects.get(patient=ward_patient).severity == "high"


def test_recovery_by_the_margin_for_ten_minutes_resolves_automatically_and_says_so(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 91), (10, 91)), t0 + 11 * M)
    evaluate(spo2(ward_patient, t0, (12, 93), (17, 95), (22, 96)), t0 + 23 * M)
    alert = Alert.objects.get(patient=ward_patient)
    assert alert.state == "resolved" and alert.resolved_by is None
    assert alert.resolution == ("Resolved automatically: SpO2 back at or above 93 % for 10 min "
                                "(margin 1, latest 96 %, 3 readings).")


def test_recovery_inside_the_band_but_not_the_margin_keeps_the_alert_open(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 91), (10, 91)), t0 + 11 * M)
    evaluate(spo2(ward_patient, t0, (12, 92), (17, 92), (25, 92)), t0 + 26 * M)
    assert Alert.objects.get(patient=ward_patient).state == "open"


def test_readings_arriving_out_of_order_are_judged_by_when_they_were_measured(ward_patient, t0):
    first = spo2(ward_patient, t0, (12, 90))
    evaluate(first, t0 + 13 * M)
    assert not Alert.objects.exists()
    evaluate(spo2(ward_patient, t0, (0, 90), (6, 91)), t0 + 14 * M)
    assert Alert.objects.get(patient=ward_patient).explanation.startswith("SpO2 90 % for 12 min")


def test_a_late_reading_from_an_episode_already_resolved_does_not_reopen_it(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 91), (10, 91)), t0 + 11 * M)
    evaluate(spo2(ward_patient, t0, (12, 95), (22, 96)), t0 + 23 * M)
    evaluate(spo2(ward_patient, t0, (5, 90)), t0 + 24 * M)
    assert list(Alert.objects.values_list("state", flat=True)) == ["resolved"]


def test_a_new_episode_after_resolution_opens_a_new_alert(ward_patient, t0):
    evaluate(spo2(ward_patient, t0, (0, 91), (10, 91)), t0 + 11 * M)
    evaluate(spo2(ward_patient, t0, (12, 95), (22, 96)), t0 + 23 * M)
    evaluate(spo2(ward_patient, t0, (30, 91), (40, 91)), t0 + 41 * M)
    assert sorted(Alert.objects.values_list("state", flat=True)) == ["open", "resolved"]


def test_condition_rules_apply_only_to_patients_with_that_condition(team, default_rules, t0):
    diabetic = make_patient(team, conditions=["diabetes"])
    other = make_patient(team, conditions=["hypertension"])
    for patient in (diabetic, other):
        evaluate(store(patient, [("blood_glucose", 60, t0)], now=t0 + M), t0 + M)
    assert list(Alert.objects.values_list("patient", "rule__name", "severity")) == [
        (diabetic.id, "Hypoglycaemia", "medium")]


def test_a_scale_2_patient_is_judged_on_the_scale_2_spo2_rule(team, default_rules, t0):
    patient = make_patient(team, conditions=["copd"])
    MonitoringPlan.objects.filter(patient=patient).update(spo2_scale=2)
    evaluate(spo2(patient, t0, (0, 89), (12, 89)), t0 + 13 * M)
    assert not Alert.objects.exists()
    evaluate(spo2(patient, t0, (13, 85), (23, 85)), t0 + 24 * M)
    assert Alert.objects.get().rule.name == "SpO2 low (scale 2 target 88-92 %)"


def test_a_paused_patient_raises_no_alerts_but_readings_are_marked(team, default_rules, t0):
    patient = make_patient(team, status="paused")
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


def news2_set(patient, at, *, rr, spo2, sbp, pulse, temp):
    return store(patient, [("respiratory_rate", rr, at), ("spo2", spo2, at), ("systolic_bp", sbp, at),
                           ("heart_rate", pulse, at), ("body_temperature", temp, at)], now=at + M)


def test_news2_of_6_opens_an_urgent_medium_alert_listing_the_scoring_parameters(ward_patient, t0):
    evaluate(news2_set(ward_patient, t0, rr=22, spo2=94, sbp=105, pulse=95, temp=38.4), t0 + M)
    alert = Alert.objects.get(patient=ward_patient, rule__name="NEWS2")
    assert (alert.severity, alert.metric) == ("medium", "news2")
    assert alert.explanation == (
        "NEWS2 6: medium clinical risk, key threshold for urgent response. respiration rate 22 /min scores 2; "
        "SpO2 94 % (scale 1) scores 1; systolic BP 105 mmHg scores 1; pulse 95 /min scores 1; "
        "temperature 38.4 °C scores 1.")


def test_news2_single_parameter_3_is_urgent_even_with_a_low_aggregate(ward_patient, t0):
    evaluate(news2_set(ward_patient, t0, rr=16, spo2=96, sbp=118, pulse=140, temp=37.0), t0 + M)
    alert = Alert.objects.get(patient=ward_patient, rule__name="NEWS2")
    assert alert.severity == "medium"
    assert alert.explanation.startswith("NEWS2 3 with a single parameter scoring 3: low-medium clinical risk")


def test_news2_of_7_is_an_emergency(ward_patient, t0):
    evaluate(news2_set(ward_patient, t0, rr=22, spo2=93, sbp=105, pulse=95, temp=38.4), t0 + M)
    assert Alert.objects.get(patient=ward_patient, rule__name="NEWS2").severity == "high"


def test_news2_of_4_raises_nothing(ward_patient, t0):
    evaluate(news2_set(ward_patient, t0, rr=21, spo2=95, sbp=115, pulse=95, temp=37.0), t0 + M)
    assert not Alert.objects.filter(rule__name="NEWS2").exists()


def test_news2_uses_oxygen_and_consciousness_from_the_plan(ward_patient, t0):
    MonitoringPlan.objects.filter(patient=ward_patient).update(on_supplemental_oxygen=True, consciousness="cvpu")
    evaluate(news2_set(ward_patient, t0, rr=16, spo2=97, sbp=120, pulse=70, temp=37.0), t0 + M)
    assert "NEWS2 5:" in Alert.objects.get(rule__name="NEWS2").explanation


def test_news2_resolves_when_a_full_later_set_is_low_risk(ward_patient, t0):
    evaluate(news2_set(ward_patient, t0, rr=22, spo2=94, sbp=105, pulse=95, temp=38.4), t0 + M)
    evaluate(news2_set(ward_patient, t0 + 30 * M, rr=16, spo2=97, sbp=125, pulse=72, temp=36.8), t0 + 31 * M)
    alert = Alert.objects.get(rule__name="NEWS2")
    assert alert.state == "resolved"
    assert alert.resolution.startswith("Resolved automatically: NEWS2 now 0 (low risk)")


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_the_same_patient_at_once_make_one_alert(team, t0):
    from alerts.defaults import install_default_rules
    from alerts.models import AlertRule

    install_default_rules(AlertRule)
    patient = make_patient(team)
    # two ingest batches of the same episode, each enough alone to raise the alert
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
    assert Reading.objects.filter(patient=patient, evaluated_at__isnull=True).count() == 0


def test_the_database_refuses_a_second_unresolved_alert_for_the_same_patient_and_rule(ward_patient, t0):
    from django.db import IntegrityError, transaction

    evaluate(store(ward_patient, [("respiratory_rate", 6, t0)], now=t0 + M), t0 + M)
    alert = Alert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(patient=ward_patient, rule=alert.rule, severity="high", explanation="duplicate",
                             opened_at=t0, last_triggered_at=t0)
