"""Rate of change: a rise or fall of at least `delta` within a window (heart failure weight gain, AHA/HFSA
and ESC/HFA; a fast glucose fall; ../shared/clinical/thresholds.md).

Params: `direction` (rise | fall) and `windows` [{delta, days | minutes, op?}]. Day windows count
patient-local calendar days, so a morning weigh-in is compared with the mornings before it whatever the
minutes between them; `op` is ">=" (default) or ">" ("more than 2.0 kg in 3 days"). No automatic recovery:
a gain is news until someone has looked.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.kinds.base import (
    EPSILON,
    PatientFacts,
    Point,
    Recovery,
    RuleLike,
    Series,
    Trigger,
    display,
    number,
    show,
    usable,
)
from rpm.metrics import METRICS, rounded

WINDOW_OPS = (">=", ">")


def window_text(window: dict) -> str:
    if window.get("days"):
        return "1 day" if window["days"] == 1 else f"{window['days']:g} days"
    return f"{window['minutes']:g} min"


def _meets(change: float, window: dict) -> bool:
    if window.get("op", ">=") == ">":
        return change > window["delta"] + EPSILON
    return change + EPSILON >= window["delta"]


@dataclass(frozen=True)
class Change:
    window: dict
    base: Point
    later: Point
    change: float  # in the rule's direction: positive is a rise for "rise", a fall for "fall"
    meets: bool


def _earlier(points: Sequence[Point], times: list[dt.datetime], j: int, window: dict,
             tz: dt.tzinfo) -> Sequence[Point]:
    later = points[j]
    if window.get("days"):
        first_day = later.measured_at.astimezone(tz).date() - dt.timedelta(days=window["days"])
        start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    else:
        start = later.measured_at - dt.timedelta(minutes=window["minutes"])
    lo = bisect.bisect_left(times, start)
    hi = bisect.bisect_left(times, later.measured_at)  # strictly earlier in time
    return points[lo:hi]


def change_at(points: Sequence[Point], j: int, window: dict, *, metric: str, rise: bool,
              tz: dt.tzinfo, times: list[dt.datetime] | None = None) -> Change | None:
    """The largest change in the rule's direction from a reading within the window before points[j]."""
    times = times if times is not None else [p.measured_at for p in points]
    earlier = _earlier(points, times, j, window, tz)
    if not earlier:
        return None
    later = points[j]
    pick = min if rise else max
    base = pick(earlier, key=lambda p: rounded(metric, p.value))
    change = rounded(metric, later.value) - rounded(metric, base.value)
    change = change if rise else -change
    return Change(window, base, later, rounded(metric, change), _meets(change, window))


def latest_changes(points: Sequence[Point], *, metric: str, params: dict, tz: dt.tzinfo) -> list[Change]:
    """For the newest reading, its change over each window: what the patient page shows beside the weight."""
    points = usable(points, params)
    if not points:
        return []
    rise = params["direction"] == "rise"
    out = []
    for window in params["windows"]:
        change = change_at(points, len(points) - 1, window, metric=metric, rise=rise, tz=tz)
        if change is not None:
            out.append(change)
    return out


class RateOfChangeKind:
    code = "rate_of_change"
    on_readings = True
    auto_recovers = False

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        errors: dict[str, str] = {}
        if metric not in METRICS:
            errors["metric"] = "a rate-of-change rule needs a metric from the catalogue"
        if params.get("direction") not in ("rise", "fall"):
            errors["params.direction"] = "must be 'rise' or 'fall'"
        windows = params.get("windows")
        if not isinstance(windows, list) or not windows:
            return {**errors, "params.windows": "must be a non-empty list of {delta, days | minutes}"}
        for i, window in enumerate(windows):
            where = f"params.windows[{i}]"
            if not isinstance(window, dict):
                errors[where] = "must be an object"
                continue
            if not number(window.get("delta"), positive=True):
                errors[f"{where}.delta"] = "must be a positive number"
            if window.get("op", ">=") not in WINDOW_OPS:
                errors[f"{where}.op"] = "must be '>=' or '>'"
            has_days, has_minutes = window.get("days") is not None, window.get("minutes") is not None
            if has_days == has_minutes:
                errors[where] = "give exactly one of days (patient-local calendar days) or minutes"
            elif has_days and not number(window["days"], positive=True, integer=True):
                errors[f"{where}.days"] = "must be a positive whole number"
            elif has_minutes and not number(window["minutes"], positive=True):
                errors[f"{where}.minutes"] = "must be a positive number"
        return errors

    def metrics(self, rule: RuleLike) -> frozenset[str]:
        return frozenset({rule.metric})

    def lookback(self, params: dict, facts: PatientFacts) -> dt.timedelta:
        return max(dt.timedelta(days=w["days"] + 1) if w.get("days") else dt.timedelta(minutes=w["minutes"])
                   for w in params["windows"])

    def evaluate(self, rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
        """The newest change that meets a window, with a new reading at either end of it."""
        metric, params = rule.metric, rule.params
        points = usable(series.get(metric, ()), params)
        new = [p for p in points if p.id in new_ids]
        if not new:
            return None
        times = [p.measured_at for p in points]
        rise = params["direction"] == "rise"
        first_new, last_new = min(p.measured_at for p in new), max(p.measured_at for p in new)
        best: Change | None = None
        for window in params["windows"]:
            reach = dt.timedelta(days=window["days"] + 1) if window.get("days") else \
                dt.timedelta(minutes=window["minutes"])
            lo, hi = bisect.bisect_left(times, first_new), bisect.bisect_right(times, last_new + reach)
            for j in range(lo, hi):
                change = change_at(points, j, window, metric=metric, rise=rise, tz=facts.tz, times=times)
                if change is None or not change.meets:
                    continue
                if change.later.id not in new_ids and not any(
                        p.id in new_ids for p in _earlier(points, times, j, window, facts.tz)):
                    continue
                if best is None or change.later.measured_at > best.later.measured_at:
                    best = change
        if best is None:
            return None
        window = best.window
        word, noun = ("up", "a gain") if rise else ("down", "a fall")
        bar = "more than" if window.get("op") == ">" else "at least"
        text = (f"{display(metric)} {word} {show(metric, best.change)} in {window_text(window)} "
                f"({show(metric, best.base.value)} to {show(metric, best.later.value)}), "
                f"{noun} of {bar} {show(metric, window['delta'])} in {window_text(window)}")
        return Trigger(rule.severity, text, [best.base.id, best.later.id], best.later.measured_at,
                       f"rate:{best.base.id}:{best.later.id}", metric)

    def recover(self, rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
                metric: str = "") -> Recovery | None:
        return None

    def display_bands(self, rule: RuleLike, facts: PatientFacts) -> list[dict]:
        return []


KIND = RateOfChangeKind()
