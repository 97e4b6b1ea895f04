"""Reads of the readings table, next to the model that owns it: every query of `devices_reading` that the
engine, the screens and the exports need is a named function here, so its indexes and its cost are decided
in one place (benches in bench/ guard them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.db import connection

from devices.models import Reading
from rpm.metrics import METRICS, OK, is_continuous


@dataclass(frozen=True, slots=True)
class Point:
    """One stored reading as a rule sees it. `kind` is the device kind that measured it (None: manual entry)."""

    id: int
    measured_at: dt.datetime
    value: float
    kind: str | None = None
    quality: str = OK

    @property
    def continuous(self) -> bool:
        return is_continuous(self.kind)


_SERIES_SQL = """
SELECT r.metric, r.id, r.measured_at, r.value, d.kind, r.quality
FROM UNNEST(%s::text[], %s::timestamptz[]) AS w(metric, since)
JOIN devices_reading r ON r.patient_id = %s AND r.metric = w.metric AND r.measured_at >= w.since
    AND r.measured_at <= %s
LEFT JOIN devices_device d ON d.id = r.device_id
ORDER BY r.metric, r.measured_at, r.id
"""


def series_since(*, patient_id: int, since: dict[str, dt.datetime],
                 until: dt.datetime | None = None) -> dict[str, list[Point]]:
    """Each metric's readings from its own start time, in measured order (then id), with the device kind
    that measured each: one query for every metric."""
    out: dict[str, list[Point]] = {metric: [] for metric in since}
    if not since:
        return out
    until = until or dt.datetime.max.replace(tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(_SERIES_SQL, [list(since), list(since.values()), patient_id, until])
        for metric, reading_id, measured_at, value, kind, quality in cursor.fetchall():
            out[metric].append(Point(reading_id, measured_at, value, kind, quality))
    return out


# measured_at as integer microseconds since the epoch: Django's timestamptz loader (Python, per value) cost more
# than the rest of the evaluation once a reading's series reaches back an hour (profiled: bench/alerts.py (e))
_SERIES_MANY_SQL = """
SELECT w.patient, r.metric, r.id, (EXTRACT(EPOCH FROM r.measured_at) * 1000000)::int8, r.value, d.kind, r.quality
FROM UNNEST(%s::bigint[], %s::text[], %s::timestamptz[]) AS w(patient, metric, since)
JOIN devices_reading r ON r.patient_id = w.patient AND r.metric = w.metric AND r.measured_at >= w.since
LEFT JOIN devices_device d ON d.id = r.device_id
ORDER BY w.patient, r.metric, r.measured_at, r.id
"""


def series_since_each(*, since: dict[int, dict[str, dt.datetime]]) -> dict[int, dict[str, list[Point]]]:
    """`series_since` for many patients in one query: {patient id: {metric: points}} from each (patient, metric)'s
    own start time (the alert engine's batch)."""
    out: dict[int, dict[str, list[Point]]] = {pid: {metric: [] for metric in own} for pid, own in since.items()}
    keys = [(pid, metric, at) for pid, own in since.items() for metric, at in own.items()]
    if not keys:
        return out
    with connection.cursor() as cursor:
        cursor.execute(_SERIES_MANY_SQL, [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]])
        for pid, metric, reading_id, micros, value, kind, quality in cursor.fetchall():
            out[pid][metric].append(Point(reading_id, _EPOCH + dt.timedelta(microseconds=micros), value, kind,
                                          quality))
    return out


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def unevaluated(*, reading_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(reading id, patient id) of these readings that the alert engine has not seen yet."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, patient_id FROM devices_reading WHERE id = ANY(%s) AND evaluated_at IS NULL",
                       [list(reading_ids)])
        return cursor.fetchall()


