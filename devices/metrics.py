"""The metric catalogue: every metric named once, with its canonical UCUM unit,
accepted input units and their conversions, plausible range and codes.

Source of codes and conversions: ../shared/clinical/codes.md (HL7 FHIR R4 vital
signs profile, LOINC, UCUM). Plausible ranges are physiological limits wide enough
for any living patient; outside them a reading is a device fault, not a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _same(value: float) -> float:
    return value


@dataclass(frozen=True)
class Metric:
    code: str
    display: str
    unit: str  # canonical UCUM code, what is stored
    low: float  # plausible range, canonical unit, inclusive
    high: float
    loinc: str
    precision: int  # decimals to show
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


PER_MIN_ALIASES = {"bpm": "/min", "beats/min": "/min", "/min": "/min", "1/min": "/min", "breaths/min": "/min"}

# [lb_av] to kg: x 0.45359237 (codes.md, Unit conversions)
LB_TO_KG = 0.45359237
# glucose mmol/L to mg/dL: x 18.016 (codes.md, molar mass 180.16 g/mol)
GLUCOSE_MMOL_TO_MGDL = 18.016

METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("heart_rate", "Heart rate", "/min", 20, 300, "8867-4", 0, aliases=PER_MIN_ALIASES),
        Metric("respiratory_rate", "Respiratory rate", "/min", 2, 80, "9279-1", 0, aliases=PER_MIN_ALIASES),
        Metric(
            "spo2", "SpO2", "%", 50, 100, "2708-6", 0,
            # SpO2 fraction (0-1) to %: x 100 (codes.md)
            conversions={"1": lambda v: v * 100},
            aliases={"percent": "%", "fraction": "1", "{fraction}": "1"},
        ),
        Metric("systolic_bp", "Systolic blood pressure", "mm[Hg]", 40, 300, "8480-6", 0,
               aliases={"mmHg": "mm[Hg]", "mmhg": "mm[Hg]"}),
        Metric("diastolic_bp", "Diastolic blood pressure", "mm[Hg]", 20, 200, "8462-4", 0,
               aliases={"mmHg": "mm[Hg]", "mmhg": "mm[Hg]"}),
        Metric(
            "body_temperature", "Body temperature", "Cel", 25, 45, "8310-5", 1,
            # [degF] to Cel: (F - 32) x 5/9 (codes.md)
            conversions={"[degF]": lambda v: (v - 32) * 5 / 9},
            aliases={"C": "Cel", "°C": "Cel", "degC": "Cel", "F": "[degF]", "°F": "[degF]", "degF": "[degF]"},
        ),
        Metric(
            "body_weight", "Body weight", "kg", 0.5, 500, "29463-7", 1,
            conversions={"[lb_av]": lambda v: v * LB_TO_KG, "g": lambda v: v / 1000},
            aliases={"lb": "[lb_av]", "lbs": "[lb_av]", "kgs": "kg"},
        ),
        Metric(
            "blood_glucose", "Blood glucose", "mg/dL", 10, 1000, "41653-7", 0,
            conversions={"mmol/L": lambda v: v * GLUCOSE_MMOL_TO_MGDL},
            aliases={"mg/dl": "mg/dL", "mmol/l": "mmol/L"}, fhir_vital_sign=False,
        ),
        Metric("steps", "Steps", "{steps}", 0, 200_000, "55423-8", 0, aliases={"steps": "{steps}"},
               fhir_vital_sign=False),
        # A pill dispenser's dose event: value is the number of doses taken (usually 1).
        Metric("dose_taken", "Dose taken", "{dose}", 0, 10, "", 0, aliases={"dose": "{dose}", "doses": "{dose}"},
               fhir_vital_sign=False),
    ]
}

# Device kinds (DESIGN.md contract) and the metrics each may report.
DEVICE_KIND_METRICS: dict[str, frozenset[str]] = {
    "blood_pressure_monitor": frozenset({"systolic_bp", "diastolic_bp", "heart_rate"}),
    "pulse_oximeter": frozenset({"spo2", "heart_rate"}),
    "glucometer": frozenset({"blood_glucose"}),
    "cgm": frozenset({"blood_glucose"}),
    "weight_scale": frozenset({"body_weight"}),
    "thermometer": frozenset({"body_temperature"}),
    "wearable": frozenset({"heart_rate", "steps", "spo2", "respiratory_rate"}),
    "pill_dispenser": frozenset({"dose_taken"}),
    "multiparameter_monitor": frozenset(
        {"heart_rate", "respiratory_rate", "spo2", "systolic_bp", "diastolic_bp", "body_temperature"}
    ),
}
DEVICE_KINDS = list(DEVICE_KIND_METRICS)
