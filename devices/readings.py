"""Reads of the readings table, next to the model that owns it: every query of `devices_reading` that the
engine, the screens and the exports need is a named function here, so its indexes and its cost are decided
in one place (benches in bench/ guard them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from devices.metrics import OK, is_continuous


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


DOSE_METRIC = "dose_taken"


def dose_events(*, patient_id: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """When the patient's dispenser reported a dose taken, in [start, end], oldest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT measured_at FROM devices_reading WHERE patient_id = %s AND metric = %s AND value > 0 "
                       "AND measured_at >= %s AND measured_at <= %s ORDER BY measured_at",
                       [patient_id, DOSE_METRIC, start, end])
        return [row[0] for row in cursor.fetchall()]
