"""The clinical vocabulary every layer speaks, on the ground floor because the record (expected measurements),
the fleet, the engine and the screens all name metrics: the metric catalogue, every metric named once, with
its canonical UCUM unit, accepted input units and their conversions, plausible range, device limits and
codes; and the device kinds, with how each measures (spot check or continuous stream).

Source of codes and conversions: ../shared/clinical/codes.md (HL7 FHIR R4 vital signs profile, LOINC, UCUM).
Plausible ranges are physiological limits wide enough for any living patient: a value outside them is stored
with the quality flag `implausible` ("check the patient or the device", thresholds.md) and kept out of scores
and bands. Limits are what a home device can report at all; a value beyond them is physically impossible and
is rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

OK, IMPLAUSIBLE = "ok", "implausible"
QUALITIES = (OK, IMPLAUSIBLE)


@lru_cache(maxsize=65536)
def round_half_up(value: float, decimals: int) -> float:
    """Half up at `decimals` places, on the value as written (RCP NEWS2 Chart 1 notes: RR 24.5 -> 25,
    38.05 Cel -> 38.1). The one rounding that every rule, NEWS2 and every screen use."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Metric:
    code: str
    display: str
    unit: str  # canonical UCUM code, what is stored
    low: float  # plausible range, canonical unit, inclusive
    high: float
    loinc: str
    precision: int  # decimals to show, and to round to before any clinical comparison
    limit_low: float  # what a device can report, inclusive; beyond it a reading is rejected
    limit_high: float
    symbol: str = ""  # what a clinician reads on screen (mmHg, °C); the UCUM code when empty
    # accepted input unit -> conversion to the canonical unit
    conversions: dict[str, Callable[[float], float]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # common spelling -> UCUM code
    fhir_vital_sign: bool = True

    def accepted_units(self) -> list[str]:
        return sorted({self.unit, *self.conversions, *self.aliases})

    def to_canonical(self, value: float, unit: str) -> float | None:
        """The value in the canonical unit, or None when the unit is not accepted."""
        code = self.aliases.get(unit, unit)
        if code == self.unit:
            return value
        convert = self.conversions.get(code)
        return convert(value) if convert else None

    def rounded(self, value: float) -> float:
        return round_half_up(value, self.precision)

    def quality(self, value: float) -> str:
        """`ok` inside the plausible range, else `implausible` (the caller has checked the limits)."""
        return OK if self.low <= value <= self.high else IMPLAUSIBLE

    def possible(self, value: float) -> bool:
        return self.limit_low <= value <= self.limit_high

    @property
    def shown_unit(self) -> str:
        return self.symbol or self.unit


PER_MIN_ALIASES = {"bpm": "/min", "beats/min": "/min", "/min": "/min", "1/min": "/min", "breaths/min": "/min"}

# [lb_av] to kg: x 0.45359237 (codes.md, Unit conversions)
LB_TO_KG = 0.45359237
# glucose mmol/L to mg/dL: x 18.016 (codes.md, molar mass 180.16 g/mol)
GLUCOSE_MMOL_TO_MGDL = 18.016

METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("heart_rate", "Heart rate", "/min", 20, 300, "8867-4", 0, 0, 350, "/min", aliases=PER_MIN_ALIASES),
        Metric("respiratory_rate", "Respiratory rate", "/min", 2, 80, "9279-1", 0, 0, 150, "breaths/min",
               aliases=PER_MIN_ALIASES),
        Metric(
            "spo2", "SpO2", "%", 50, 100, "2708-6", 0, 0, 100, "%",
            # SpO2 fraction (0-1) to %: x 100 (codes.md)
            conversions={"1": lambda v: v * 100},
            aliases={"percent": "%", "fraction": "1", "{fraction}": "1"},
        ),
        Metric("systolic_bp", "Systolic blood pressure", "mm[Hg]", 40, 300, "8480-6", 0, 0, 400, "mmHg",
               aliases={"mmHg": "mm[Hg]", "mmhg": "mm[Hg]"}),
        Metric("diastolic_bp", "Diastolic blood pressure", "mm[Hg]", 20, 200, "8462-4", 0, 0, 300, "mmHg",
               aliases={"mmHg": "mm[Hg]", "mmhg": "mm[Hg]"}),
        Metric(
            "body_temperature", "Body temperature", "Cel", 25, 45, "8310-5", 1, 10, 50, "°C",
            # [degF] to Cel: (F - 32) x 5/9 (codes.md)
            conversions={"[degF]": lambda v: (v - 32) * 5 / 9},
            aliases={"C": "Cel", "°C": "Cel", "degC": "Cel", "F": "[degF]", "°F": "[degF]", "degF": "[degF]"},
        ),
        Metric(
            "body_weight", "Body weight", "kg", 0.5, 500, "29463-7", 1, 0, 1000, "kg",
            conversions={"[lb_av]": lambda v: v * LB_TO_KG, "g": lambda v: v / 1000},
            aliases={"lb": "[lb_av]", "lbs": "[lb_av]", "kgs": "kg"},
        ),
        Metric(
            "blood_glucose", "Blood glucose", "mg/dL", 10, 1000, "41653-7", 0, 0, 2000, "mg/dL",
            conversions={"mmol/L": lambda v: v * GLUCOSE_MMOL_TO_MGDL},
            aliases={"mg/dl": "mg/dL", "mmol/l": "mmol/L"}, fhir_vital_sign=False,
        ),
        Metric("steps", "Steps", "{steps}", 0, 200_000, "55423-8", 0, 0, 1_000_000, "steps",
               aliases={"steps": "{steps}"}, fhir_vital_sign=False),
        # A pill dispenser's dose event: value is the number of doses taken (usually 1).
        Metric("dose_taken", "Dose taken", "{dose}", 0, 10, "", 0, 0, 10, "doses",
               aliases={"dose": "{dose}", "doses": "{dose}"}, fhir_vital_sign=False),
    ]
}