def claim_unevaluated(*, patient_id: int, reading_ids: Sequence[int], at: dt.datetime
                      ) -> list[tuple[int, str, dt.datetime]]:
    """Mark this patient's readings not evaluated yet as evaluated `at`, and return (id, metric, measured_at) of
    those. One statement: its row locks make a second worker wait and then find nothing left, and a rollback
    (a worker killed mid-evaluation) leaves them unevaluated for the sweep. Call inside the evaluation's
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE devices_reading SET evaluated_at = %s WHERE id = ANY(%s) AND patient_id = %s "
                       "AND evaluated_at IS NULL RETURNING id, metric, measured_at",
                       [at, list(reading_ids), patient_id])
        return cursor.fetchall()


def claim_unevaluated_each(*, patient_ids: Sequence[int], reading_ids: Sequence[int], at: dt.datetime
                           ) -> list[tuple[int, int, str, dt.datetime]]:
    """`claim_unevaluated` for many patients in one statement: (id, patient id, metric, measured_at) of the
    readings claimed. Call inside the evaluation's transaction, holding every one of these patients' locks."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE devices_reading SET evaluated_at = %s WHERE id = ANY(%s) AND patient_id = ANY(%s) "
                       "AND evaluated_at IS NULL RETURNING id, patient_id, metric, measured_at",
                       [at, list(reading_ids), list(patient_ids)])
        return cursor.fetchall()


def oldest_unevaluated(*, received_before: dt.datetime, limit: int) -> list[int]:
    """Readings stored but never evaluated (the queue was down, a worker died), oldest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM devices_reading WHERE evaluated_at IS NULL AND received_at <= %s "
                       "ORDER BY received_at LIMIT %s", [received_before, limit])
        return [row[0] for row in cursor.fetchall()]


def latest_plausible(*, patient_id: int, metrics: Sequence[str], start: dt.datetime,
                     end: dt.datetime) -> dict[str, Point]:
    """The latest plausible reading of each metric measured in (start, end]: one index probe per metric."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.metric, r.id, r.measured_at, r.value, r.quality FROM UNNEST(%s::text[]) AS m(metric) "
            "CROSS JOIN LATERAL (SELECT id, measured_at, value, quality FROM devices_reading "
            "  WHERE patient_id = %s AND metric = m.metric AND measured_at > %s AND measured_at <= %s "
            "  AND quality = %s ORDER BY measured_at DESC, id DESC LIMIT 1) r",
            [list(metrics), patient_id, start, end, OK])
        return {metric: Point(i, at, value, None, quality) for metric, i, at, value, quality in cursor.fetchall()}


def counts_between(*, patient_id: int, metrics: Sequence[str], start: dt.datetime,
                   end: dt.datetime) -> dict[str, int]:
    """How many readings of each metric were measured in [start, end]."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT metric, count(*) FROM devices_reading WHERE patient_id = %s AND metric = ANY(%s) "
                       "AND measured_at >= %s AND measured_at <= %s GROUP BY metric",
                       [patient_id, list(metrics), start, end])
        return dict(cursor.fetchall())


def metrics_received_since(*, patient_id: int, metrics: Sequence[str], since: dt.datetime) -> set[str]:
    """Which of these metrics have a reading received (stored) since `since`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT metric FROM devices_reading WHERE patient_id = %s AND metric = ANY(%s) "
                       "AND received_at >= %s", [patient_id, list(metrics), since])
        return {row[0] for row in cursor.fetchall()}


def last_measured(*, patient_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """Each patient's newest measured_at (patients without a reading are absent): one index probe a patient."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.id, r.measured_at FROM unnest(%s::bigint[]) AS p(id) CROSS JOIN LATERAL ("
                       "SELECT measured_at FROM devices_reading WHERE patient_id = p.id "
                       "ORDER BY measured_at DESC LIMIT 1) r", [list(patient_ids)])
        return dict(cursor.fetchall())


DOSE_METRIC = "dose_taken"


def dose_events(*, patient_id: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """When the patient's dispenser reported a dose taken, in [start, end], oldest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT measured_at FROM devices_reading WHERE patient_id = %s AND metric = %s AND value > 0 "
                       "AND measured_at >= %s AND measured_at <= %s ORDER BY measured_at",
                       [patient_id, DOSE_METRIC, start, end])
        return [row[0] for row in cursor.fetchall()]


