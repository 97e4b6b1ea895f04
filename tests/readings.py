"""The one way tests store readings: `store()` through devices.ingest (validated, deduplicated, announced
after commit, as a device's or a nurse's readings are), and `add_readings()` straight into the table for
history older than ingest accepts (it refuses backfill past 30 days)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from devices.ingest import ingest
from devices.models import Device, Reading
from patients.models import Patient
from rpm.metrics import METRICS

_message_ids = itertools.count(1)


def store(patient: Patient, readings: Iterable[tuple[str, float, dt.datetime]], *, now: dt.datetime,
          device: Device | None = None) -> list[int]:
    """Store [(metric, value, measured_at)] through devices.ingest; returns the new reading ids.

    Without a device they are manual entries; with one, they come from that device over its API."""
    items = [{"metric": metric, "value": value, "unit": METRICS[metric].unit, "measured_at": at}
             for metric, value, at in readings]
    if device is not None:
        items = [{**item, "id": f"m{next(_message_ids)}"} for item in items]
    outcome = ingest(patient_id=patient.id, items=items, now=now,
                     source=Reading.Source.DEVICE_API if device else Reading.Source.MANUAL,
                     device_id=device.id if device else None, device_kind=device.kind if device else None)
    assert all(r.status == "created" for r in outcome.results), outcome.summary()
    return [r.reading_id for r in outcome.results]


def add_readings(patient: Patient, metric: str, points: Iterable[tuple[dt.datetime, float]], *,
                 device: Device | None = None, source: str = "seed") -> list[Reading]:
    """Bulk rows [(measured_at, value)] in the metric's canonical unit, for history of any age."""
    unit = METRICS[metric].unit
    return Reading.objects.bulk_create(
        Reading(patient=patient, device=device, metric=metric, value=value, unit=unit, measured_at=at,
                received_at=at, source=source)
        for at, value in points
    )


def every(start: dt.datetime, step: dt.timedelta, count: int) -> list[dt.datetime]:
    return [start + step * i for i in range(count)]
