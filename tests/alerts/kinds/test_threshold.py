"""Threshold bands at the sources' boundaries (../shared/clinical/thresholds.md), both sides: spot checks judged per
reading, continuous streams over a duration with the gap rule, scale 1 and 2, oxygen, crisis blood pressure,
the one half-up rounding, and the way back."""

import pytest

from alerts.kinds.base import PatientFacts
from tests.alerts.kinds.helpers import NO_FACTS, T0, M, default, evaluate, points, recover, rule

SPO2 = default("SpO2 low")
SPO2_SCALE_2 = default("SpO2 out of target (scale 2, target 88-92 %)")
HEART = default("Heart rate out of range")
RESP = default("Respiratory rate extreme")
TEMP = default("Temperature out of range")
CRISIS = default("Hypertensive crisis")
SBP_LOW = default("Systolic BP low")
HYPO_SEVERE = default("Severe hypoglycaemia")
HYPO = default("Hypoglycaemia")
HYPER = default("Hyperglycaemia")
SCALE_2 = PatientFacts(spo2_scale=2)
SCALE_2_ON_OXYGEN = PatientFacts(spo2_scale=2, on_oxygen=True)


def spot(r, metric, value, facts=NO_FACTS, kind="pulse_oximeter"):
    """The severity one spot-check reading raises, or None."""
    trigger = evaluate(r, {metric: points((0, value), kind=kind)}, facts=facts)
    return trigger and trigger.severity


# --- one spot-check reading is enough, at the sources' inclusive edges -----------------------------------

@pytest.mark.parametrize(("value", "severity"), [(93, None), (92, "medium"), (89, "medium"), (88, "high"),
                                                 (50, "high")])
def test_spo2_scale_1_from_a_home_oximeter(value, severity):
    assert spot(SPO2, "spo2", value) == severity


@pytest.mark.parametrize(("value", "severity"), [(88, None), (87, "medium"), (84, "medium"), (83, "high"),
                                                 (92, None), (97, None), (100, None)])
def test_spo2_scale_2_on_air(value, severity):
    assert spot(SPO2_SCALE_2, "spo2", value, SCALE_2) == severity


@pytest.mark.parametrize(("value", "severity"), [(96, None), (97, "medium"), (100, "medium"), (87, "medium")])
def test_spo2_scale_2_on_oxygen_alerts_on_too_much_oxygen(value, severity):
    assert spot(SPO2_SCALE_2, "spo2", value, SCALE_2_ON_OXYGEN) == severity


@pytest.mark.parametrize(("value", "severity"), [(41, "medium"), (40, "high"), (130, "medium"), (131, "high"),
                                                 (51, None), (50, "medium"), (110, None), (111, "medium")])
def test_heart_rate_from_a_blood_pressure_cuff(value, severity):
    assert spot(HEART, "heart_rate", value, kind="blood_pressure_monitor") == severity


def test_a_cuff_reporting_a_pulse_of_35_raises_a_high_alert_at_once():
    trigger = evaluate(HEART, {"heart_rate": points((0, 35), kind="blood_pressure_monitor")})
    assert (trigger.severity, trigger.explanation) == ("high", "Heart rate 35 /min, at or below 40 /min")


@pytest.mark.parametrize(("value", "severity"), [(8, "high"), (9, None), (24, None), (25, "high")])
def test_respiratory_rate(value, severity):
    assert spot(RESP, "respiratory_rate", value, kind=None) == severity


@pytest.mark.parametrize(("value", "severity"), [(35.0, "high"), (35.1, None), (38.0, None), (38.1, "medium"),
                                                 (39.0, "medium"), (39.1, "high")])
def test_temperature(value, severity):
    assert spot(TEMP, "body_temperature", value, kind="thermometer") == severity


@pytest.mark.parametrize(("value", "severity"), [(90, "high"), (91, None)])
def test_systolic_bp_low(value, severity):
    assert spot(SBP_LOW, "systolic_bp", value, kind="blood_pressure_monitor") == severity


@pytest.mark.parametrize(("value", "severity"), [(53, "high"), (54, None)])
def test_level_2_hypoglycaemia_for_everyone(value, severity):
    assert spot(HYPO_SEVERE, "blood_glucose", value, kind="glucometer") == severity


@pytest.mark.parametrize(("value", "severity"), [(69, "medium"), (70, None)])
def test_level_1_hypoglycaemia_for_diabetes(value, severity):
    assert spot(HYPO, "blood_glucose", value, kind="glucometer") == severity


@pytest.mark.parametrize(("systolic", "diastolic", "fires"), [(180, 120, False), (181, 80, True), (150, 121, True),
                                                              (212, 124, True), (179, 119, False)])