# The newest readings of each (patient, metric), by one index probe per pair. The table is partitioned by month
# and a probe with no bound on measured_at merges every partition's index (a year: over a dozen probes per pair),
# so the pairs are first looked up among the last RECENT's partitions only, and the few still short (a weight from
# last season, a long-silent device) then across them all.
RECENT = dt.timedelta(days=32)
_NEWEST_SQL = """
SELECT k.pid, k.metric, r.value, r.unit, r.measured_at
FROM UNNEST(%s::bigint[], %s::text[]) AS k(pid, metric)
CROSS JOIN LATERAL (
    SELECT value, unit, measured_at FROM devices_reading
    WHERE patient_id = k.pid AND metric = k.metric AND quality = %s {bound}
    ORDER BY measured_at DESC LIMIT %s
) r
ORDER BY 1, 2, 5 DESC
"""


def _newest(*, pairs: list[tuple[int, str]], count: int) -> dict[tuple[int, str], list[tuple[float, str, dt.datetime]]]:
    """{(patient, metric): [(value, unit, measured_at)], newest first}: the newest `count` plausible readings of
    each pair that has any."""
    out: dict[tuple[int, str], list[tuple[float, str, dt.datetime]]] = {}
    since = dt.datetime.now(dt.UTC) - RECENT
    with connection.cursor() as cursor:
        for bound, extra in (("AND measured_at >= %s", [since]), ("", [])):
            short = [pair for pair in pairs if len(out.get(pair, ())) < count]
            if not short:
                break
            for pair in short:
                out.pop(pair, None)
            cursor.execute(_NEWEST_SQL.format(bound=bound),
                           [[p for p, _ in short], [m for _, m in short], OK, *extra, count])
            for pid, metric, value, unit, measured_at in cursor.fetchall():
                out.setdefault((pid, metric), []).append((value, unit, measured_at))
    return out


