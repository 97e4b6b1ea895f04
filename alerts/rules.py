"""Alert rules as pure functions: readings and parameters in, a trigger or a recovery out.

No database access here. Series are lists of `Point` sorted by measured_at (then id), so
late and out-of-order arrivals are judged in the order they were measured, never the order
they arrived. Values are rounded to the metric's display precision before comparison so the
decision and the explanation a nurse reads always agree.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alerts import news2
from devices.metrics import METRICS

SEVERITIES = ("info", "low", "medium", "high")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
OPS: dict[str, Callable[[float, float], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge}
OP_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}
UNIT_DISPLAY = {"mm[Hg]": "mmHg", "Cel": "°C", "{steps}": "steps", "{dose}": "doses"}
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Point:
    id: int
    measured_at: dt.datetime
    value: float


@dataclass(frozen=True)
class Trigger:
    severity: str
    explanation: str
    reading_ids: list[int]
    at: dt.datetime  # measured_at of the newest reading behind it (or the check time)
    key: str  # the same key again is the same trigger: changes nothing


@dataclass(frozen=True)
class Recovery:
    resolution: str
    at: dt.datetime


# --- formatting --------------------------------------------------------------------------

def rounded(metric: str, value: float) -> float:
    precision = METRICS[metric].precision if metric in METRICS else 1
    return round(value, precision)


def show(metric: str, value: float) -> str:
    m = METRICS.get(metric)
    precision = m.precision if m else 1
    unit = UNIT_DISPLAY.get(m.unit, m.unit) if m else ""
    return f"{value:.{precision}f} {unit}".strip()


def display(metric: str) -> str:
    return METRICS[metric].display if metric in METRICS else metric


def minutes_text(delta: dt.timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return f"{int(delta.total_seconds())} s"
    if minutes < 120:
        return f"{int(minutes)} min"
    return f"{minutes / 60:.1f} h"


# --- parameter validation ------------------------------------------------------------------

def _number(value, *, positive: bool = False, integer: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if integer and not float(value).is_integer():
        return False
    return value > 0 if positive else value >= 0


def validate_params(kind: str, metric: str, params) -> dict[str, str]:
    """Errors by parameter path ({} when valid). Called from AlertRule.clean()."""
    if not isinstance(params, dict):
        return {"params": "must be a JSON object"}
    check = VALIDATORS.get(kind)
    if check is None:
        return {"kind": f"unknown rule kind {kind!r}"}
    return check(metric, params)


def _validate_bands(metric: str, params: dict, *, persistence_required: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if metric not in METRICS:
        errors["metric"] = "a threshold rule needs a metric from the catalogue"
    bands = params.get("bands")
    if not isinstance(bands, list) or not bands:
        return {**errors, "params.bands": "must be a non-empty list of {op, value, severity}"}
    for i, band in enumerate(bands):
        where = f"params.bands[{i}]"
        if not isinstance(band, dict):
            errors[where] = "must be an object"
            continue
        if band.get("op") not in OPS:
            errors[f"{where}.op"] = f"must be one of {', '.join(OPS)}"
        value = band.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[f"{where}.value"] = "must be a number"
        elif metric in METRICS and not METRICS[metric].low <= value <= METRICS[metric].high:
            errors[f"{where}.value"] = (f"{value} is outside the plausible range of {metric} "
                                        f"({METRICS[metric].low:g}-{METRICS[metric].high:g})")
        if band.get("severity") not in SEVERITIES:
            errors[f"{where}.severity"] = f"must be one of {', '.join(SEVERITIES)}"
        for name in ("for_minutes", "consecutive"):
            if band.get(name) is not None and not _number(band[name], positive=True, integer=name == "consecutive"):
                errors[f"{where}.{name}"] = "must be a positive number" + (" (whole)" if name == "consecutive" else "")
        if band.get("consecutive") is not None and band["consecutive"] < 2 and f"{where}.consecutive" not in errors:
            errors[f"{where}.consecutive"] = "must be at least 2 (one reading is not persistence)"
        has_persistence = band.get("for_minutes") is not None or band.get("consecutive") is not None
        if persistence_required and not has_persistence:
            errors[f"{where}.for_minutes"] = "a persistence rule needs for_minutes or consecutive on every band"
    for name in ("resolve_margin", "resolve_minutes"):
        if params.get(name) is not None and not _number(params[name]):
            errors[f"params.{name}"] = "must be a number at or above 0"
    if params.get("average_days") is not None:
        if not _number(params["average_days"], positive=True):
            errors["params.average_days"] = "must be a positive number of days"
        if persistence_required:
            errors["params.average_days"] = "an average is a threshold rule, not a persistence rule"
    if params.get("min_readings") is not None and not _number(params["min_readings"], positive=True, integer=True):
        errors["params.min_readings"] = "must be a positive whole number"
    if params.get("spo2_scale") not in (None, 1, 2):
        errors["params.spo2_scale"] = "must be 1 or 2"
    return errors


def _validate_rate(metric: str, params: dict) -> dict[str, str]:
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
        if not _number(window.get("delta"), positive=True):
            errors[f"{where}.delta"] = "must be a positive number"
        has_days, has_minutes = window.get("days") is not None, window.get("minutes") is not None
        if has_days == has_minutes:
            errors[where] = "give exactly one of days (patient-local calendar days) or minutes"
        elif has_days and not _number(window["days"], positive=True, integer=True):
            errors[f"{where}.days"] = "must be a positive whole number"
        elif has_minutes and not _number(window["minutes"], positive=True):
            errors[f"{where}.minutes"] = "must be a positive number"
    return errors


def _validate_missing(metric: str, params: dict) -> dict[str, str]:
    if params.get("grace_minutes") is not None and not _number(params["grace_minutes"]):
        return {"params.grace_minutes": "must be a number at or above 0"}
    return {}


def _validate_adherence(metric: str, params: dict) -> dict[str, str]:
    errors = {}
    if params.get("medium_after_consecutive") is not None and not _number(
            params["medium_after_consecutive"], positive=True, integer=True):
        errors["params.medium_after_consecutive"] = "must be a positive whole number"
    if params.get("window_minutes") is not None and not _number(params["window_minutes"], positive=True):
        errors["params.window_minutes"] = "must be a positive number of minutes"
    return errors


def _validate_device(metric: str, params: dict) -> dict[str, str]:
    check = params.get("check")
    if check == "no_contact":
        return {} if _number(params.get("hours"), positive=True) else {"params.hours": "must be a positive number"}
    if check == "battery":
        errors = {}
        if not _number(params.get("below"), positive=True) or params["below"] > 100:
            errors["params.below"] = "must be a percentage between 0 and 100"
        if params.get("resolve_margin") is not None and not _number(params["resolve_margin"]):
            errors["params.resolve_margin"] = "must be a number at or above 0"
        return errors
    return {"params.check": "must be 'no_contact' or 'battery'"}


def _validate_news2(metric: str, params: dict) -> dict[str, str]:
    if params.get("window_minutes") is not None and not _number(params["window_minutes"], positive=True):
        return {"params.window_minutes": "must be a positive number of minutes"}
    return {}


VALIDATORS: dict[str, Callable[[str, dict], dict[str, str]]] = {
    "threshold": lambda metric, params: _validate_bands(metric, params, persistence_required=False),
    "persistence": lambda metric, params: _validate_bands(metric, params, persistence_required=True),
    "rate_of_change": _validate_rate,
    "missing_data": _validate_missing,
    "medication_adherence": _validate_adherence,
    "device_health": _validate_device,
    "early_warning_score": _validate_news2,
}


def lookback(kind: str, params: dict) -> dt.timedelta:
    """How much history before the newest readings a rule needs to decide."""
    if kind in ("threshold", "persistence"):
        if params.get("average_days"):
            return dt.timedelta(days=params["average_days"])
        if any(band.get("consecutive") for band in params["bands"]):
            return dt.timedelta(days=2)  # sparse readings (glucose) still count as consecutive
        minutes = max([band.get("for_minutes") or 0 for band in params["bands"]] + [params.get("resolve_minutes") or 0])
        return dt.timedelta(minutes=minutes + 60)
    if kind == "rate_of_change":
        return max(dt.timedelta(days=w["days"] + 1) if w.get("days") else dt.timedelta(minutes=w["minutes"])
                   for w in params["windows"])
    return dt.timedelta(hours=1)


# --- threshold and persistence ---------------------------------------------------------------

def _band_fires(band: dict, run: Sequence[Point], end: int) -> bool:
    """Has the condition held long enough by run[end]? Either persistence criterion suffices."""
    minutes, count = band.get("for_minutes"), band.get("consecutive")
    if minutes is None and count is None:
        return True
    if minutes is not None and run[end].measured_at - run[0].measured_at >= dt.timedelta(minutes=minutes):
        return True
    return count is not None and end + 1 >= count


def _band_explanation(metric: str, band: dict, run: Sequence[Point]) -> str:
    latest = rounded(metric, run[-1].value)
    limit = f"{OP_WORDS[band['op']]} {show(metric, band['value'])}"
    text = display(metric)
    if band.get("for_minutes") is not None and (band.get("consecutive") is None
                                                 or run[-1].measured_at - run[0].measured_at
                                                 >= dt.timedelta(minutes=band["for_minutes"])):
        span = minutes_text(run[-1].measured_at - run[0].measured_at)
        return (f"{text} {show(metric, latest)} for {span}, {limit} for at least {band['for_minutes']:g} min "
                f"({len(run)} readings)")
    if band.get("consecutive") is not None:
        return (f"{text} {show(metric, latest)}, {limit} in {len(run)} consecutive readings "
                f"(at least {band['consecutive']})")
    return f"{text} {show(metric, latest)}, {limit}"


def evaluate_bands(series: Sequence[Point], *, metric: str, params: dict, new_ids: set[int]) -> Trigger | None:
    """The worst band whose condition held (long enough) over a run of readings that includes a new one."""
    if params.get("average_days"):
        return _evaluate_average(series, metric=metric, params=params, new_ids=new_ids)
    best: tuple[int, dt.datetime, Trigger] | None = None
    for band in params["bands"]:
        holds = OPS[band["op"]]
        run: list[Point] = []
        for point in [*series, None]:
            if point is not None and holds(rounded(metric, point.value), band["value"]):
                run.append(point)
                continue
            if run and any(p.id in new_ids for p in run):
                fired_at = next((i for i in range(len(run)) if _band_fires(band, run, i)), None)
                if fired_at is not None:
                    rank = SEVERITY_RANK[band["severity"]]
                    candidate = Trigger(band["severity"], _band_explanation(metric, band, run),
                                        [p.id for p in run][-100:], run[-1].measured_at,
                                        f"{band['severity']}:{run[-1].id}")
                    if best is None or (rank, run[-1].measured_at) > best[:2]:
                        best = (rank, run[-1].measured_at, candidate)
            run = []
    return best[2] if best else None


def _window_mean(series: Sequence[Point], end: dt.datetime, days: float) -> tuple[float, list[Point]]:
    window = [p for p in series if end - dt.timedelta(days=days) < p.measured_at <= end]
    return (sum(p.value for p in window) / len(window) if window else float("nan")), window


def _evaluate_average(series: Sequence[Point], *, metric: str, params: dict, new_ids: set[int]) -> Trigger | None:
    new = [p for p in series if p.id in new_ids]
    if not new:
        return None
    end = max(p.measured_at for p in new)
    mean, window = _window_mean(series, end, params["average_days"])
    if len(window) < params.get("min_readings", 1):
        return None
    mean = rounded(metric, mean)
    for band in sorted(params["bands"], key=lambda b: -SEVERITY_RANK[b["severity"]]):
        if OPS[band["op"]](mean, band["value"]):
            text = (f"{display(metric)} averaged {show(metric, mean)} over {params['average_days']:g} days "
                    f"({len(window)} readings), {OP_WORDS[band['op']]} {show(metric, band['value'])}")
            return Trigger(band["severity"], text, [p.id for p in window][-100:], end,
                           f"avg:{band['severity']}:{window[-1].id}")
    return None


def _safe_edges(params: dict) -> tuple[float | None, float | None]:
    """The way back (hysteresis): at or above the highest low limit plus the margin, and at or below the
    lowest high limit minus the margin."""
    margin = params.get("resolve_margin") or 0
    lows = [b["value"] + margin for b in params["bands"] if b["op"] in ("<", "<=")]
    highs = [b["value"] - margin for b in params["bands"] if b["op"] in (">", ">=")]
    return (max(lows) if lows else None), (min(highs) if highs else None)


def _safe(metric: str, params: dict, value: float) -> bool:
    """Outside every band and inside the resolve edges: the way back is narrower than the way out."""
    v = rounded(metric, value)
    if any(OPS[band["op"]](v, band["value"]) for band in params["bands"]):
        return False
    low, high = _safe_edges(params)
    return (low is None or v >= low - EPSILON) and (high is None or v <= high + EPSILON)


def _safe_limits_text(metric: str, params: dict) -> str:
    low, high = _safe_edges(params)
    if low is not None and high is not None:
        return f"between {show(metric, low)} and {show(metric, high)}"
    return f"at or above {show(metric, low)}" if low is not None else f"at or below {show(metric, high)}"


def band_recovery(series: Sequence[Point], *, metric: str, params: dict, after: dt.datetime) -> Recovery | None:
    """Back inside the bands by the margin, on every reading since `after`, for the resolve duration."""
    later = [p for p in series if p.measured_at > after]
    if not later:
        return None
    if params.get("average_days"):
        mean, window = _window_mean(series, later[-1].measured_at, params["average_days"])
        if not _safe(metric, params, mean):
            return None
        return Recovery(f"Resolved automatically: {display(metric)} {params['average_days']:g}-day average back to "
                        f"{show(metric, rounded(metric, mean))} ({_safe_limits_text(metric, params)}).",
                        later[-1].measured_at)
    good: list[Point] = []
    for point in reversed(later):
        if not _safe(metric, params, point.value):
            break
        good.append(point)
    if not good:
        return None
    good.reverse()
    needed = dt.timedelta(minutes=params.get("resolve_minutes") or 0)
    held = good[-1].measured_at - good[0].measured_at
    if held < needed:
        return None
    duration = f" for {minutes_text(held)}" if needed else ""
    return Recovery(
        f"Resolved automatically: {display(metric)} back {_safe_limits_text(metric, params)}{duration} "
        f"(margin {params.get('resolve_margin') or 0:g}, latest {show(metric, rounded(metric, good[-1].value))}, "
        f"{len(good)} readings).",
        good[-1].measured_at,
    )


# --- rate of change ----------------------------------------------------------------------------

def _window_text(window: dict) -> str:
    if window.get("days"):
        return "1 day" if window["days"] == 1 else f"{window['days']} days"
    return f"{window['minutes']:g} min"


def evaluate_rate(series: Sequence[Point], *, metric: str, params: dict, new_ids: set[int], severity: str,
                  tz: dt.tzinfo = dt.UTC) -> Trigger | None:
    """The newest change of at least `delta` within a window, in the rule's direction, involving a new reading.

    Day windows count patient-local calendar days, so a morning weigh-in is compared with
    yesterday's whatever the minutes between them.
    """
    rise = params["direction"] == "rise"
    best: tuple[dt.datetime, Trigger] | None = None
    for window in params["windows"]:
        for j, later in enumerate(series):
            if window.get("days"):
                first_day = later.measured_at.astimezone(tz).date() - dt.timedelta(days=window["days"])
                earlier = [p for p in series[:j] if p.measured_at.astimezone(tz).date() >= first_day]
            else:
                start = later.measured_at - dt.timedelta(minutes=window["minutes"])
                earlier = [p for p in series[:j] if p.measured_at >= start]
            earlier = [p for p in earlier if p.measured_at < later.measured_at]
            if not earlier or not (later.id in new_ids or any(p.id in new_ids for p in earlier)):
                continue
            pick = min if rise else max
            base = pick(earlier, key=lambda p: rounded(metric, p.value))
            change = rounded(metric, later.value) - rounded(metric, base.value)
            if not rise:
                change = -change
            if change + EPSILON < window["delta"]:
                continue
            word = "up" if rise else "down"
            text = (f"{display(metric)} {word} {show(metric, change)} in {_window_text(window)} "
                    f"({show(metric, rounded(metric, base.value))} to {show(metric, rounded(metric, later.value))}), "
                    f"{'a gain' if rise else 'a fall'} of at least {show(metric, window['delta'])} "
                    f"in {_window_text(window)}")
            trigger = Trigger(severity, text, [base.id, later.id], later.measured_at,
                              f"rate:{base.id}:{later.id}")
            if best is None or later.measured_at > best[0]:
                best = (later.measured_at, trigger)
    return best[1] if best else None


# --- NEWS2 -------------------------------------------------------------------------------------

NEWS2_LABELS = {"respiration_rate": "respiration rate", "spo2": "SpO2", "air_or_oxygen": "oxygen",
                "systolic_bp": "systolic BP", "pulse": "pulse", "consciousness": "consciousness",
                "temperature": "temperature"}


def news2_from_latest(latest: dict[str, Point | None], *, on_oxygen: bool, alert: bool,
                      spo2_scale: int) -> news2.Score | None:
    """NEWS2 from the latest value of each parameter; None unless every parameter has one."""
    if any(latest.get(param) is None for param in news2.READING_PARAMETERS):
        return None
    return news2.score(**{param: latest[param].value for param in news2.READING_PARAMETERS},
                       on_oxygen=on_oxygen, alert=alert, spo2_scale=spo2_scale)


def news2_severity(result: news2.Score) -> str | None:
    # RCP NEWS2 Chart 2: aggregate >= 7 emergency (high); 5-6 or any single 3 urgent (medium)
    if result.total >= 7:
        return "high"
    if result.total >= 5 or result.any_single_three:
        return "medium"
    return None


def news2_explanation(result: news2.Score, latest: dict[str, Point], *, on_oxygen: bool, alert: bool,
                      spo2_scale: int) -> str:
    parts = []
    for param, points in result.components.items():
        if not points:
            continue
        if param in news2.READING_PARAMETERS:
            metric = news2.READING_PARAMETERS[param]
            value = show(metric, float(news2.chart_value(latest[param].value, 1 if param == "temperature" else 0)))
            scale = f" (scale {spo2_scale})" if param == "spo2" else ""
            parts.append(f"{NEWS2_LABELS[param]} {value}{scale} scores {points}")
        elif param == "air_or_oxygen":
            parts.append(f"on supplemental oxygen scores {points}")
        else:
            parts.append(f"consciousness not alert (CVPU) scores {points}")
    single = " with a single parameter scoring 3" if result.any_single_three and result.total < 5 else ""
    return (f"NEWS2 {result.total}{single}: {result.risk} clinical risk, {result.response}. "
            f"{'; '.join(parts) if parts else 'every parameter scores 0'}.")


def evaluate_news2(latest: dict[str, Point | None], *, on_oxygen: bool, alert: bool,
                   spo2_scale: int) -> Trigger | None:
    result = news2_from_latest(latest, on_oxygen=on_oxygen, alert=alert, spo2_scale=spo2_scale)
    if result is None:
        return None
    severity = news2_severity(result)
    if severity is None:
        return None
    points = [latest[param] for param in news2.READING_PARAMETERS]
    ids = sorted(p.id for p in points)
    return Trigger(severity, news2_explanation(result, latest, on_oxygen=on_oxygen, alert=alert,
                                               spo2_scale=spo2_scale),
                   ids, max(p.measured_at for p in points), "news2:" + ",".join(map(str, ids)))


def news2_recovery(latest: dict[str, Point | None], *, on_oxygen: bool, alert: bool, spo2_scale: int,
                   after: dt.datetime) -> Recovery | None:
    """Low risk again, from a full set of readings all taken after the alert's last trigger."""
    result = news2_from_latest(latest, on_oxygen=on_oxygen, alert=alert, spo2_scale=spo2_scale)
    if result is None or news2_severity(result) is not None:
        return None
    if any(latest[param].measured_at <= after for param in news2.READING_PARAMETERS):
        return None
    at = max(latest[param].measured_at for param in news2.READING_PARAMETERS)
    return Recovery(f"Resolved automatically: NEWS2 now {result.total} ({result.risk} risk) on a full set of "
                    f"observations taken after the alert.", at)


