"""A band over the mean of the last `average_days` of readings (hypertension: the 7-day home average,
ACC/AHA 2017 Table 11; ../shared/clinical/thresholds.md).

Params: `bands` [{op, value, severity}], `average_days`, `min_readings` (fewer readings in the window decide
nothing), `resolve_margin`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alerts.kinds import threshold
from alerts.kinds.base import (
    OP_WORDS,
    OPS,
    SEVERITY_RANK,
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
from rpm.metrics import rounded


def window_mean(points: Sequence[Point], end: dt.datetime, days: float) -> tuple[float, list[Point]]:
    window = [p for p in points if end - dt.timedelta(days=days) < p.measured_at <= end]
    return (sum(p.value for p in window) / len(window) if window else float("nan")), window


class AverageKind:
    code = "average"
    on_readings = True
    auto_recovers = True

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        errors = threshold.validate(metric, params)
        if not number(params.get("average_days"), positive=True):
            errors["params.average_days"] = "must be a positive number of days"
        if params.get("min_readings") is not None and not number(params["min_readings"], positive=True,
                                                                  integer=True):
            errors["params.min_readings"] = "must be a positive whole number"
        return errors

    def metrics(self, rule: RuleLike) -> frozenset[str]:
        return frozenset({rule.metric})

    def lookback(self, params: dict, facts: PatientFacts) -> dt.timedelta:
        return dt.timedelta(days=params["average_days"])

    def evaluate(self, rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
        metric, params = rule.metric, rule.params
        points = usable(series.get(metric, ()), params)
        new = [p for p in points if p.id in new_ids]
        if not new:
            return None
        end = max(p.measured_at for p in new)
        mean, window = window_mean(points, end, params["average_days"])
        if len(window) < params.get("min_readings", 1):
            return None
        mean = rounded(metric, mean)
        for band in sorted(threshold.bands_in_force(rule, facts), key=lambda b: -SEVERITY_RANK[b["severity"]]):
            if OPS[band["op"]](mean, band["value"]):
                text = (f"{display(metric)} averaged {show(metric, mean)} over {params['average_days']:g} days "
                        f"({len(window)} readings), {OP_WORDS[band['op']]} {show(metric, band['value'])}")
                return Trigger(band["severity"], text, [p.id for p in window][-100:], end,
                               f"avg:{band['severity']}:{window[-1].id}", metric)
        return None

    def recover(self, rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
                metric: str = "") -> Recovery | None:
        code, params = rule.metric, rule.params
        points = usable(series.get(code, ()), params)
        later = [p for p in points if p.measured_at > after]
        if not later:
            return None
        bands = threshold.bands_in_force(rule, facts)
        margin = params.get("resolve_margin") or 0
        mean, _ = window_mean(points, later[-1].measured_at, params["average_days"])
        if not threshold.safe(code, bands, margin, mean):
            return None
        return Recovery(f"Resolved automatically: {display(code)} {params['average_days']:g}-day average back to "
                        f"{show(code, mean)} ({threshold.limits_text(code, bands, margin)}).", later[-1].measured_at)

    def display_bands(self, rule: RuleLike, facts: PatientFacts) -> list[dict]:
        return []  # about a week's mean, not about the latest value on a tile


KIND = AverageKind()
