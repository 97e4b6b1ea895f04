"""Threshold bands, judged by how the reading was measured (../shared/clinical/thresholds.md, "How a rule is
applied"):

- a spot-check reading (cuff, oximeter, meter, scale, thermometer, manual entry) is judged on its own: one
  reading in a band raises the alert;
- a continuous stream (multiparameter monitor, wearable, CGM) must stay in a band for the band's
  `for_minutes`, and a gap between readings longer than the stream allows (the device kind's interval, or the
  rule's `max_gap_minutes`) breaks the run;
- a band with `consecutive` needs that many readings in a row in the band, whatever measured them.

Params: `bands` [{op, value, severity, metric?, for_minutes?, consecutive?, on_oxygen?}]; `applies_to`
(all | spot_check | continuous); `max_gap_minutes`; `resolve_margin` (the way back is narrower than the way
out); `resolve_minutes` (how long a continuous stream must stay back before it counts as recovered);
`spo2_scale` (the rule is for patients on that NEWS2 SpO2 scale only). A band's `metric` lets one rule cover
both values of one measurement (hypertensive crisis: systolic and/or diastolic); `on_oxygen` bands apply only
to patients on supplemental oxygen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.kinds.base import (
    EPSILON,
    OP_WORDS,
    OPS,
    SEVERITIES,
    SEVERITY_RANK,
    PatientFacts,
    Point,
    Recovery,
    RuleLike,
    Series,
    Trigger,
    check_applies_to,
    display,
    lower_display,
    minutes_text,
    number,
    show,
    usable,
)
from rpm.metrics import METRICS, max_gap, rounded

# readings of the same measurement (a cuff's systolic and diastolic) are a moment apart at most
SAME_MOMENT = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class _Fired:
    metric: str
    band: dict
    run: list[Point]
    how: str  # "reading", "duration" or "consecutive"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.band["severity"]]

    @property
    def at(self) -> dt.datetime:
        return self.run[-1].measured_at


def band_metric(rule: RuleLike, band: dict) -> str:
    return band.get("metric") or rule.metric


def bands_in_force(rule: RuleLike, facts: PatientFacts) -> list[dict]:
    """The rule's bands that apply to this patient (an on-oxygen band only while on oxygen)."""
    return [b for b in rule.params.get("bands", []) if isinstance(b, dict)
            and (not b.get("on_oxygen") or facts.on_oxygen)]


def _gap_limit(point: Point, params: dict) -> dt.timedelta | None:
    if params.get("max_gap_minutes") is not None:
        return dt.timedelta(minutes=params["max_gap_minutes"])
    return max_gap(point.kind)


def _in_band(metric: str, band: dict, point: Point) -> bool:
    return OPS[band["op"]](rounded(metric, point.value), band["value"])


def _runs(points: Sequence[Point], inside, breaks=None) -> list[list[Point]]:
    """Maximal runs of consecutive points inside the band; `breaks(previous, point)` may also end a run."""
    runs: list[list[Point]] = []
    run: list[Point] = []
    for point in points:
        if not inside(point):
            run = []
            continue
        if run and breaks is not None and breaks(run[-1], point):
            run = []
        if not run:
            runs.append(run)
        run.append(point)
    return runs


def _fired(metric: str, band: dict, points: Sequence[Point], new_ids: set[int], params: dict) -> list[_Fired]:
    inside = lambda p: _in_band(metric, band, p)  # noqa: E731
    minutes, count = band.get("for_minutes"), band.get("consecutive")
    out: list[_Fired] = []
    if count is not None:
        out += [_Fired(metric, band, run, "consecutive") for run in _runs(points, inside)
                if len(run) >= count and any(p.id in new_ids for p in run)]
    if minutes is not None:
        continuous = [p for p in points if p.continuous]

        def gap(previous: Point, point: Point) -> bool:
            limit = _gap_limit(point, params)
            return limit is not None and point.measured_at - previous.measured_at > limit

        out += [_Fired(metric, band, run, "duration") for run in _runs(continuous, inside, gap)
                if any(p.id in new_ids for p in run)
                and run[-1].measured_at - run[0].measured_at >= dt.timedelta(minutes=minutes)]
    # One reading is enough unless the band asks for more: always for a spot check, for a continuous
    # stream only when the band names no duration.
    for point in points:
        if point.id not in new_ids or not inside(point):
            continue
        if count is None and (minutes is None or not point.continuous):
            out.append(_Fired(metric, band, [point], "reading"))
    return out