# --- missing data --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expectation:
    metric: str
    per_day: int
    due_by: dt.time


@dataclass(frozen=True)
class Miss:
    metric: str
    got: int
    expected: int
    due_by: dt.time

    def text(self) -> str:
        name = display(self.metric).lower().replace("spo2", "SpO2")
        if self.got == 0:
            return f"no {name} reading today by {self.due_by:%H:%M} ({self.expected} expected)"
        return f"only {self.got} of {self.expected} expected {name} readings today by {self.due_by:%H:%M}"


def missed_measurements(expected: Sequence[Expectation], counts_today: dict[str, int], *,
                        local_now: dt.datetime, grace_minutes: float = 0) -> list[Miss]:
    """Expected measurements not met by their due time today (patient-local)."""
    misses = []
    for e in expected:
        due = dt.datetime.combine(local_now.date(), e.due_by, tzinfo=local_now.tzinfo)
        if local_now < due + dt.timedelta(minutes=grace_minutes):
            continue
        got = counts_today.get(e.metric, 0)
        if got < e.per_day:
            misses.append(Miss(e.metric, got, e.per_day, e.due_by))
    return misses


# --- medication adherence -------------------------------------------------------------------------

@dataclass(frozen=True)
class Dose:
    due: dt.datetime  # patient-local
    taken: bool


