"""Implausible readings, device health and missing measurements as pure functions."""

import datetime as dt

import pytest

from alerts.kinds import device_health, missing_data
from devices.readings import Point
from tests.alerts.kinds.helpers import T0, M, default, evaluate, recover

IMPLAUSIBLE = default("Implausible reading")
SILENT_MONITOR = default("Continuous monitor not in contact")
SILENT_DEVICE = default("Device not in contact")
BATTERY = default("Device battery low")


def test_an_implausible_spo2_asks_to_check_the_patient_or_the_device():
    odd = Point(1, T0, 45, "pulse_oximeter", "implausible")
    trigger = evaluate(IMPLAUSIBLE, {"spo2": [odd]})
    assert (trigger.severity, trigger.metric) == ("medium", "spo2")
    assert trigger.explanation == "SpO2 45 % is outside the plausible range (50-100 %): check the patient or the device"


def test_a_plausible_reading_raises_nothing_and_recovers_the_alert():
    odd = Point(1, T0, 45, "pulse_oximeter", "implausible")
    fine = Point(2, T0 + M, 96, "pulse_oximeter")
    assert evaluate(IMPLAUSIBLE, {"spo2": [fine]}) is None
    assert recover(IMPLAUSIBLE, {"spo2": [odd, fine]}, after=T0, metric="spo2") is not None
    assert recover(IMPLAUSIBLE, {"spo2": [odd, fine, Point(3, T0 + 2 * M, 30, None, "implausible")]},
                   after=T0, metric="spo2") is None


def test_of_several_implausible_readings_the_newest_is_named_and_at_most_100_kept():
    odd = [Point(i, T0 + i * M, 40 + i % 5, "pulse_oximeter", "implausible") for i in range(1, 106)]
    trigger = evaluate(IMPLAUSIBLE, {"spo2": list(reversed(odd))})
    assert trigger.explanation.startswith("SpO2 40 %") and trigger.at == T0 + 105 * M
    assert len(trigger.reading_ids) == 100 and odd[-1].id in trigger.reading_ids


def test_a_reading_at_the_same_moment_is_not_a_later_one_and_nothing_later_recovers_nothing():
    odd = Point(1, T0, 45, "pulse_oximeter", "implausible")
    same_moment = Point(2, T0, 96, "pulse_oximeter")
    assert recover(IMPLAUSIBLE, {"spo2": [odd, same_moment]}, after=T0, metric="spo2") is None
    assert recover(IMPLAUSIBLE, {"spo2": [odd]}, after=T0, metric="spo2") is None
    assert recover(IMPLAUSIBLE, {"heart_rate": [Point(3, T0 + M, 80)]}, after=T0, metric="spo2") is None


def silence(rule, kind, minutes, **extra):
    return device_health.problem(params=rule.params, kind=kind, label=kind, last_seen_at=T0, since=T0,
                                 battery=extra.get("battery"), now=T0 + dt.timedelta(minutes=minutes))


@pytest.mark.parametrize(("kind", "minutes", "silent"), [
    ("multiparameter_monitor", 14, False), ("multiparameter_monitor", 15, True),
    ("wearable", 59, False), ("wearable", 60, True), ("cgm", 60, True),
    ("pulse_oximeter", 24 * 60, False)])
def test_a_continuous_monitor_is_missed_within_its_kinds_interval(kind, minutes, silent):
    assert (silence(SILENT_MONITOR, kind, minutes) is not None) is silent


@pytest.mark.parametrize(("minutes", "silent"), [(48 * 60 - 1, False), (48 * 60, True)])
def test_a_spot_check_device_is_missed_after_48_hours(minutes, silent):
    assert (silence(SILENT_DEVICE, "blood_pressure_monitor", minutes) is not None) is silent
    assert silence(SILENT_DEVICE, "multiparameter_monitor", minutes) is None  # the other rule's job


def test_the_silent_monitor_text_says_for_how_long_and_the_limit():
    assert silence(SILENT_MONITOR, "multiparameter_monitor", 17) == (
        "no contact from multiparameter_monitor for 17 min since its last reading (limit 15 min)")


@pytest.mark.parametrize(("battery", "low"), [(19, True), (20, False)])
def test_battery_below_20_percent(battery, low):
    found = device_health.problem(params=BATTERY.params, kind="thermometer", label="thermometer", last_seen_at=T0,
                                  since=T0, battery=battery, now=T0)
    assert (found is not None) is low


def test_a_battery_recovers_only_past_the_margin():
    assert not device_health.recovered(params=BATTERY.params, kind="x", last_seen_at=T0, battery=24, now=T0)
    assert device_health.recovered(params=BATTERY.params, kind="x", last_seen_at=T0, battery=25, now=T0)


def test_a_missing_measurement_is_judged_at_its_local_due_time():
    expected = [missing_data.Expectation("systolic_bp", 2, dt.time(20, 0))]
    before = dt.datetime(2026, 11, 22, 19, 59, tzinfo=dt.UTC)
    assert missing_data.missed_measurements(expected, {"systolic_bp": 1}, local_now=before) == []
    misses = missing_data.missed_measurements(expected, {"systolic_bp": 1}, local_now=before + M)
    assert [m.text() for m in misses] == ["only 1 of 2 expected systolic blood pressure readings today by 20:00"]
