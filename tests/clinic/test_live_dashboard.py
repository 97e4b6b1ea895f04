"""The dashboard's reads (census tiles, alert queue) and the push's one-message-per-group contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis
from django.conf import settings
from django.test import Client

from alerts.models import Alert, AlertRule
from clinic import dashboard
from clinic.live import channel_for, team_group
from devices.ingest import ingest
from devices.models import Device, Reading
from patients.models import ExpectedMeasurement
from tests.builders import PASSWORD, make_device, make_patient, make_team, make_user

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def reading(patient, metric: str, value: float, at: dt.datetime, unit: str | None = None) -> None:
    from rpm.metrics import METRICS

    Reading.objects.create(patient=patient, metric=metric, value=value, unit=unit or METRICS[metric].unit,
                           measured_at=at, received_at=at, source="manual")


def tile_of(user, patient) -> dict:
    return next(t for t in dashboard.census(user=user, now=NOW) if t["id"] == patient.id)


@pytest.fixture
def ward(db):
    team = make_team("Ward A")
    return team, make_user("nurse1", team=team), make_patient(team, given_name="Ada")


def test_metric_read_exactly_at_the_end_of_its_window_is_not_stale():
    assert dashboard.stale_hours(NOW - dt.timedelta(hours=24), stale_after_hours=24, now=NOW) is None


def test_metric_read_just_past_its_window_is_stale_for_whole_hours():
    measured = NOW - dt.timedelta(hours=26, minutes=59)
    assert dashboard.stale_hours(measured, stale_after_hours=24, now=NOW) == 26


def test_metric_never_read_is_stale_for_its_whole_window():
    assert dashboard.stale_hours(None, stale_after_hours=12, now=NOW) == 12


@pytest.mark.parametrize(("latest", "previous", "expected"),
                         [(73, 72, "up"), (71, 72, "down"), (72.4, 72, "steady"), (72, None, "steady")])
def test_trend_ignores_changes_below_the_display_step(latest, previous, expected):
    assert dashboard.trend(latest, previous, precision=0) == expected


def test_census_lists_only_the_users_patients_and_not_the_discharged(ward):
    _, nurse, mine = ward
    make_patient(make_team("Ward B"))
    make_patient(ward[0], status="discharged")
    assert [t["id"] for t in dashboard.census(user=nurse, now=NOW)] == [mine.id]


def test_tile_shows_latest_value_unit_and_trend(ward):
    _, nurse, patient = ward
    reading(patient, "heart_rate", 70, NOW - dt.timedelta(minutes=10))
    reading(patient, "heart_rate", 88, NOW - dt.timedelta(minutes=5))
    metric = tile_of(nurse, patient)["metrics"]["heart_rate"]
    assert (metric["value"], metric["unit"], metric["trend"], metric["stale_hours"]) == (88, "/min", "up", None)


def test_expected_metric_without_a_reading_in_its_plan_window_is_stale(ward):
    _, nurse, patient = ward
    ExpectedMeasurement.objects.create(plan=patient.plan, metric="body_weight", stale_after_hours=12)
    reading(patient, "body_weight", 80, NOW - dt.timedelta(hours=13))
    assert tile_of(nurse, patient)["metrics"]["body_weight"]["stale_hours"] == 13


def test_sparkline_holds_one_mean_per_quarter_hour_of_the_last_day(ward):
    _, nurse, patient = ward
    start = NOW.replace(minute=0) - dt.timedelta(hours=1)
    reading(patient, "spo2", 94, start + dt.timedelta(minutes=1))
    reading(patient, "spo2", 96, start + dt.timedelta(minutes=2))
    reading(patient, "spo2", 90, NOW - dt.timedelta(hours=25))
    spark = tile_of(nurse, patient)["metrics"]["spo2"]["spark"]
    assert spark == [[start.timestamp(), 95.0]]


def test_tile_carries_the_bands_of_the_rules_that_apply_to_the_patient(ward):
    _, nurse, patient = ward
    AlertRule.objects.filter(metric="blood_glucose").delete()
    AlertRule.objects.create(name="Glucose low (test)", kind="threshold", metric="blood_glucose", scope="condition",
                             condition="hypertension",
                             params={"bands": [{"op": "<", "value": 70, "severity": "medium"}]})
    AlertRule.objects.create(name="Glucose low, diabetes (test)", kind="threshold", metric="blood_glucose",
                             scope="condition", condition="diabetes",
                             params={"bands": [{"op": "<", "value": 54, "severity": "high"}]})
    reading(patient, "blood_glucose", 65, NOW - dt.timedelta(minutes=5))
    assert tile_of(nurse, patient)["metrics"]["blood_glucose"]["bands"] == [
        {"metric": "blood_glucose", "op": "<", "value": 70, "severity": "medium", "rule": "Glucose low (test)"}]


def test_devices_are_flagged_offline_and_low_on_battery_by_the_device_rules_in_force(ward):
    _, nurse, patient = ward
    quiet, _ = make_device("multiparameter_monitor", patient=patient)
    fine, _ = make_device("pulse_oximeter", patient=patient)
    Device.objects.filter(id=quiet.id).update(last_seen_at=NOW - dt.timedelta(minutes=15), battery_level=19)
    Device.objects.filter(id=fine.id).update(last_seen_at=NOW - dt.timedelta(hours=47), battery_level=20)
    devices = {d["id"]: d for d in tile_of(nurse, patient)["devices"]}
    assert (devices[quiet.id]["offline"], devices[quiet.id]["low_battery"]) == (True, True)
    assert (devices[fine.id]["offline"], devices[fine.id]["low_battery"]) == (False, False)


def test_tile_shows_news2_from_the_alert_engine(ward):
    _, nurse, patient = ward
    at = NOW - dt.timedelta(minutes=5)
    # RCP NEWS2 worked example 2: RR 22, SpO2 94, SBP 105, pulse 95, temp 38.4 -> 6, medium
    for metric, value in [("respiratory_rate", 22), ("spo2", 94), ("systolic_bp", 105), ("heart_rate", 95),
                          ("body_temperature", 38.4)]:
        reading(patient, metric, value, at)
    assert tile_of(nurse, patient)["news2"] == {"score": 6, "risk": "medium"}


def test_tile_leaves_news2_blank_when_a_parameter_is_missing(ward):
    _, nurse, patient = ward
    reading(patient, "heart_rate", 95, NOW - dt.timedelta(minutes=5))
    assert tile_of(nurse, patient)["news2"] is None


def make_alert(patient, severity: str, opened_at: dt.datetime, state: str = "open") -> Alert:
    rule = AlertRule.objects.create(name=f"test {severity} {opened_at}", kind="threshold", metric="heart_rate",
                                    params={"bands": [{"op": ">", "value": 130, "severity": severity}]})
    return Alert.objects.create(patient=patient, rule=rule, metric="heart_rate", severity=severity, state=state,
                                explanation="test", opened_at=opened_at, last_triggered_at=opened_at)


def test_alert_queue_puts_most_severe_then_newest_first_and_leaves_out_resolved(ward):
    _, nurse, patient = ward
    old_high = make_alert(patient, "high", NOW - dt.timedelta(hours=2))
    new_medium = make_alert(patient, "medium", NOW - dt.timedelta(minutes=1))
    new_high = make_alert(patient, "high", NOW - dt.timedelta(minutes=5), state="acknowledged")
    make_alert(patient, "high", NOW, state="resolved")
    assert [a["id"] for a in dashboard.alert_queue(user=nurse)] == [new_high.id, old_high.id, new_medium.id]


def test_recovered_alerts_wait_below_the_active_ones(ward):
    _, nurse, patient = ward
    recovered_high = make_alert(patient, "high", NOW - dt.timedelta(minutes=1))
    Alert.objects.filter(pk=recovered_high.pk).update(recovered_at=NOW, recovery="back at 80 /min")
    active_medium = make_alert(patient, "medium", NOW - dt.timedelta(hours=1))
    queue = dashboard.alert_queue(user=nurse)
    assert [a["id"] for a in queue] == [active_medium.id, recovered_high.id]
    assert (queue[1]["recovered_at"], queue[1]["recovery"]) == ("2026-11-23T12:00:00Z", "back at 80 /min")


def test_a_tile_says_why_there_is_no_news2_for_a_pregnant_patient(ward):
    _, nurse, patient = ward
    type(patient).objects.filter(pk=patient.pk).update(pregnant=True)
    for metric, value in [("respiratory_rate", 22), ("spo2", 94), ("systolic_bp", 105), ("heart_rate", 95),
                          ("body_temperature", 38.4)]:
        reading(patient, metric, value, NOW - dt.timedelta(minutes=5))
    tile = tile_of(nurse, patient)
    assert (tile["news2"], tile["news2_reason"]) == (None, "NEWS2 is not validated in pregnancy")


def test_an_implausible_value_is_not_the_tiles_latest(ward):
    _, nurse, patient = ward
    reading(patient, "spo2", 96, NOW - dt.timedelta(minutes=10))
    reading(patient, "spo2", 45, NOW - dt.timedelta(minutes=5))
    Reading.objects.filter(value=45).update(quality="implausible")
    assert tile_of(nurse, patient)["metrics"]["spo2"]["value"] == 96


def test_alert_queue_never_shows_another_teams_alerts(ward):
    _, nurse, _ = ward
    make_alert(make_patient(make_team("Ward B")), "high", NOW)
    assert dashboard.alert_queue(user=nurse) == []


def test_dashboard_page_embeds_only_the_nurses_census(ward):
    _, _, mine = ward
    theirs = make_patient(make_team("Ward B"))
    client = Client()
    client.login(username="nurse1", password=PASSWORD)
    page = client.get("/")
    census = json.loads(page.content.decode().split('id="census-data" type="application/json">')[1].split("</")[0])
    assert page.status_code == 200
    assert [t["id"] for t in census] == [mine.id] and theirs.id not in [t["id"] for t in census]


@pytest.mark.django_db(transaction=True)
def test_a_reading_is_published_once_to_its_team_group_however_many_nurses_watch():
    team = make_team("Ward A")
    make_user("nurse1", team=team)
    make_user("nurse2", team=team)
    patient = make_patient(team)
    subscriber = redis.Redis.from_url(settings.REDIS_URL).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(channel_for(team_group(team.id)))
    subscriber.get_message(timeout=1)

    ingest(patient_id=patient.id, source="manual",
           items=[{"metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": dt.datetime.now(dt.UTC)}])

    messages = [m for m in iter(lambda: subscriber.get_message(timeout=0.5), None)]
    subscriber.close()
    assert len(messages) == 1
    header, event = messages[0]["data"].split(b"\n")
    assert json.loads(event)["patient"] == patient.id
