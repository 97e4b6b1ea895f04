"""The registry of rule kinds: which kinds the engine runs on each new reading, which resolve themselves, and the
parameter checks every kind offers."""

from alerts.kinds import KINDS, READING_KINDS, validate_params


def test_the_engine_judges_new_readings_with_these_kinds_and_the_rest_on_a_schedule():
    assert READING_KINDS == {"threshold", "persistence", "average", "rate_of_change", "early_warning_score",
                             "implausible_reading"}
    assert set(KINDS) - READING_KINDS == {"missing_data", "medication_adherence", "device_health"}


def test_only_a_rate_of_change_never_resolves_itself():
    assert {code for code in READING_KINDS if not KINDS[code].auto_recovers} == {"rate_of_change"}


def test_an_unknown_kind_is_refused_by_name():
    assert validate_params("hunch", "", {}) == {"kind": "unknown rule kind 'hunch'"}


def test_params_must_be_an_object():
    assert validate_params("threshold", "spo2", ["bands"]) == {"params": "must be a JSON object"}


def test_an_implausible_reading_rule_takes_a_catalogue_metric_or_none():
    assert validate_params("implausible_reading", "", {}) == {}
    assert validate_params("implausible_reading", "spo2", {}) == {}
    assert "metric" in validate_params("implausible_reading", "mood", {})
