"""NEWS2 at every band edge of Chart 1, both SpO2 scales, Chart 2 risk, and news2.md's worked examples."""

import pytest

from alerts import news2

# (value, points) at both sides of every printed edge: RCP NEWS2 Chart 1
RESPIRATION = [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)]
SPO2_SCALE_1 = [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
SPO2_SCALE_2_AIR = [(83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0)]
SPO2_SCALE_2_OXYGEN = [(83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 1), (94, 1), (95, 2),
                       (96, 2), (97, 3), (100, 3)]
SYSTOLIC = [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)]
PULSE = [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)]
TEMPERATURE = [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)]


@pytest.mark.parametrize(("rate", "points"), RESPIRATION)
def test_respiration_rate_band_edges(rate, points):
    assert news2.respiration_rate_points(rate) == points


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_1)
def test_spo2_scale_1_band_edges(spo2, points):
    assert news2.spo2_scale1_points(spo2) == points


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_2_AIR)
def test_spo2_scale_2_on_air_scores_nothing_at_93_or_above(spo2, points):
    assert news2.spo2_scale2_points(spo2, on_oxygen=False) == points


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_2_OXYGEN)
def test_spo2_scale_2_on_oxygen_scores_high_saturations(spo2, points):
    assert news2.spo2_scale2_points(spo2, on_oxygen=True) == points


@pytest.mark.parametrize(("systolic", "points"), SYSTOLIC)
def test_systolic_bp_band_edges(systolic, points):
    assert news2.systolic_bp_points(systolic) == points


@pytest.mark.parametrize(("pulse", "points"), PULSE)
def test_pulse_band_edges(pulse, points):
    assert news2.pulse_points(pulse) == points


@pytest.mark.parametrize(("celsius", "points"), TEMPERATURE)
def test_temperature_band_edges(celsius, points):
    assert news2.temperature_points(celsius) == points


def test_supplemental_oxygen_scores_two_and_air_nothing():
    assert (news2.air_or_oxygen_points(on_oxygen=True), news2.air_or_oxygen_points(on_oxygen=False)) == (2, 0)


def test_new_confusion_or_less_than_alert_scores_three():
    assert (news2.consciousness_points(alert=False), news2.consciousness_points(alert=True)) == (3, 0)


@pytest.mark.parametrize(("raw", "points"), [(38.04, 0), (38.05, 1), (35.04, 3), (35.05, 1), (90.4, 3), (90.5, 2),
                                             (130.5, 3), (91.5, 2), (20.5, 2)])
def test_readings_are_rounded_half_up_to_chart_precision_before_scoring(raw, points):
    scorer = {38.04: news2.temperature_points, 38.05: news2.temperature_points, 35.04: news2.temperature_points,
              35.05: news2.temperature_points, 90.4: news2.systolic_bp_points, 90.5: news2.systolic_bp_points,
              130.5: news2.pulse_points, 91.5: news2.spo2_scale1_points, 20.5: news2.respiration_rate_points}[raw]
    assert scorer(raw) == points


@pytest.mark.parametrize(("rr", "spo2", "sbp", "pulse", "temp", "total", "risk"), [
    (18, 97, 125, 72, 36.8, 0, "low"),
    (22, 94, 105, 95, 38.4, 6, "medium"),
    (10, 96, 118, 88, 37.0, 1, "low"),
    (16, 96, 118, 140, 37.0, 3, "low-medium"),
])
def test_worked_examples_from_news2_md(rr, spo2, sbp, pulse, temp, total, risk):
    result = news2.score(respiration_rate=rr, spo2=spo2, systolic_bp=sbp, pulse=pulse, temperature=temp)
    assert (result.total, result.risk) == (total, risk)


def test_worked_example_components_are_reported_per_parameter():
    result = news2.score(respiration_rate=22, spo2=94, systolic_bp=105, pulse=95, temperature=38.4)
    assert result.components == {"respiration_rate": 2, "spo2": 1, "air_or_oxygen": 0, "systolic_bp": 1, "pulse": 1,
                                  "consciousness": 0, "temperature": 1}


@pytest.mark.parametrize(("total", "single_three", "risk"), [
    (0, False, "low"), (4, False, "low"), (3, True, "low-medium"), (4, True, "low-medium"), (5, False, "medium"),
    (6, True, "medium"), (7, False, "high"), (20, True, "high"),
])
def test_aggregate_thresholds_of_chart_2(total, single_three, risk):
    assert news2.risk_for(total, any_single_three=single_three) == risk


def test_scale_2_is_used_only_when_asked():
    common = dict(respiration_rate=16, spo2=89, systolic_bp=120, pulse=70, temperature=37.0)
    assert news2.score(**common).components["spo2"] == 3
    assert news2.score(**common, spo2_scale=2).components["spo2"] == 0


def test_oxygen_and_confusion_from_the_plan_add_to_the_aggregate():
    result = news2.score(respiration_rate=16, spo2=97, systolic_bp=120, pulse=70, temperature=37.0, on_oxygen=True,
                         alert=False)
    assert (result.total, result.risk) == (5, "medium")


def test_maximum_score_is_twenty():
    result = news2.score(respiration_rate=30, spo2=80, systolic_bp=80, pulse=150, temperature=34, on_oxygen=True,
                         alert=False)
    assert result.total == 20