def _text(fired: _Fired) -> str:
    metric, band, run = fired.metric, fired.band, fired.run
    limit = f"{OP_WORDS[band['op']]} {show(metric, band['value'])}"
    latest = show(metric, run[-1].value)
    if fired.how == "duration":
        span = minutes_text(run[-1].measured_at - run[0].measured_at)
        return (f"{display(metric)} {latest} for {span}, {limit} for at least {band['for_minutes']:g} min "
                f"({len(run)} readings)")
    if fired.how == "consecutive":
        return (f"{display(metric)} {latest}, {limit} in {len(run)} consecutive readings "
                f"(at least {band['consecutive']})")
    return f"{display(metric)} {latest}, {limit}"


def explain(best: _Fired, others: list[_Fired]) -> Trigger:
    """The worst, newest finding; other metrics of the same measurement in the same severity join it."""
    companions = [f for f in others if f.metric != best.metric and f.rank == best.rank
                  and abs(f.at - best.at) <= SAME_MOMENT]
    seen_metrics = {best.metric}
    parts, ids = [_text(best)], [p.id for p in best.run]
    for other in sorted(companions, key=lambda f: list(METRICS).index(f.metric) if f.metric in METRICS else 99):
        if other.metric in seen_metrics:
            continue
        seen_metrics.add(other.metric)
        text = _text(other)
        parts.append(text[0].lower() + text[1:] if not text.startswith("SpO2") else text)
        ids += [p.id for p in other.run]
    key = f"{best.band['severity']}:" + ",".join(str(i) for i in sorted({best.run[-1].id, *(
        f.run[-1].id for f in companions)}))
    return Trigger(best.band["severity"], "; ".join(parts), ids[-100:], best.at, key, best.metric)