def latest_values(patient_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Latest plausible reading of each metric for each patient: {patient_id: {metric: {value, unit, measured_at}}}.
    """
    out: dict[int, dict[str, dict[str, Any]]] = {pid: {} for pid in patient_ids}
    newest = _newest(pairs=[(pid, metric) for pid in patient_ids for metric in METRICS], count=1)
    for (pid, metric), [(value, unit, measured_at)] in newest.items():
        out[pid][metric] = {"value": value, "unit": unit, "measured_at": measured_at}
    return out


def latest_two(*, patient_ids: list[int], metrics: Sequence[str]
               ) -> dict[tuple[int, str], list[tuple[float, dt.datetime]]]:
    """The newest two plausible readings of each metric per patient, newest first: the value a tile shows and the
    one before it (its trend)."""
    newest = _newest(pairs=[(pid, metric) for pid in patient_ids for metric in metrics], count=2)
    return {pair: [(value, at) for value, _, at in rows] for pair, rows in newest.items()}


def bucket_means(*, patient_ids: list[int], metrics: Sequence[str], start: dt.datetime, end: dt.datetime,
                 minutes: int) -> dict[tuple[int, str], list[list[float]]]:
    """Mean plausible value per `minutes` bucket in (start, end]: [[epoch seconds, value], ...] per patient and
    metric (a tile's sparkline)."""
    sql = """
    SELECT patient_id, metric,
           EXTRACT(EPOCH FROM date_bin(make_interval(mins => %s), measured_at, TIMESTAMPTZ '2000-01-01')) AS bucket,
           avg(value)
    FROM devices_reading
    WHERE patient_id = ANY(%s) AND metric = ANY(%s) AND measured_at > %s AND measured_at <= %s AND quality = %s
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    out: dict[tuple[int, str], list[list[float]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [minutes, list(patient_ids), list(metrics), start, end, OK])
        for pid, metric, bucket, value in cursor.fetchall():
            out.setdefault((pid, metric), []).append([float(bucket), round(value, 2)])
    return out


def received_since(*, patient_ids: list[int], since: dt.datetime, measured_after: dt.datetime, limit: int
                   ) -> list[tuple]:
    """(id, patient id, metric, value, measured_at, received_at, quality) of readings received after `since` and
    measured after `measured_after` (which bounds the scan to the reading_series index), oldest received first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, patient_id, metric, value, measured_at, received_at, quality FROM devices_reading "
                       "WHERE patient_id = ANY(%s) AND metric = ANY(%s) AND measured_at >= %s AND received_at > %s "
                       "ORDER BY received_at, id LIMIT %s",
                       [list(patient_ids), list(METRICS), measured_after, since, limit])
        return cursor.fetchall()


def metrics_per_interval(*, patient_id: int, bounds: Sequence[dt.datetime], metrics: Sequence[str]
                         ) -> list[tuple[int, str]]:
    """(interval index, metric) for each of these metrics with a reading in [bounds[i], bounds[i + 1]): one index
    probe per (interval, metric) rather than a month of minute-by-minute rows (the calendar of data days)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.i - 1, m.metric "
            "FROM UNNEST(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS d(lo, hi, i) "
            "CROSS JOIN UNNEST(%s::text[]) AS m(metric) "
            "WHERE EXISTS (SELECT 1 FROM devices_reading r WHERE r.patient_id = %s AND r.metric = m.metric "
            "AND r.measured_at >= d.lo AND r.measured_at < d.hi)",
            [list(bounds[:-1]), list(bounds[1:]), list(metrics), patient_id])
        return cursor.fetchall()


def times_and_values(*, reading_ids: Sequence[int]) -> dict[int, tuple[dt.datetime, float]]:
    """{id: (measured_at, value)} of these readings (where a chart places an alert)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, measured_at, value FROM devices_reading WHERE id = ANY(%s)", [list(reading_ids)])
        return {i: (at, value) for i, at, value in cursor.fetchall()}


def newest_ids(*, patient_id: int, metrics: Sequence[str], offset: int, limit: int) -> list[int]:
    """Ids of one page of the patient's readings of these metrics, newest first. The newest offset + limit of
    each metric through the reading_series index, then merged: sorting every reading of the patient (hundreds of
    thousands at one a minute) for one page is what this avoids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id FROM UNNEST(%s::text[]) AS m(metric) CROSS JOIN LATERAL ("
            "  SELECT id, measured_at FROM devices_reading WHERE patient_id = %s AND metric = m.metric"
            "  ORDER BY measured_at DESC, id DESC LIMIT %s) r "
            "ORDER BY r.measured_at DESC, r.id DESC OFFSET %s LIMIT %s",
            [list(metrics), patient_id, offset + limit, offset, limit])
        return [row[0] for row in cursor.fetchall()]


def with_devices(*, reading_ids: Sequence[int]) -> dict[int, Reading]:
    """These readings as rows, with the device that sent each (a table of readings)."""
    return Reading.objects.select_related("device").in_bulk(list(reading_ids))


def of_device(*, device_id: int, limit: int) -> list[Reading]:
    """What one device sent last, newest received first, with the patient (the device page)."""
    return list(Reading.objects.filter(device_id=device_id).select_related("patient")
                .order_by("-received_at", "-id")[:limit])


def in_range(*, patient_id: int, start: dt.datetime, end: dt.datetime, chunk: int = 5000):
    """(measured_at, metric, value, unit, source, device serial, received_at, quality, id, device kind) with
    start <= measured_at < end, in time order, streamed in chunks (exports)."""
    return (Reading.objects.filter(patient_id=patient_id, measured_at__gte=start, measured_at__lt=end)
            .order_by("measured_at", "metric", "id")
            .values_list("measured_at", "metric", "value", "unit", "source", "device__serial", "received_at",
                         "quality", "id", "device__kind")
            .iterator(chunk_size=chunk))


_PG_EPOCH_US = int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000
# The whole series comes back as two bytea values of packed big-endian int64 (timestamptz_send: µs since
# 2000-01-01) and float8: one row, no Python object per reading, read in place by numpy. The ordered
# aggregate takes its order from the reading_series index scan, so PostgreSQL does not sort.
_RAW_SQL = (
    "SELECT string_agg(timestamptz_send(measured_at), ''::bytea ORDER BY measured_at), "
    "string_agg(float8send(value), ''::bytea ORDER BY measured_at) FROM devices_reading "
    "WHERE patient_id = %s AND metric = %s AND measured_at >= %s AND measured_at < %s AND quality = %s"
)


@dataclass(frozen=True, slots=True)
class Series:
    """Times as epoch milliseconds (UTC) and values, in time order."""

    t_ms: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def raw_series(*, patient_id: int, metric: str, start: dt.datetime, end: dt.datetime) -> Series:
    """Every plausible reading of one metric with start <= measured_at < end, oldest first, packed (a chart)."""
    with connection.cursor() as cursor:
        cursor.execute(_RAW_SQL, [patient_id, metric, start, end, OK])
        packed_times, packed_values = cursor.fetchone()
    if packed_times is None:
        return Series(t_ms=np.empty(0, dtype=np.int64), values=np.empty(0, dtype=np.float64))
    t_ms = (np.frombuffer(packed_times, dtype=">i8").astype(np.int64) + _PG_EPOCH_US) // 1000
    return Series(t_ms=t_ms, values=np.frombuffer(packed_values, dtype=">f8").astype(np.float64))


def implausible_in_range(*, patient_id: int, metrics: Sequence[str], start: dt.datetime, end: dt.datetime,
                         limit: int = 500) -> list[tuple[int, str, dt.datetime, float]]:
    """(id, metric, measured_at, value) of the readings flagged implausible in [start, end): a chart marks them
    apart from the series it draws."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, metric, measured_at, value FROM devices_reading WHERE patient_id = %s "
                       "AND metric = ANY(%s) AND measured_at >= %s AND measured_at < %s AND quality <> %s "
                       "ORDER BY measured_at LIMIT %s", [patient_id, list(metrics), start, end, OK, limit])
        return cursor.fetchall()


