"""The metric catalogue against ../shared/clinical/codes.md (LOINC codes, UCUM units, conversions)."""

import pytest

from rpm.metrics import DEVICE_KIND_METRICS, DEVICE_KINDS, METRICS


@pytest.mark.parametrize(
    ("code", "loinc", "unit"),
    [("respiratory_rate", "9279-1", "/min"), ("heart_rate", "8867-4", "/min"), ("spo2", "2708-6", "%"),
     ("body_temperature", "8310-5", "Cel"), ("body_weight", "29463-7", "kg"), ("systolic_bp", "8480-6", "mm[Hg]"),
     ("diastolic_bp", "8462-4", "mm[Hg]"), ("blood_glucose", "41653-7", "mg/dL"), ("steps", "55423-8", "{steps}")],
)
def test_each_metric_has_its_loinc_code_and_canonical_ucum_unit(code, loinc, unit):
    assert (METRICS[code].loinc, METRICS[code].unit) == (loinc, unit)


@pytest.mark.parametrize(
    ("code", "value", "unit", "canonical"),
    [("body_weight", 1, "[lb_av]", 0.45359237), ("body_temperature", 32, "[degF]", 0.0),
     ("body_temperature", 212, "[degF]", 100.0), ("blood_glucose", 1, "mmol/L", 18.016), ("spo2", 1, "1", 100.0)],
)
def test_conversions_use_the_factors_in_codes_md(code, value, unit, canonical):
    assert METRICS[code].to_canonical(value, unit) == pytest.approx(canonical)


def test_a_unit_of_another_metric_is_not_converted():
    assert METRICS["heart_rate"].to_canonical(70, "kg") is None


def test_every_metric_accepts_its_canonical_unit():
    for metric in METRICS.values():
        assert metric.unit in metric.accepted_units()
        assert metric.to_canonical(1.5, metric.unit) == 1.5


def test_every_device_kind_of_the_contract_reports_known_metrics():
    assert DEVICE_KINDS == ["blood_pressure_monitor", "pulse_oximeter", "glucometer", "cgm", "weight_scale",
                            "thermometer", "wearable", "pill_dispenser", "multiparameter_monitor"]
    for kind, metrics in DEVICE_KIND_METRICS.items():
        assert metrics and metrics <= set(METRICS), kind


@pytest.mark.parametrize("code", list(METRICS))
def test_plausible_ranges_are_ordered(code):
    assert METRICS[code].low < METRICS[code].high
