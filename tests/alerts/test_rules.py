"""Pure rule functions at their boundaries: bands, persistence on measured_at, hysteresis, rate of change,
missing data, medication adherence, device health. Time is passed in; nothing sleeps."""

import datetime as dt

import pytest

from alerts import rules
from alerts.defaults import DEFAULT_RULES

T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
LOCAL = dt.UTC


def params_of(name):
    return next(r["params"] for r in DEFAULT_RULES if r["name"] == name)


SPO2 = params_of("SpO2 low")
HEART = params_of("Heart rate out of range")
RESP = params_of("Respiratory rate extreme")
GLUCOSE_HIGH = params_of("Hyperglycaemia")
WEIGHT = params_of("Heart failure weight gain")
FALLING = params_of("Glucose falling fast")


def series(*pairs, start_id=1):
    """(minutes after T0, value) -> points with ids in the given order."""
    return [rules.Point(start_id + i, T0 + dt.timedelta(minutes=m), v) for i, (m, v) in enumerate(pairs)]


def by_time(points):
    return sorted(points, key=lambda p: (p.measured_at, p.id))


def bands(points, params=SPO2, metric="spo2", new=None):
    return rules.evaluate_bands(by_time(points), metric=metric, params=params,
                                new_ids={p.id for p in points} if new is None else new)


# --- threshold ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "fires"), [(8, True), (9, False), (24, False), (25, True)])
def test_respiratory_rate_threshold_fires_at_its_inclusive_edges(value, fires):
    assert (bands(series((0, value)), RESP, "respiratory_rate") is not None) is fires


def test_a_single_threshold_reading_explains_itself():
    trigger = bands(series((0, 7)), RESP, "respiratory_rate")
    assert trigger.explanation == "Respiratory rate 7 /min, at or below 8 /min"
    assert trigger.severity == "high"


def test_values_are_compared_at_display_precision():
    # 91.6 % shows as 92 %, so it is not "below 92 %"
    assert bands(series((0, 91.6), (11, 91.6))) is None


# --- persistence -----------------------------------------------------------------------------------

def test_one_low_spo2_reading_does_not_page_anyone():
    assert bands(series((0, 85))) is None


def test_spo2_below_88_for_exactly_5_minutes_is_high():
    trigger = bands(series((0, 87), (5, 86)))
    assert trigger.severity == "high"
    assert trigger.explanation == "SpO2 86 % for 5 min, below 88 % for at least 5 min (2 readings)"


def test_spo2_below_88_for_just_under_5_minutes_does_not_fire():
    points = [rules.Point(1, T0, 87), rules.Point(2, T0 + dt.timedelta(minutes=4, seconds=59), 86)]
    assert bands(points) is None


def test_spo2_below_92_for_10_minutes_is_medium_with_the_readings_behind_it():
    trigger = bands(series((0, 91), (4, 90), (10, 91)))
    assert (trigger.severity, trigger.reading_ids) == ("medium", [1, 2, 3])
    assert trigger.explanation == "SpO2 91 % for 10 min, below 92 % for at least 10 min (3 readings)"


def test_spo2_at_exactly_92_breaks_the_run():
    assert bands(series((0, 91), (5, 92), (10, 91))) is None


def test_worse_band_wins_when_both_hold():
    trigger = bands(series((0, 86), (6, 86), (12, 86)))
    assert trigger.severity == "high"
    assert trigger.explanation.startswith("SpO2 86 % for 12 min, below 88 %")


def test_persistence_is_judged_on_measured_at_not_arrival_order():
    # arrived newest first; measured 0, 6, 12 min: a 12-minute run
    arrived = [rules.Point(1, T0 + dt.timedelta(minutes=12), 90), rules.Point(2, T0 + dt.timedelta(minutes=6), 90),
               rules.Point(3, T0, 90)]
    assert bands(arrived).explanation.startswith("SpO2 90 % for 12 min")


def test_a_late_reading_that_completes_a_run_fires():
    stored = series((0, 90), (12, 90))  # a gap: a normal reading in between would break it
    late = rules.Point(99, T0 + dt.timedelta(minutes=6), 91)
    assert bands([*stored, late], new={99}).severity == "medium"