def rounded(metric: str, value: float) -> float:
    """The value at the metric's display precision, half up (one decimal for an unknown metric)."""
    m = METRICS.get(metric)
    return round_half_up(value, m.precision if m else 1)


@dataclass(frozen=True)
class DeviceKind:
    """How a kind of device measures. thresholds.md, "How a rule is applied": spot-check devices are judged
    per reading; continuous streams must hold a band for the rule's duration, a gap longer than `max_gap`
    breaking the run; "Schedules and devices": silent for `no_contact_after` raises a device alert."""

    code: str
    metrics: frozenset[str]
    continuous: bool
    no_contact_after: dt.timedelta
    max_gap: dt.timedelta | None = None  # continuous streams only


SPOT_CHECK_SILENCE = dt.timedelta(hours=48)  # thresholds.md: spot-check device, no contact for 48 h
_MIN = dt.timedelta(minutes=1)

# Device kinds (DESIGN.md contract) and the metrics each may report.
DEVICE_KIND_CATALOGUE: dict[str, DeviceKind] = {
    k.code: k
    for k in [
        DeviceKind("blood_pressure_monitor", frozenset({"systolic_bp", "diastolic_bp", "heart_rate"}), False,
                   SPOT_CHECK_SILENCE),
        DeviceKind("pulse_oximeter", frozenset({"spo2", "heart_rate"}), False, SPOT_CHECK_SILENCE),
        DeviceKind("glucometer", frozenset({"blood_glucose"}), False, SPOT_CHECK_SILENCE),
        # thresholds.md: CGM gap 15 min; no contact for 1 h
        DeviceKind("cgm", frozenset({"blood_glucose"}), True, 60 * _MIN, 15 * _MIN),
        DeviceKind("weight_scale", frozenset({"body_weight"}), False, SPOT_CHECK_SILENCE),
        DeviceKind("thermometer", frozenset({"body_temperature"}), False, SPOT_CHECK_SILENCE),
        # thresholds.md: continuous gap 5 min by default; wearable no contact for 1 h
        DeviceKind("wearable", frozenset({"heart_rate", "steps", "spo2", "respiratory_rate"}), True, 60 * _MIN,
                   5 * _MIN),
        DeviceKind("pill_dispenser", frozenset({"dose_taken"}), False, SPOT_CHECK_SILENCE),
        # thresholds.md: multiparameter monitor no contact for 15 min (3 expected intervals of 5 min)
        DeviceKind("multiparameter_monitor", frozenset(
            {"heart_rate", "respiratory_rate", "spo2", "systolic_bp", "diastolic_bp", "body_temperature"}), True,
            15 * _MIN, 5 * _MIN),
    ]
}
DEVICE_KIND_METRICS: dict[str, frozenset[str]] = {code: k.metrics for code, k in DEVICE_KIND_CATALOGUE.items()}
DEVICE_KINDS = list(DEVICE_KIND_CATALOGUE)
CONTINUOUS_KINDS = frozenset(code for code, k in DEVICE_KIND_CATALOGUE.items() if k.continuous)


def is_continuous(kind: str | None) -> bool:
    """Manual entries (no device) are spot checks."""
    return kind in CONTINUOUS_KINDS


def max_gap(kind: str | None) -> dt.timedelta | None:
    entry = DEVICE_KIND_CATALOGUE.get(kind or "")
    return entry.max_gap if entry else None

LOW_BATTERY_PERCENT = 20  # thresholds.md: any device, battery < 20 % (device fleet practice)