def test_hypertensive_crisis_is_systolic_over_180_and_or_diastolic_over_120(systolic, diastolic, fires):
    series = {"systolic_bp": points((0, systolic), kind="blood_pressure_monitor"),
              "diastolic_bp": points((0, diastolic), kind="blood_pressure_monitor")}
    assert (evaluate(CRISIS, series) is not None) is fires


def test_a_crisis_names_both_values_of_the_measurement():
    series = {"systolic_bp": points((0, 212), kind="blood_pressure_monitor"),
              "diastolic_bp": points((0, 124), kind="blood_pressure_monitor")}
    trigger = evaluate(CRISIS, series)
    assert trigger.severity == "high"
    assert trigger.explanation == ("Systolic blood pressure 212 mmHg, above 180 mmHg; "
                                   "diastolic blood pressure 124 mmHg, above 120 mmHg")
    assert len(trigger.reading_ids) == 2


# --- one half-up rounding at display precision, as NEWS2 ------------------------------------------------

@pytest.mark.parametrize(("value", "severity"), [(24.5, "high"), (24.49, None), (8.5, None), (8.49, "high")])
def test_respiratory_rate_rounds_half_up_like_news2(value, severity):
    assert spot(RESP, "respiratory_rate", value, kind=None) == severity


@pytest.mark.parametrize(("value", "severity"), [(38.05, "medium"), (38.04, None), (35.05, None),
                                                 (35.04, "high")])
def test_temperature_rounds_half_up_to_one_decimal(value, severity):
    assert spot(TEMP, "body_temperature", value, kind="thermometer") == severity


def test_a_spo2_of_92_point_5_reads_93_and_does_not_alert():
    assert spot(SPO2, "spo2", 92.5) is None
    assert spot(SPO2, "spo2", 92.49) == "medium"


# --- continuous streams: a band holds for its duration, and a gap breaks the run -----------------------------

def stream(*pairs, kind="multiparameter_monitor"):
    return {"heart_rate": points(*pairs, kind=kind)}


def test_one_fast_heart_rate_on_a_monitor_does_not_page_for_the_15_minute_band():
    assert evaluate(HEART, stream((0, 115))) is None


def test_a_heart_rate_of_115_for_15_minutes_on_a_monitor_is_medium():
    trigger = evaluate(HEART, stream(*[(m, 115) for m in range(0, 16, 3)]))
    assert trigger.severity == "medium"
    assert trigger.explanation == ("Heart rate 115 /min for 15 min, at or above 111 /min for at least 15 min "
                                   "(6 readings)")


def test_just_under_15_minutes_on_a_monitor_does_not_fire():
    assert evaluate(HEART, stream(*[(m, 115) for m in range(0, 15, 2)])) is None


def test_a_gap_longer_than_the_monitors_5_minutes_breaks_the_run():
    assert evaluate(HEART, stream((0, 115), (5, 115), (11, 115), (16, 115))) is None


def test_a_gap_of_exactly_5_minutes_keeps_the_run():
    assert evaluate(HEART, stream((0, 115), (5, 115), (10, 115), (15, 115))).severity == "medium"


def test_two_readings_an_hour_apart_are_not_an_hour_of_anything():
    assert evaluate(HEART, stream((0, 115), (60, 115))) is None


def test_a_cgm_allows_a_15_minute_gap():
    hypo = rule("threshold", "blood_glucose", {"bands": [{"op": "<", "value": 70, "severity": "medium",
                                                          "for_minutes": 30}]})
    assert evaluate(hypo, {"blood_glucose": points((0, 60), (15, 60), (30, 60), kind="cgm")}).severity == "medium"
    assert evaluate(hypo, {"blood_glucose": points((0, 60), (16, 60), (30, 60), kind="cgm")}) is None


def test_the_rule_may_set_its_own_gap():
    params = {**HEART.params, "max_gap_minutes": 20}
    assert evaluate(rule("threshold", "heart_rate", params), stream((0, 115), (15, 115))).severity == "medium"


def test_the_severe_heart_rate_band_fires_at_once_on_a_monitor():
    assert evaluate(HEART, stream((0, 131))).severity == "high"


def test_a_spot_check_among_a_stream_is_still_judged_on_its_own():
    series = {"heart_rate": points((0, 80), (2, 82), kind="wearable") + points((3, 112), kind="pulse_oximeter")}
    assert evaluate(HEART, series).severity == "medium"


def test_a_rule_for_continuous_streams_only_ignores_spot_checks():
    params = {**HEART.params, "applies_to": "continuous"}
    r = rule("threshold", "heart_rate", params)
    assert evaluate(r, {"heart_rate": points((0, 35), kind="blood_pressure_monitor")}) is None
    assert evaluate(r, stream((0, 35))).severity == "high"


