"""Rate of change at the sources' boundaries: heart failure weight gain (AHA/HFSA: 2 lb a day, 5 lb a week; ESC/HFA:
more than 2 kg in 3 days) and a fast glucose fall, with patient-local calendar days."""

import datetime as dt
import zoneinfo

import pytest

from alerts.kinds import rate_of_change
from alerts.kinds.base import PatientFacts
from rpm.metrics import LB_TO_KG
from tests.alerts.kinds.helpers import T0, default, evaluate, points

WEIGHT = default("Heart failure weight gain")
FALLING = default("Glucose falling fast")
DAY = 24 * 60


def weights(*pairs):
    """(days after T0, kg), from a scale."""
    return {"body_weight": points(*[(d * DAY, kg) for d, kg in pairs], kind="weight_scale")}


@pytest.mark.parametrize(("gain", "fires"), [(0.9, True), (0.8, False), (0.86, True), (0.84, False)])
def test_a_gain_of_0_9_kg_in_a_day_is_the_edge(gain, fires):
    assert (evaluate(WEIGHT, weights((0, 80.0), (1, 80.0 + gain))) is not None) is fires


def test_two_pounds_in_a_day_fires():
    assert evaluate(WEIGHT, weights((0, 180 * LB_TO_KG), (1, 182 * LB_TO_KG))) is not None


@pytest.mark.parametrize(("gain", "fires"), [(2.0, False), (2.1, True)])
def test_more_than_2_kg_in_3_days(gain, fires):
    # spread over three days, each day under the 1-day bar
    series = weights((0, 80.0), (1, 80.0 + gain / 3), (2, 80.0 + 2 * gain / 3), (3, 80.0 + gain))
    trigger = evaluate(WEIGHT, series)
    assert (trigger is not None and "in 3 days" in trigger.explanation) is fires


def test_five_pounds_in_a_week_fires():
    pounds = [180, 180.7, 181.4, 182.1, 182.8, 183.5, 184.2, 185]  # 0.7 lb a day, never 2 lb a day or 2 kg in 3
    trigger = evaluate(WEIGHT, weights(*[(d, lb * LB_TO_KG) for d, lb in enumerate(pounds)]))
    assert trigger is not None
    assert trigger.explanation == ("Body weight up 2.3 kg in 7 days (81.6 kg to 83.9 kg), a gain of at least 2.2 kg "
                                   "in 7 days")


def test_2_1_kg_over_seven_days_does_not_fire():
    series = weights(*[(d, 80.0 + 0.3 * d) for d in range(8)])  # 2.1 kg in 7 days, 0.9 kg in 3
    assert evaluate(WEIGHT, series) is None


def test_days_are_the_patients_local_calendar_days():
    tokyo = PatientFacts(tz=zoneinfo.ZoneInfo("Asia/Tokyo"))
    # 23:30 and 00:30 Tokyo time are different days even though an hour apart
    late = dt.datetime(2026, 11, 21, 14, 30, tzinfo=dt.UTC)
    series = {"body_weight": points((0, 80.0), (60, 81.0), kind="weight_scale", start=late)}
    assert evaluate(WEIGHT, series, facts=tokyo) is not None


def test_a_gain_needs_a_new_reading_at_one_end():
    series = weights((0, 80.0), (1, 81.0), (2, 81.0))
    assert evaluate(WEIGHT, series, new=series["body_weight"][2:]) is None


@pytest.mark.parametrize(("fall", "fires"), [(60, True), (59, False)])
def test_glucose_falling_60_mg_dl_in_30_minutes(fall, fires):
    series = {"blood_glucose": points((0, 180), (15, 160), (30, 180 - fall), kind="cgm")}
    assert (evaluate(FALLING, series) is not None) is fires


def test_the_patient_page_shows_each_windows_change_with_the_rules_flag():
    series = weights((0, 80.0), (1, 81.0))["body_weight"]
    changes = rate_of_change.latest_changes(series, metric="body_weight", params=WEIGHT.params, tz=dt.UTC)
    assert [(rate_of_change.window_text(c.window), c.change, c.meets) for c in changes] == [
        ("1 day", 1.0, True), ("3 days", 1.0, False), ("7 days", 1.0, False)]
    assert T0 == series[0].measured_at


def test_a_weigh_in_just_after_midnight_yesterday_counts_as_yesterday():
    just_after_midnight = dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)
    series = {"body_weight": points((0, 80.0), (31 * 60 + 30, 81.0), kind="weight_scale", start=just_after_midnight)}
    assert evaluate(WEIGHT, series) is not None  # 00:30 on the 21st against 08:00 on the 22nd: one day


def test_a_fall_is_measured_from_readings_before_it_never_after():
    # 150, then 100 (a fall of 50: under the bar), then 170: the 170 came later and is not "before" the 100
    series = {"blood_glucose": points((0, 150), (15, 100), (20, 170), kind="cgm")}
    assert evaluate(FALLING, series) is None
