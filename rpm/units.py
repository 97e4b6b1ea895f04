"""The units a person reads: each metric's symbol on screen (mmHg, °C, steps, breaths/min: never a raw UCUM code),
and the per-user choice for glucose (mg/dL or mmol/L), weight (kg or lb) and temperature (°C or °F). Stored values
stay canonical UCUM (rpm.metrics); conversion happens only where a value is shown or exported for a person.

Conversions (../shared/clinical/codes.md, "Unit conversions"): [lb_av] to kg x 0.45359237; [degF] to Cel
(F - 32) x 5/9; glucose mmol/L to mg/dL x 18.016 (molar mass 180.16 g/mol). Display is the inverse of each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rpm.errors import InvalidInput
from rpm.metrics import GLUCOSE_MMOL_TO_MGDL, LB_TO_KG, METRICS, round_half_up
from rpm.models import DisplayUnits


@dataclass(frozen=True)
class DisplayUnit:
    code: str  # UCUM code of the unit shown
    symbol: str  # what a clinician reads
    scale: float  # shown = canonical x scale + offset
    offset: float
    precision: int

    def show(self, canonical: float) -> float:
        return round_half_up(canonical * self.scale + self.offset, self.precision)


def _canonical(code: str) -> DisplayUnit:
    m = METRICS[code]
    return DisplayUnit(m.unit, m.shown_unit, 1.0, 0.0, m.precision)


# metric -> the choices a user has (the first is the canonical unit)
CHOICES: dict[str, dict[str, DisplayUnit]] = {
    "blood_glucose": {"mg/dL": _canonical("blood_glucose"),
                      # mg/dL to mmol/L: / 18.016 (codes.md)
                      "mmol/L": DisplayUnit("mmol/L", "mmol/L", 1 / GLUCOSE_MMOL_TO_MGDL, 0.0, 1)},
    "body_weight": {"kg": _canonical("body_weight"),
                    # kg to [lb_av]: / 0.45359237 (codes.md)
                    "[lb_av]": DisplayUnit("[lb_av]", "lb", 1 / LB_TO_KG, 0.0, 1)},
    "body_temperature": {"Cel": _canonical("body_temperature"),
                         # Cel to [degF]: C x 9/5 + 32 (codes.md)
                         "[degF]": DisplayUnit("[degF]", "°F", 9 / 5, 32.0, 1)},
}
FIELDS = {"blood_glucose": "glucose", "body_weight": "weight", "body_temperature": "temperature"}


class Units:
    """One person's display units: every metric's unit as shown, canonical where the person has no choice."""

    def __init__(self, chosen: dict[str, str] | None = None):
        chosen = chosen or {}
        self.by_metric = {code: CHOICES[code][chosen[code]] if chosen.get(code) in CHOICES.get(code, {})
                          else _canonical(code) for code in METRICS}

    def unit(self, metric: str) -> DisplayUnit:
        return self.by_metric.get(metric) or DisplayUnit("", "", 1.0, 0.0, 1)

    def show(self, metric: str, canonical: float) -> float:
        return self.unit(metric).show(canonical)

    def symbol(self, metric: str) -> str:
        return self.unit(metric).symbol

    def chosen(self) -> dict[str, str]:
        return {code: self.by_metric[code].code for code in CHOICES}

    def as_json(self) -> dict[str, dict]:
        """For the browser: shown = value x scale + offset, at precision decimals, with the symbol."""
        return {code: asdict(unit) for code, unit in self.by_metric.items()}


CANONICAL = Units()


def units_for(user) -> Units:
    if not getattr(user, "is_authenticated", False):
        return CANONICAL
    row = DisplayUnits.objects.filter(user=user).first()
    if row is None:
        return CANONICAL
    return Units({code: getattr(row, field) for code, field in FIELDS.items()})


def set_units_for(user, *, chosen: dict[str, str]) -> Units:
    """Save the person's choice; an unknown unit is refused naming the metric."""
    errors = {code: f"must be one of {', '.join(CHOICES[code])}" for code, value in chosen.items()
              if code not in CHOICES or value not in CHOICES[code]}
    if errors:
        raise InvalidInput(errors)
    DisplayUnits.objects.update_or_create(user=user, defaults={FIELDS[c]: v for c, v in chosen.items()})
    return units_for(user)
