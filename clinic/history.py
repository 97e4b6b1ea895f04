"""Chart history: a patient's readings of one metric over a range, downsampled so that every bucket keeps
its lowest and highest reading (a dangerous spike never disappears from the chart).

The raw rows come through the `reading_series` covering index packed into two byte strings that numpy
reads in place: no Python object per row, which is what makes 130,000 rows affordable per request.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np

from devices.readings import Series, implausible_in_range, raw_series
from rpm.errors import InvalidInput

DEFAULT_MAX_POINTS = 1500
MIN_MAX_POINTS = 2
MAX_MAX_POINTS = 20_000
MAX_RANGE = dt.timedelta(days=400)
# Charts with more than one series; the API's `metric=blood_pressure` asks for both on one chart.
METRIC_GROUPS: dict[str, tuple[str, ...]] = {"blood_pressure": ("systolic_bp", "diastolic_bp")}

class RangeError(InvalidInput):
    """Bad chart or export range; `errors` maps each query parameter to its problem."""


def _parse_bound(raw: str, *, tz: zoneinfo.ZoneInfo, is_end: bool) -> dt.datetime | str:
    """A date means the patient's local midnight (the end date is inclusive: its next midnight).
    A date-time without an offset is the patient's wall clock, which is what a zoomed chart sends."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            if is_end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
        when = dt.datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        return "must be a date (YYYY-MM-DD) or an ISO 8601 date-time"
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(dt.UTC)


def parse_range(*, start: str | None, end: str | None, tz: zoneinfo.ZoneInfo, now: dt.datetime,
                default: dt.timedelta = dt.timedelta(days=7)) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC from query parameters; end defaults to now and start to `default` before end."""
    errors: dict[str, str] = {}
    end_at = _parse_bound(end, tz=tz, is_end=True) if end else now
    if isinstance(end_at, str):
        errors["end"] = end_at
    start_at = _parse_bound(start, tz=tz, is_end=False) if start else None
    if isinstance(start_at, str):
        errors["start"] = start_at
    if errors:
        raise RangeError(errors)
    start_at = start_at or end_at - default
    if start_at >= end_at:
        raise RangeError({"end": "must be after start"})
    if end_at - start_at > MAX_RANGE:
        raise RangeError({"start": f"range is longer than {MAX_RANGE.days} days"})
    return start_at, end_at


def parse_max_points(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_MAX_POINTS
    try:
        value = int(raw)
    except ValueError:
        raise RangeError({"max_points": "must be a whole number"}) from None
    if not MIN_MAX_POINTS <= value <= MAX_MAX_POINTS:
        raise RangeError({"max_points": f"must be between {MIN_MAX_POINTS} and {MAX_MAX_POINTS}"})
    return value


def minmax_buckets(t_ms: np.ndarray, values: np.ndarray, *, start_ms: int, end_ms: int,
                   max_points: int) -> np.ndarray:
    """Indices of the points to keep: the lowest and highest of each of max_points // 2 equal time buckets.

    `t_ms` must be sorted. Bucket k covers [start + k*w, start + (k+1)*w) with w = (end - start) / buckets;
    a bucket with one reading keeps it once, so the result never exceeds max_points.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max_points // 2
    span = max(end_ms - start_ms, 1)
    bucket = ((t_ms - start_ms) * buckets // span).clip(0, buckets - 1)
    first = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    counts = np.diff(np.r_[first, n])
    lows = np.minimum.reduceat(values, first)
    highs = np.maximum.reduceat(values, first)
    segment = np.repeat(np.arange(len(first)), counts)
    # the first reading in each bucket that equals its bucket's min (max)
    low_hits = np.flatnonzero(values == lows[segment])
    high_hits = np.flatnonzero(values == highs[segment])
    low_idx = low_hits[np.r_[True, segment[low_hits][1:] != segment[low_hits][:-1]]]
    high_idx = high_hits[np.r_[True, segment[high_hits][1:] != segment[high_hits][:-1]]]
    return np.union1d(low_idx, high_idx)


def downsample(series: Series, *, start: dt.datetime, end: dt.datetime, max_points: int) -> Series:
    keep = minmax_buckets(series.t_ms, series.values, start_ms=_ms(start), end_ms=_ms(end), max_points=max_points)
    if len(keep) == len(series):
        return series
    return Series(t_ms=series.t_ms[keep], values=series.values[keep])


# International Consensus on Time in Range (Battelino et al., Diabetes Care 2019): bands in mg/dL
GLUCOSE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("very_low", float("-inf"), 54), ("low", 54, 70), ("in_range", 70, 180.0000001),
    ("high", 180.0000001, 250.0000001), ("very_high", 250.0000001, float("inf")),
)


def glucose_time_in_range(values: np.ndarray) -> dict[str, float] | None:
    """Percent of readings per consensus band: <54, 54-69, 70-180, 181-250, >250 mg/dL (evenly spaced CGM data)."""
    if len(values) == 0:
        return None
    return {name: round(100 * float(np.count_nonzero((values >= lo) & (values < hi))) / len(values), 1)
            for name, lo, hi in GLUCOSE_BANDS}


def chart_series(*, patient_id: int, metric: str, start: dt.datetime, end: dt.datetime, tz: zoneinfo.ZoneInfo,
                 max_points: int = DEFAULT_MAX_POINTS) -> dict:
    """The readings API body for one chart: each series downsampled, times as epoch ms and patient-local text.

    A grouped chart (blood pressure) shares max_points between its series.
    """
    metrics = METRIC_GROUPS.get(metric, (metric,))
    per_series = max(max_points // len(metrics), MIN_MAX_POINTS)
    body: dict = {"metric": metric, "start": start.isoformat(), "end": end.isoformat(), "max_points": max_points,
                  "timezone": tz.key, "start_local": _wall_clock(start, tz), "end_local": _wall_clock(end, tz),
                  "series": {}}
    for code in metrics:
        raw = raw_series(patient_id=patient_id, metric=code, start=start, end=end)
        shown = downsample(raw, start=start, end=end, max_points=per_series)
        entry = {
            "raw_count": len(raw), "downsampled": len(shown) < len(raw),
            "t": shown.t_ms.tolist(), "local": local_times(shown.t_ms, tz), "v": shown.values.tolist(),
        }
        if code == "blood_glucose":
            entry["time_in_range"] = glucose_time_in_range(raw.values)
        body["series"][code] = entry
    # implausible readings stay out of the series (and its bands) but are marked on the chart
    body["implausible"] = [
        {"id": i, "metric": code, "value": value, "at": at.isoformat(), "local": _wall_clock(at, tz)}
        for i, code, at, value in implausible_in_range(patient_id=patient_id, metrics=metrics, start=start, end=end)]
    return body


def local_times(t_ms: np.ndarray, tz: zoneinfo.ZoneInfo) -> list[str]:
    """Wall-clock times in the patient's zone (Plotly has no zones: the chart's axis is the patient's clock)."""
    if len(t_ms) == 0:
        return []
    offsets_ms = np.fromiter(
        (dt.datetime.fromtimestamp(t / 1000, tz).utcoffset().total_seconds() * 1000 for t in t_ms.tolist()),
        dtype=np.int64, count=len(t_ms),
    )
    return np.datetime_as_string((t_ms + offsets_ms).astype("datetime64[ms]"), unit="s").tolist()


def _wall_clock(when: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return when.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)