class ReadingRow(NamedTuple):
    """One stored reading with the device that sent it, as the FHIR mapping needs it."""

    id: int
    patient_id: int
    device_id: int | None
    device_kind: str | None
    device_serial: str | None
    metric: str
    value: float
    unit: str
    measured_at: dt.datetime
    received_at: dt.datetime
    quality: str


_ROWS_SQL = ("SELECT r.id, r.patient_id, r.device_id, d.kind, d.serial, r.metric, r.value, r.unit, r.measured_at, "
             "r.received_at, r.quality FROM devices_reading r LEFT JOIN devices_device d ON d.id = r.device_id ")
_CGM = "cgm"


def rows_page(*, patient_ids: Sequence[int], metrics: Sequence[str], cgm_metrics: Sequence[str] = (),
              meter_metrics: Sequence[str] = (), start: dt.datetime, end: dt.datetime,
              after: tuple[dt.datetime, int] | None, newest_first: bool, limit: int) -> list[ReadingRow]:
    """One page of these patients' readings with start <= measured_at < end, ordered by (measured_at, id) and
    continuing strictly after `after` in that order (keyset paging). `metrics` match from any device;
    `cgm_metrics` only from a CGM, `meter_metrics` only from anything else (glucose is coded by the device)."""
    order = "DESC" if newest_first else "ASC"
    keyset = ""
    params: dict[str, Any] = {"p": list(patient_ids), "any": list(metrics), "cgm": list(cgm_metrics),
                              "meter": list(meter_metrics), "kind": _CGM, "start": start, "end": end,
                              "limit": limit}
    if after is not None:
        keyset = f"AND (r.measured_at, r.id) {'<' if newest_first else '>'} (%(at)s, %(id)s) "
        params.update(at=after[0], id=after[1])
    with connection.cursor() as cursor:
        cursor.execute(
            _ROWS_SQL + "WHERE r.patient_id = ANY(%(p)s) AND (r.metric = ANY(%(any)s) "
            "OR (r.metric = ANY(%(cgm)s) AND d.kind = %(kind)s) "
            "OR (r.metric = ANY(%(meter)s) AND d.kind IS DISTINCT FROM %(kind)s)) "
            "AND r.measured_at >= %(start)s AND r.measured_at < %(end)s " + keyset +
            f"ORDER BY r.measured_at {order}, r.id {order} LIMIT %(limit)s", params)
        return [ReadingRow(*row) for row in cursor.fetchall()]