def test_readings_arriving_late_are_judged_in_measured_order():
    later = points((10, 115), (15, 115), kind="multiparameter_monitor")
    earlier = points((0, 115), (5, 115), kind="multiparameter_monitor")
    assert evaluate(HEART, {"heart_rate": later}) is None
    assert evaluate(HEART, {"heart_rate": earlier + later}, new=earlier).severity == "medium"


def test_an_implausible_reading_is_never_judged():
    from devices.readings import Point

    odd = Point(999, T0, 20, "pulse_oximeter", "implausible")
    assert evaluate(SPO2, {"spo2": [odd]}) is None


# --- consecutive readings ------------------------------------------------------------------------------------

def test_hyperglycaemia_needs_two_readings_in_a_row_above_250():
    one = points((0, 260), kind="glucometer")
    assert evaluate(HYPER, {"blood_glucose": one}) is None
    two = points((0, 251), (240, 260), kind="glucometer")
    assert evaluate(HYPER, {"blood_glucose": two}).severity == "medium"
    broken = points((0, 251), (120, 200), (240, 260), kind="glucometer")
    assert evaluate(HYPER, {"blood_glucose": broken}) is None


def test_250_itself_is_not_above_250():
    assert evaluate(HYPER, {"blood_glucose": points((0, 250), (60, 250), kind="glucometer")}) is None


# --- the way back ------------------------------------------------------------------------------------------------

def test_one_good_spot_check_recovers_past_the_margin():
    series = {"blood_glucose": points((0, 48), (4, 85), kind="glucometer")}
    recovery = recover(HYPO_SEVERE, series, after=T0)
    assert recovery.resolution == ("Resolved automatically: blood glucose back at or above 64 mg/dL, latest 85 mg/dL "
                                   "(margin 10).")


def test_a_spot_check_inside_the_margin_does_not_recover():
    assert recover(HYPO_SEVERE, {"blood_glucose": points((0, 48), (4, 60), kind="glucometer")}, after=T0) is None


def test_a_continuous_stream_must_stay_back_for_the_resolve_minutes():
    series = {"spo2": points((0, 85), (2, 95), (6, 96), (10, 96), kind="multiparameter_monitor")}
    assert recover(SPO2, series, after=T0) is None
    series["spo2"] += points((12, 96), kind="multiparameter_monitor")
    assert recover(SPO2, series, after=T0).resolution.startswith(
        "Resolved automatically: SpO2 back at or above 93 % for 10 min (4 readings)")


def test_a_crisis_recovers_only_when_both_values_are_back():
    series = {"systolic_bp": points((0, 200), (30, 150), kind="blood_pressure_monitor"),
              "diastolic_bp": points((0, 125), (30, 115), kind="blood_pressure_monitor")}
    assert recover(CRISIS, series, after=T0) is None
    series["diastolic_bp"] += points((31, 100), kind="blood_pressure_monitor")
    series["systolic_bp"] += points((31, 150), kind="blood_pressure_monitor")
    assert recover(CRISIS, series, after=T0 + 30 * M) is not None


def test_the_scale_2_high_band_recovers_below_the_margin_only_on_oxygen():
    series = {"spo2": points((0, 98), (5, 97), kind="pulse_oximeter")}
    assert recover(SPO2_SCALE_2, series, after=T0, facts=SCALE_2_ON_OXYGEN) is None
    series["spo2"] += points((6, 96), kind="pulse_oximeter")
    assert recover(SPO2_SCALE_2, series, after=T0, facts=SCALE_2_ON_OXYGEN).resolution == (
        "Resolved automatically: SpO2 back between 88 % and 96 %, latest 96 % (margin 1).")


# --- what the screens mark ---------------------------------------------------------------------------------------

def test_display_bands_follow_the_patients_oxygen():
    from alerts.kinds import KINDS

    on_air = KINDS["threshold"].display_bands(SPO2_SCALE_2, SCALE_2)
    on_oxygen = KINDS["threshold"].display_bands(SPO2_SCALE_2, SCALE_2_ON_OXYGEN)
    assert [b["value"] for b in on_air] == [87, 83]
    assert [b["value"] for b in on_oxygen] == [87, 83, 97]


def test_crisis_bands_are_shown_on_each_metric():
    from alerts.kinds import KINDS

    assert {(b["metric"], b["value"]) for b in KINDS["threshold"].display_bands(CRISIS, PatientFacts())} == {
        ("systolic_bp", 180), ("diastolic_bp", 120)}