def test_a_late_normal_reading_breaks_a_run_it_falls_inside():
    stored = series((0, 90), (12, 90))
    late = rules.Point(99, T0 + dt.timedelta(minutes=6), 97)
    assert bands([*stored, late], new={1, 2, 99}) is None


def test_runs_without_a_new_reading_are_not_raised_again():
    assert bands(series((0, 90), (12, 90), (20, 97)), new={3}) is None


def test_consecutive_readings_count_regardless_of_the_gap():
    trigger = bands(series((0, 260), (600, 255)), GLUCOSE_HIGH, "blood_glucose")
    assert trigger.explanation == "Blood glucose 255 mg/dL, above 250 mg/dL in 2 consecutive readings (at least 2)"


def test_one_reading_above_250_is_not_enough_and_250_itself_is_not_above():
    assert bands(series((0, 300)), GLUCOSE_HIGH, "blood_glucose") is None
    assert bands(series((0, 250), (5, 250)), GLUCOSE_HIGH, "blood_glucose") is None


@pytest.mark.parametrize(("value", "minutes", "severity"), [
    (40, 5, None), (39, 5, "high"), (39, 4, None), (49, 15, "medium"), (50, 15, None), (131, 5, "high"),
    (130, 5, None), (111, 15, "medium"), (110, 15, None), (111, 14, None),
])
def test_heart_rate_bands_and_durations(value, minutes, severity):
    trigger = bands(series((0, value), (minutes, value)), HEART, "heart_rate")
    assert (trigger.severity if trigger else None) == severity


# --- hysteresis and auto-resolve ---------------------------------------------------------------------

def recovery(points, params=SPO2, metric="spo2", after=T0):
    return rules.band_recovery(by_time(points), metric=metric, params=params, after=after)


def test_back_inside_by_the_margin_for_the_duration_resolves_and_says_so():
    result = recovery(series((1, 93), (6, 94), (11, 95)))
    assert result.resolution == ("Resolved automatically: SpO2 back at or above 93 % for 10 min "
                                 "(margin 1, latest 95 %, 3 readings).")
    assert result.at == T0 + dt.timedelta(minutes=11)


def test_back_inside_but_not_by_the_margin_does_not_resolve():
    assert recovery(series((1, 92), (6, 92), (11, 92))) is None


def test_back_inside_by_the_margin_for_too_short_a_time_does_not_resolve():
    assert recovery(series((1, 95), (10, 95))) is None


def test_a_dip_during_recovery_restarts_the_clock():
    assert recovery(series((1, 95), (5, 90), (10, 95), (15, 95))) is None


def test_readings_before_the_alert_do_not_count_towards_recovery():
    assert recovery(series((0, 95), (5, 95), (11, 95)), after=T0 + dt.timedelta(minutes=5)) is None


def test_immediate_threshold_resolves_on_one_reading_past_the_margin():
    temperature = params_of("Temperature out of range")
    assert recovery(series((1, 37.9)), temperature, "body_temperature") is not None
    assert recovery(series((1, 38.0)), temperature, "body_temperature") is None


# --- average over days --------------------------------------------------------------------------------

def test_seven_day_average_at_140_is_stage_2_hypertension():
    params = params_of("Stage 2 hypertension (systolic, 7-day average)")
    days = [rules.Point(i, T0 - dt.timedelta(days=i), v) for i, v in enumerate([138, 142, 140], start=1)]
    trigger = rules.evaluate_bands(by_time(days), metric="systolic_bp", params=params, new_ids={1})
    assert trigger.severity == "low"
    assert trigger.explanation == ("Systolic blood pressure averaged 140 mmHg over 7 days (3 readings), "
                                   "at or above 140 mmHg")


def test_seven_day_average_needs_three_readings():
    params = params_of("Stage 2 hypertension (systolic, 7-day average)")
    days = [rules.Point(1, T0, 170), rules.Point(2, T0 - dt.timedelta(days=1), 170)]
    assert rules.evaluate_bands(by_time(days), metric="systolic_bp", params=params, new_ids={1}) is None