def rows_by_id(*, reading_ids: Sequence[int], patient_ids: Sequence[int]) -> list[ReadingRow]:
    """These readings, of these patients only (an id of another patient's reading finds nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SQL + "WHERE r.id = ANY(%s) AND r.patient_id = ANY(%s) ORDER BY r.id",
                       [list(reading_ids), list(patient_ids)])
        return [ReadingRow(*row) for row in cursor.fetchall()]


def rows_of_metrics(*, patient_ids: Sequence[int], metrics: Sequence[str], start: dt.datetime,
                    end: dt.datetime) -> list[ReadingRow]:
    """These patients' readings of these metrics with start <= measured_at <= end, in time order (the two halves
    of blood pressure around a page, to pair them)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SQL + "WHERE r.patient_id = ANY(%s) AND r.metric = ANY(%s) AND r.measured_at >= %s "
                       "AND r.measured_at <= %s ORDER BY r.measured_at, r.id",
                       [list(patient_ids), list(metrics), start, end])
        return [ReadingRow(*row) for row in cursor.fetchall()]


def ids_of_messages(*, device_id: int, message_ids: Sequence[str]) -> dict[str, int]:
    """{device message id: reading id} of the readings this device already sent under these ids."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id, reading_id FROM devices_readingmessage WHERE device_id = %s "
                       "AND message_id = ANY(%s)", [device_id, list(message_ids)])
        return dict(cursor.fetchall())


# CMS CY2026 (99445/99454): a data day is a patient-local day with automatically uploaded device data, every
# device combined; manual entries do not count, nor a dispenser's dose events (not physiologic data).
_DATA_DAYS_SQL = """
SELECT d.pid, d.day
FROM UNNEST(%s::bigint[], %s::date[], %s::timestamptz[], %s::timestamptz[]) AS d(pid, day, lo, hi)
WHERE EXISTS (
    SELECT 1 FROM UNNEST(%s::text[]) AS m(metric)
    JOIN devices_reading r ON r.patient_id = d.pid AND r.metric = m.metric
        AND r.measured_at >= d.lo AND r.measured_at < d.hi
    WHERE r.device_id IS NOT NULL AND r.source <> %s)
"""


def data_days(*, spans: dict[int, tuple[dt.tzinfo, dt.date, dt.date]]) -> dict[int, set[dt.date]]:
    """{patient id: the local days in [first, last] with automatic device data} for {patient id: (time zone, first,
    last)}: one index probe per (patient, day, metric), never a scan of a month of minute-by-minute rows. The one
    day rule that the patient page's calendar, the worklist and the billing report share."""
    out: dict[int, set[dt.date]] = {pid: set() for pid in spans}
    pids, days, los, his = [], [], [], []
    for pid, (tz, first, last) in spans.items():
        day = first
        while day <= last:
            pids.append(pid)
            days.append(day)
            los.append(dt.datetime.combine(day, dt.time(0), tzinfo=tz))
            his.append(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz))
            day += dt.timedelta(days=1)
    if not pids:
        return out
    metrics = [code for code in METRICS if code != DOSE_METRIC]
    with connection.cursor() as cursor:
        cursor.execute(_DATA_DAYS_SQL, [pids, days, los, his, metrics, Reading.Source.MANUAL.value])
        for pid, day in cursor.fetchall():
            out[pid].add(day)
    return out
