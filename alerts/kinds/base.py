"""What every rule kind shares: the points a rule reads, what it answers (a trigger or a recovery), the facts
about the patient a rule may depend on, and the formatting that puts a decision into words.

Pure: no database access. A rule reads values rounded half up at the metric's display precision
(rpm.metrics.rounded), the same rounding as NEWS2 and every screen, so a decision, its explanation
and what a nurse reads on a tile always agree.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from devices.readings import Point
from rpm.metrics import METRICS, OK, rounded

SEVERITIES = ("info", "low", "medium", "high")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
OPS: dict[str, Callable[[float, float], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge}
OP_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}
EPSILON = 1e-6
APPLIES_TO = ("all", "spot_check", "continuous")


@dataclass(frozen=True)
class Trigger:
    severity: str
    explanation: str
    reading_ids: list[int]
    at: dt.datetime  # measured_at of the newest reading behind it (or the check time)
    key: str  # the same key again is the same trigger: changes nothing
    metric: str = ""  # for a rule over several metrics: the one that fired


@dataclass(frozen=True)
class Recovery:
    resolution: str
    at: dt.datetime


@dataclass(frozen=True)
class PatientFacts:
    """What a physician decided about this patient that rules depend on (monitoring plan, demographics)."""

    tz: dt.tzinfo = dt.UTC
    spo2_scale: int = 1
    on_oxygen: bool = False
    consciousness_alert: bool = True
    news2_window: dt.timedelta = dt.timedelta(minutes=60)
    news2_invalid: str | None = None  # why NEWS2 does not apply to this patient (under 16, pregnant)


class RuleLike(Protocol):
    kind: str
    metric: str
    params: dict[str, Any]
    severity: str


Series = Mapping[str, Sequence[Point]]


# --- formatting --------------------------------------------------------------------------

def show(metric: str, value: float) -> str:
    """A value as a clinician reads it: display precision, half up, with the unit's symbol."""
    m = METRICS.get(metric)
    precision = m.precision if m else 1
    unit = m.shown_unit if m else ""
    return f"{rounded(metric, value):.{precision}f} {unit}".strip()


def display(metric: str) -> str:
    return METRICS[metric].display if metric in METRICS else metric


def lower_display(metric: str) -> str:
    return display(metric).lower().replace("spo2", "SpO2")


def minutes_text(delta: dt.timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return f"{int(delta.total_seconds())} s"
    if minutes < 120:
        return f"{int(minutes)} min"
    return f"{minutes / 60:.1f} h"


def sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


# --- parameter checks shared by the kinds ---------------------------------------------------

def number(value, *, positive: bool = False, integer: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if integer and not float(value).is_integer():
        return False
    return value > 0 if positive else value >= 0


def check_applies_to(params: dict) -> dict[str, str]:
    if params.get("applies_to", "all") not in APPLIES_TO:
        return {"params.applies_to": f"must be one of {', '.join(APPLIES_TO)}"}
    return {}


def usable(points: Sequence[Point], params: dict) -> list[Point]:
    """Plausible readings of the device modes the rule applies to (an implausible value is never judged)."""
    applies_to = params.get("applies_to", "all")
    return [p for p in points if p.quality == OK and (
        applies_to == "all" or (applies_to == "continuous") == p.continuous)]