# --- rate of change ---------------------------------------------------------------------------------

def weights(*pairs):
    return [rules.Point(i, T0 + dt.timedelta(days=d), v) for i, (d, v) in enumerate(pairs, start=1)]


def rate(points, params=WEIGHT, metric="body_weight", new=None):
    return rules.evaluate_rate(by_time(points), metric=metric, params=params, severity="medium",
                               new_ids={points[-1].id} if new is None else new, tz=LOCAL)


def test_heart_failure_gain_of_0_9_kg_in_a_day_fires():
    trigger = rate(weights((0, 80.0), (1, 80.9)))
    assert trigger.explanation == ("Body weight up 0.9 kg in 1 day (80.0 kg to 80.9 kg), "
                                   "a gain of at least 0.9 kg in 1 day")


def test_heart_failure_gain_of_0_8_kg_in_a_day_does_not():
    assert rate(weights((0, 80.0), (1, 80.8))) is None


def test_day_windows_are_calendar_days_so_a_later_weigh_in_still_compares_with_yesterday():
    points = [rules.Point(1, T0, 80.0), rules.Point(2, T0 + dt.timedelta(hours=25), 81.0)]
    assert rate(points) is not None


def test_gain_of_2_3_kg_over_a_week_fires_and_2_2_does_not():
    assert rate(weights((0, 80.0), (2, 80.5), (4, 81.2), (6, 81.7), (7, 82.3))) is not None
    assert rate(weights((0, 80.0), (2, 80.5), (4, 81.2), (6, 81.7), (7, 82.2))) is None


def test_weight_loss_does_not_fire_a_gain_rule():
    assert rate(weights((0, 82.0), (1, 80.0))) is None


def test_glucose_falling_60_in_30_minutes_fires():
    points = [rules.Point(1, T0, 180), rules.Point(2, T0 + dt.timedelta(minutes=30), 120)]
    trigger = rate(points, FALLING, "blood_glucose")
    assert trigger.explanation.startswith("Blood glucose down 60 mg/dL in 30 min (180 mg/dL to 120 mg/dL)")


def test_glucose_falling_59_in_30_minutes_or_60_in_31_does_not():
    slow = [rules.Point(1, T0, 180), rules.Point(2, T0 + dt.timedelta(minutes=30), 121)]
    late = [rules.Point(1, T0, 180), rules.Point(2, T0 + dt.timedelta(minutes=31), 120)]
    assert rate(slow, FALLING, "blood_glucose") is None
    assert rate(late, FALLING, "blood_glucose") is None


def test_a_late_baseline_reading_can_reveal_a_gain():
    points = [rules.Point(5, T0 + dt.timedelta(days=1), 81.0), rules.Point(9, T0, 80.0)]
    assert rate(points, new={9}) is not None


# --- missing data -----------------------------------------------------------------------------------

def test_missing_blood_pressure_is_reported_from_due_time_patient_local():
    expected = [rules.Expectation("systolic_bp", 1, dt.time(20, 0))]
    local = dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    misses = rules.missed_measurements(expected, {}, local_now=local)
    assert [m.text() for m in misses] == ["no systolic blood pressure reading today by 20:00 (1 expected)"]
    assert rules.missed_measurements(expected, {}, local_now=local - dt.timedelta(seconds=1)) == []


def test_enough_readings_today_means_nothing_is_missing():
    expected = [rules.Expectation("heart_rate", 2, dt.time(18, 0))]
    local = dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC)
    assert rules.missed_measurements(expected, {"heart_rate": 2}, local_now=local) == []
    assert rules.missed_measurements(expected, {"heart_rate": 1}, local_now=local)[0].text() == \
        "only 1 of 2 expected heart rate readings today by 18:00"


# --- medication adherence -----------------------------------------------------------------------------

NOW_LOCAL = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def doses(events, now=NOW_LOCAL):
    return rules.scheduled_doses(times=[dt.time(8, 0)], window_minutes=120, dose_events=events, local_now=now,
                                 days_back=2)