def scheduled_doses(*, times: Sequence[dt.time], window_minutes: float, dose_events: Sequence[dt.datetime],
                    local_now: dt.datetime, days_back: int) -> list[Dose]:
    """Doses due in the last `days_back` days whose window has closed, each matched to at most one dose event
    within +/- window of its time."""
    window = dt.timedelta(minutes=window_minutes)
    tz = local_now.tzinfo
    due_times = sorted(
        dt.datetime.combine(local_now.date() - dt.timedelta(days=d), t, tzinfo=tz)
        for d in range(days_back + 1) for t in times
    )
    due_times = [d for d in due_times if d + window <= local_now]
    unused = sorted(e.astimezone(tz) for e in dose_events)
    doses = []
    for due in due_times:
        match = next((e for e in unused if due - window <= e <= due + window), None)
        if match is not None:
            unused.remove(match)
        doses.append(Dose(due, match is not None))
    return doses


def trailing_missed(doses: Sequence[Dose]) -> int:
    count = 0
    for dose in reversed(doses):
        if dose.taken:
            break
        count += 1
    return count


def proportion_of_days_covered(*, schedules: Sequence[tuple[Sequence[dt.time], float]],
                               dose_events: Sequence[dt.datetime], local_today: dt.date, tz: dt.tzinfo,
                               days: int = 30) -> float | None:
    """Share of the last `days` complete local days on which every scheduled dose was taken in its window.

    Adherence practice: a proportion of days covered >= 80 % is the usual adherent bar (thresholds.md).
    """
    if not schedules or not any(times for times, _ in schedules):
        return None
    end_of_yesterday = dt.datetime.combine(local_today, dt.time(0), tzinfo=tz) + dt.timedelta(hours=23)
    covered = {local_today - dt.timedelta(days=d) for d in range(1, days + 1)}
    for times, window in schedules:
        # judged as of the end of yesterday plus the window, so late-evening doses have had their chance
        doses = scheduled_doses(times=times, window_minutes=window, dose_events=dose_events,
                                local_now=end_of_yesterday + dt.timedelta(hours=1, minutes=window), days_back=days)
        for dose in doses:
            if not dose.taken:
                covered.discard(dose.due.date())
    return len(covered) / days


# --- device health ---------------------------------------------------------------------------------

def device_problem(*, params: dict, label: str, last_seen_at: dt.datetime | None, since: dt.datetime,
                   battery: int | None, now: dt.datetime) -> str | None:
    """What is wrong with one device under a device-health rule, or None."""
    if params["check"] == "no_contact":
        reference = last_seen_at or since
        silent = now - reference
        if silent >= dt.timedelta(hours=params["hours"]):
            seen = "since it was enrolled" if last_seen_at is None else "since its last reading"
            return f"no contact from {label} for {minutes_text(silent)} {seen} (limit {params['hours']:g} h)"
        return None
    if battery is not None and battery < params["below"]:
        return f"battery at {battery} % on {label} (below {params['below']:g} %)"
    return None


def device_recovered(*, params: dict, last_seen_at: dt.datetime | None, battery: int | None,
                     now: dt.datetime) -> bool:
    if params["check"] == "no_contact":
        return last_seen_at is not None and now - last_seen_at < dt.timedelta(hours=params["hours"])
    return battery is not None and battery >= params["below"] + (params.get("resolve_margin") or 0)
