"""Display units: the symbols people read, and each person's glucose, weight and temperature units."""

import pytest

from rpm.errors import InvalidInput
from rpm.metrics import METRICS
from rpm.units import CANONICAL, Units, set_units_for, units_for
from tests.builders import make_user

MMOL = Units({"blood_glucose": "mmol/L", "body_weight": "[lb_av]", "body_temperature": "[degF]"})


def test_no_screen_symbol_is_a_raw_ucum_code():
    symbols = {code: CANONICAL.symbol(code) for code in METRICS}
    assert symbols["systolic_bp"] == "mmHg" and symbols["body_temperature"] == "°C"
    assert symbols["steps"] == "steps" and symbols["respiratory_rate"] == "breaths/min"
    assert not {"mm[Hg]", "Cel", "{steps}", "[degF]", "[lb_av]"} & set(symbols.values())


@pytest.mark.parametrize(("mg_dl", "mmol_l"), [
    # ADA / consensus limits as published in mmol/L (thresholds.md): 54 -> 3.0, 70 -> 3.9, 180 -> 10.0, 250 -> 13.9
    (54, 3.0), (70, 3.9), (180, 10.0), (250, 13.9), (100, 5.6),
])
def test_glucose_in_mmol_per_litre_divides_by_18_016(mg_dl, mmol_l):
    assert MMOL.show("blood_glucose", mg_dl) == mmol_l
    assert MMOL.symbol("blood_glucose") == "mmol/L"


def test_weight_in_pounds_and_temperature_in_fahrenheit():
    assert MMOL.show("body_weight", 80) == 176.4  # 80 / 0.45359237 = 176.37
    assert MMOL.show("body_temperature", 37.0) == 98.6
    assert MMOL.show("body_temperature", 38.0) == 100.4  # thresholds.md: 38.0 Cel is 100.4 degF
    assert (MMOL.symbol("body_weight"), MMOL.symbol("body_temperature")) == ("lb", "°F")


def test_canonical_units_show_the_value_at_its_precision():
    assert CANONICAL.show("blood_glucose", 99.6) == 100 and CANONICAL.show("body_weight", 80.04) == 80.0


@pytest.mark.django_db
def test_a_person_saves_their_units_and_an_unknown_unit_is_refused_naming_the_metric():
    user = make_user("units-nurse")
    assert units_for(user).chosen() == {"blood_glucose": "mg/dL", "body_weight": "kg", "body_temperature": "Cel"}

    set_units_for(user, chosen={"blood_glucose": "mmol/L"})
    assert units_for(user).symbol("blood_glucose") == "mmol/L"

    with pytest.raises(InvalidInput) as error:
        set_units_for(user, chosen={"body_weight": "stone"})
    assert set(error.value.errors) == {"body_weight"}
    assert units_for(user).chosen()["body_weight"] == "kg"
