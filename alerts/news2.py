"""NEWS2, the National Early Warning Score 2, as pure functions.

Source: Royal College of Physicians, National Early Warning Score (NEWS) 2, 2017, Chart 1
(points per parameter) and Chart 2 (aggregate score and clinical risk); ../shared/clinical/news2.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rpm.metrics import round_half_up

# Parameters scored from readings, in the chart's order, and the metric each comes from.
READING_PARAMETERS = {
    "respiration_rate": "respiratory_rate",
    "spo2": "spo2",
    "systolic_bp": "systolic_bp",
    "pulse": "heart_rate",
    "temperature": "body_temperature",
}
LOW, LOW_MEDIUM, MEDIUM, HIGH = "low", "low-medium", "medium", "high"
RESPONSE = {
    LOW: "ward-based response",
    LOW_MEDIUM: "urgent ward-based response",
    MEDIUM: "key threshold for urgent response",
    HIGH: "urgent or emergency response",
}


def chart_value(value: float, decimals: int) -> Decimal:
    """Round half up to the chart's precision (RCP NEWS2 Chart 1 prints whole numbers; temperature one decimal),
    with the one rounding every threshold rule uses, so a rule and NEWS2 never disagree about a value."""
    return Decimal(repr(round_half_up(value, decimals)))


def respiration_rate_points(rate: float) -> int:
    # RCP NEWS2 Chart 1: <=8 3, 9-11 1, 12-20 0, 21-24 2, >=25 3
    r = chart_value(rate, 0)
    if r <= 8:
        return 3
    if r <= 11:
        return 1
    if r <= 20:
        return 0
    if r <= 24:
        return 2
    return 3


def spo2_scale1_points(spo2: float) -> int:
    # RCP NEWS2 Chart 1, SpO2 scale 1: <=91 3, 92-93 2, 94-95 1, >=96 0
    s = chart_value(spo2, 0)
    if s <= 91:
        return 3
    if s <= 93:
        return 2
    if s <= 95:
        return 1
    return 0


def spo2_scale2_points(spo2: float, *, on_oxygen: bool) -> int:
    # RCP NEWS2 Chart 1, SpO2 scale 2: <=83 3, 84-85 2, 86-87 1, 88-92 (or >=93 on air) 0,
    # 93-94 on oxygen 1, 95-96 on oxygen 2, >=97 on oxygen 3
    s = chart_value(spo2, 0)
    if s <= 83:
        return 3
    if s <= 85:
        return 2
    if s <= 87:
        return 1
    if s <= 92 or not on_oxygen:
        return 0
    if s <= 94:
        return 1
    if s <= 96:
        return 2
    return 3


def air_or_oxygen_points(*, on_oxygen: bool) -> int:
    # RCP NEWS2 Chart 1: oxygen 2, air 0
    return 2 if on_oxygen else 0


def systolic_bp_points(systolic: float) -> int:
    # RCP NEWS2 Chart 1: <=90 3, 91-100 2, 101-110 1, 111-219 0, >=220 3
    s = chart_value(systolic, 0)
    if s <= 90:
        return 3
    if s <= 100:
        return 2
    if s <= 110:
        return 1
    if s <= 219:
        return 0
    return 3


def pulse_points(pulse: float) -> int:
    # RCP NEWS2 Chart 1: <=40 3, 41-50 1, 51-90 0, 91-110 1, 111-130 2, >=131 3
    p = chart_value(pulse, 0)
    if p <= 40:
        return 3
    if p <= 50:
        return 1
    if p <= 90:
        return 0
    if p <= 110:
        return 1
    if p <= 130:
        return 2
    return 3


def consciousness_points(*, alert: bool) -> int:
    # RCP NEWS2 Chart 1: alert 0; new confusion, voice, pain or unresponsive (CVPU) 3
    return 0 if alert else 3


def temperature_points(celsius: float) -> int:
    # RCP NEWS2 Chart 1: <=35.0 3, 35.1-36.0 1, 36.1-38.0 0, 38.1-39.0 1, >=39.1 2
    t = chart_value(celsius, 1)
    if t <= Decimal("35.0"):
        return 3
    if t <= Decimal("36.0"):
        return 1
    if t <= Decimal("38.0"):
        return 0
    if t <= Decimal("39.0"):
        return 1
    return 2


@dataclass(frozen=True)
class Score:
    total: int
    components: dict[str, int]
    risk: str

    @property
    def any_single_three(self) -> bool:
        return any(points == 3 for points in self.components.values())

    @property
    def response(self) -> str:
        return RESPONSE[self.risk]


def risk_for(total: int, *, any_single_three: bool) -> str:
    # RCP NEWS2 Chart 2: 0-4 low; a single 3 (aggregate < 5) low-medium; 5-6 medium; >=7 high
    if total >= 7:
        return HIGH
    if total >= 5:
        return MEDIUM
    if any_single_three:
        return LOW_MEDIUM
    return LOW


# RCP NEWS2 (2017), "NEWS2 limitations": not validated under 16 years or in pregnancy
ADULT_AGE = 16


def not_valid_because(*, age: int | None, pregnant: bool) -> str | None:
    """Why NEWS2 does not apply to this patient, or None when it does."""
    if age is not None and age < ADULT_AGE:
        return f"NEWS2 is not validated under {ADULT_AGE} years"
    if pregnant:
        return "NEWS2 is not validated in pregnancy"
    return None


def score(*, respiration_rate: float, spo2: float, systolic_bp: float, pulse: float, temperature: float,
          on_oxygen: bool = False, alert: bool = True, spo2_scale: int = 1) -> Score:
    """The NEWS2 aggregate, its components and clinical risk. Scale 2 only for a recorded target of 88-92 %."""
    spo2_points = spo2_scale2_points(spo2, on_oxygen=on_oxygen) if spo2_scale == 2 else spo2_scale1_points(spo2)
    components = {
        "respiration_rate": respiration_rate_points(respiration_rate),
        "spo2": spo2_points,
        "air_or_oxygen": air_or_oxygen_points(on_oxygen=on_oxygen),
        "systolic_bp": systolic_bp_points(systolic_bp),
        "pulse": pulse_points(pulse),
        "consciousness": consciousness_points(alert=alert),
        "temperature": temperature_points(temperature),
    }
    total = sum(components.values())
    return Score(total, components, risk_for(total, any_single_three=any(p == 3 for p in components.values())))
