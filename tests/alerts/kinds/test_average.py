"""The 7-day home blood pressure average (ACC/AHA 2017 Table 11: home 135/85 corresponds to office 140/90)."""

import datetime as dt

import pytest

from tests.alerts.kinds.helpers import T0, default, evaluate, points, recover

SYSTOLIC = default("Home blood pressure high (systolic, 7-day average)")
DIASTOLIC = default("Home blood pressure high (diastolic, 7-day average)")
DAY = 24 * 60


def week(metric, *values):
    return {metric: points(*[(d * DAY, v) for d, v in enumerate(values)], kind="blood_pressure_monitor")}


@pytest.mark.parametrize(("values", "fires"), [((135, 135, 135), True), ((133, 135, 135), False),
                                               ((134, 135, 135), True)])  # a mean of 134.7 reads 135
def test_systolic_average_of_135_fires(values, fires):
    assert (evaluate(SYSTOLIC, week("systolic_bp", *values)) is not None) is fires


@pytest.mark.parametrize(("values", "fires"), [((85, 85, 85), True), ((83, 85, 85), False), ((84, 85, 85), True)])
def test_diastolic_average_of_85_fires(values, fires):
    assert (evaluate(DIASTOLIC, week("diastolic_bp", *values)) is not None) is fires


def test_fewer_than_three_readings_decide_nothing():
    assert evaluate(SYSTOLIC, week("systolic_bp", 160, 160)) is None


def test_the_average_explains_itself():
    trigger = evaluate(SYSTOLIC, week("systolic_bp", 140, 142, 144))
    assert (trigger.severity, trigger.explanation) == ("low", "Systolic blood pressure averaged 142 mmHg over 7 days "
                                                              "(3 readings), at or above 135 mmHg")


def test_the_average_recovers_below_the_margin():
    series = week("systolic_bp", 140, 140, 140, 120, 120, 120, 120)
    recovery = recover(SYSTOLIC, series, after=T0 + dt.timedelta(days=2))
    assert recovery.resolution == ("Resolved automatically: Systolic blood pressure 7-day average back to 129 mmHg "
                                   "(at or below 130 mmHg).")