def test_a_dose_event_at_the_window_edge_counts():
    taken = doses([NOW_LOCAL.replace(hour=10), NOW_LOCAL.replace(hour=6) - dt.timedelta(days=1),
                   NOW_LOCAL.replace(hour=8) - dt.timedelta(days=2)])
    assert [d.taken for d in taken] == [True, True, True]


def test_a_dose_event_just_outside_the_window_is_a_missed_dose():
    late = doses([NOW_LOCAL.replace(hour=10, minute=1)])
    assert late[-1].taken is False
    assert rules.trailing_missed(late) == 3


def test_a_dose_is_not_judged_before_its_window_closes():
    assert len(doses([], now=NOW_LOCAL.replace(hour=9, minute=59))) == 2


def test_proportion_of_days_covered_counts_days_with_every_dose_taken():
    events = [dt.datetime(2026, 11, d, 8, 5, tzinfo=dt.UTC) for d in range(1, 22) if d % 5]  # misses 5, 10, 15, 20
    pdc = rules.proportion_of_days_covered(schedules=[([dt.time(8, 0)], 120)], dose_events=events,
                                           local_today=dt.date(2026, 11, 22), tz=dt.UTC, days=21)
    assert pdc == pytest.approx(17 / 21)


# --- device health ------------------------------------------------------------------------------------

def test_no_contact_for_exactly_24_hours_is_a_problem():
    params = {"check": "no_contact", "hours": 24}
    seen = T0 - dt.timedelta(hours=24)
    assert "no contact from oximeter X for 24.0 h" in rules.device_problem(
        params=params, label="oximeter X", last_seen_at=seen, since=seen, battery=None, now=T0)
    assert rules.device_problem(params=params, label="x", last_seen_at=seen + dt.timedelta(seconds=1), since=seen,
                                battery=None, now=T0) is None


def test_battery_below_20_is_low_and_recovers_only_at_25():
    params = {"check": "battery", "below": 20, "resolve_margin": 5}
    assert rules.device_problem(params=params, label="x", last_seen_at=T0, since=T0, battery=19, now=T0)
    assert rules.device_problem(params=params, label="x", last_seen_at=T0, since=T0, battery=20, now=T0) is None
    assert not rules.device_recovered(params=params, last_seen_at=T0, battery=24, now=T0)
    assert rules.device_recovered(params=params, last_seen_at=T0, battery=25, now=T0)


# --- parameter validation -------------------------------------------------------------------------------

def test_every_default_rule_has_valid_params():
    assert {r["name"]: rules.validate_params(r["kind"], r["metric"], r["params"]) for r in DEFAULT_RULES} == \
        {r["name"]: {} for r in DEFAULT_RULES}


@pytest.mark.parametrize(("kind", "metric", "params", "field"), [
    ("threshold", "spo2", {"bands": []}, "params.bands"),
    ("threshold", "spo2", {"bands": [{"op": "=", "value": 90, "severity": "high"}]}, "params.bands[0].op"),
    ("threshold", "spo2", {"bands": [{"op": "<", "value": 900, "severity": "high"}]}, "params.bands[0].value"),
    ("threshold", "spo2", {"bands": [{"op": "<", "value": 90, "severity": "urgent"}]}, "params.bands[0].severity"),
    ("persistence", "spo2", {"bands": [{"op": "<", "value": 90, "severity": "high"}]}, "params.bands[0].for_minutes"),
    ("persistence", "spo2", {"bands": [{"op": "<", "value": 90, "severity": "high", "consecutive": 1}]},
     "params.bands[0].consecutive"),
    ("threshold", "", {"bands": [{"op": "<", "value": 90, "severity": "high"}]}, "metric"),
    ("rate_of_change", "body_weight", {"direction": "up", "windows": [{"delta": 1, "days": 1}]}, "params.direction"),
    ("rate_of_change", "body_weight", {"direction": "rise", "windows": [{"delta": 1, "days": 1, "minutes": 5}]},
     "params.windows[0]"),
    ("device_health", "", {"check": "battery", "below": 120}, "params.below"),
    ("early_warning_score", "", {"window_minutes": -5}, "params.window_minutes"),
])
def test_invalid_params_are_named_by_field(kind, metric, params, field):
    assert field in rules.validate_params(kind, metric, params)