def evaluate(rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
    """The worst band that fired on a reading (or a run) that includes a new reading; the newest of equals."""
    found: list[_Fired] = []
    for band in bands_in_force(rule, facts):
        metric = band_metric(rule, band)
        found += _fired(metric, band, usable(series.get(metric, ()), rule.params), new_ids, rule.params)
    if not found:
        return None
    best = max(found, key=lambda f: (f.rank, f.at))
    return explain(best, found)


# --- the way back ----------------------------------------------------------------------------

def safe_edges(bands: Sequence[dict], margin: float) -> tuple[float | None, float | None]:
    """The way back (hysteresis): at or above the highest low limit plus the margin, and at or below the
    lowest high limit minus the margin."""
    lows = [b["value"] + margin for b in bands if b["op"] in ("<", "<=")]
    highs = [b["value"] - margin for b in bands if b["op"] in (">", ">=")]
    return (max(lows) if lows else None), (min(highs) if highs else None)


def safe(metric: str, bands: Sequence[dict], margin: float, value: float) -> bool:
    v = rounded(metric, value)
    if any(OPS[b["op"]](v, b["value"]) for b in bands):
        return False
    low, high = safe_edges(bands, margin)
    return (low is None or v >= low - EPSILON) and (high is None or v <= high + EPSILON)


def limits_text(metric: str, bands: Sequence[dict], margin: float) -> str:
    low, high = safe_edges(bands, margin)
    if low is not None and high is not None:
        return f"between {show(metric, low)} and {show(metric, high)}"
    return f"at or above {show(metric, low)}" if low is not None else f"at or below {show(metric, high)}"


def recover(rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
            metric: str = "") -> Recovery | None:
    """Back inside the bands by the margin, on the readings since `after`: the metric that fired must have been
    measured again, and every other metric of the rule measured since must be back too. One spot-check reading
    is enough; a continuous stream must stay back for `resolve_minutes`."""
    margin = rule.params.get("resolve_margin") or 0
    needed = dt.timedelta(minutes=rule.params.get("resolve_minutes") or 0)
    by_metric: dict[str, list[dict]] = {}
    for band in bands_in_force(rule, facts):
        by_metric.setdefault(band_metric(rule, band), []).append(band)
    texts, at = [], None
    for band_metric_code, bands in by_metric.items():
        later = [p for p in usable(series.get(band_metric_code, ()), rule.params) if p.measured_at > after]
        if not later:
            if band_metric_code == (metric or rule.metric):
                return None  # the value that fired has not been measured again
            continue
        good: list[Point] = []
        for point in reversed(later):
            if not safe(band_metric_code, bands, margin, point.value):
                break
            good.append(point)
        if not good:
            return None
        good.reverse()
        latest = good[-1]
        if latest.continuous:
            held = latest.measured_at - good[0].measured_at
            if held < needed:
                return None
            how = f" for {minutes_text(held)} ({len(good)} readings)" if needed else ""
        else:
            how = ""
        texts.append(f"{lower_display(band_metric_code)} back {limits_text(band_metric_code, bands, margin)}"
                     f"{how}, latest {show(band_metric_code, latest.value)}")
        at = latest.measured_at if at is None else max(at, latest.measured_at)
    if not texts:
        return None
    return Recovery(f"Resolved automatically: {'; '.join(texts)} (margin {margin:g}).", at)


def display_bands(rule: RuleLike, facts: PatientFacts) -> list[dict]:
    """What a tile or a chart marks: [{metric, op, value, severity, rule}] for this patient."""
    return [{"metric": band_metric(rule, b), "op": b["op"], "value": b["value"], "severity": b["severity"],
             "rule": getattr(rule, "name", "")} for b in bands_in_force(rule, facts) if b.get("op") in OPS]


# --- parameters --------------------------------------------------------------------------------

def validate(metric: str, params: dict, *, persistence_required: bool = False) -> dict[str, str]:
    errors: dict[str, str] = check_applies_to(params)
    bands = params.get("bands")
    if not isinstance(bands, list) or not bands:
        return {**errors, "params.bands": "must be a non-empty list of {op, value, severity}"}
    for i, band in enumerate(bands):
        where = f"params.bands[{i}]"
        if not isinstance(band, dict):
            errors[where] = "must be an object"
            continue
        code = band.get("metric") or metric
        if code not in METRICS:
            errors["metric" if not band.get("metric") else f"{where}.metric"] = \
                "a threshold rule needs a metric from the catalogue"
            code = None
        if band.get("op") not in OPS:
            errors[f"{where}.op"] = f"must be one of {', '.join(OPS)}"
        value = band.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[f"{where}.value"] = "must be a number"
        elif code is not None and not METRICS[code].limit_low <= value <= METRICS[code].limit_high:
            errors[f"{where}.value"] = (f"{value} is outside what a device reports for {code} "
                                        f"({METRICS[code].limit_low:g}-{METRICS[code].limit_high:g})")
        if band.get("severity") not in SEVERITIES:
            errors[f"{where}.severity"] = f"must be one of {', '.join(SEVERITIES)}"
        for name in ("for_minutes", "consecutive"):
            if band.get(name) is not None and not number(band[name], positive=True, integer=name == "consecutive"):
                errors[f"{where}.{name}"] = "must be a positive number" + (" (whole)" if name == "consecutive" else "")
        if band.get("consecutive") is not None and band["consecutive"] < 2 and f"{where}.consecutive" not in errors:
            errors[f"{where}.consecutive"] = "must be at least 2 (one reading is not persistence)"
        if band.get("on_oxygen") not in (None, True, False):
            errors[f"{where}.on_oxygen"] = "must be true or false"
        if persistence_required and band.get("for_minutes") is None and band.get("consecutive") is None:
            errors[f"{where}.for_minutes"] = "a persistence rule needs for_minutes or consecutive on every band"
    for name in ("resolve_margin", "resolve_minutes"):
        if params.get(name) is not None and not number(params[name]):
            errors[f"params.{name}"] = "must be a number at or above 0"
    if params.get("max_gap_minutes") is not None and not number(params["max_gap_minutes"], positive=True):
        errors["params.max_gap_minutes"] = "must be a positive number of minutes"
    if params.get("spo2_scale") not in (None, 1, 2):
        errors["params.spo2_scale"] = "must be 1 or 2"
    return errors


def metrics(rule: RuleLike) -> frozenset[str]:
    return frozenset(band_metric(rule, b) for b in rule.params.get("bands", []) if isinstance(b, dict)) or \
        frozenset({rule.metric})


def lookback(params: dict) -> dt.timedelta:
    """History before the new readings a rule needs to decide (a run may have started before them)."""
    bands = [b for b in params.get("bands", []) if isinstance(b, dict)]
    if any(b.get("consecutive") for b in bands):
        return dt.timedelta(days=2)  # sparse readings (glucose) still count as consecutive
    minutes = max([b.get("for_minutes") or 0 for b in bands] + [params.get("resolve_minutes") or 0])
    return dt.timedelta(minutes=minutes + 60)


class ThresholdKind:
    code = "threshold"
    on_readings = True
    auto_recovers = True
    persistence_required = False

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        return validate(metric, params, persistence_required=self.persistence_required)

    def metrics(self, rule: RuleLike) -> frozenset[str]:
        return metrics(rule)

    def lookback(self, params: dict, facts: PatientFacts) -> dt.timedelta:
        return lookback(params)

    def evaluate(self, rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
        return evaluate(rule, series, new_ids, facts)

    def recover(self, rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
                metric: str = "") -> Recovery | None:
        return recover(rule, series, facts, after=after, metric=metric)

    def display_bands(self, rule: RuleLike, facts: PatientFacts) -> list[dict]:
        return display_bands(rule, facts)


KIND = ThresholdKind()
