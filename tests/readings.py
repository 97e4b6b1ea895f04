"""The one way tests store readings: `store()` through devices.ingest (validated, deduplicated, announced
after commit, as a device's or a nurse's readings are), and `add_readings()` straight into the table for
history older than ingest accepts (it refuses backfill past 30 days)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from devices.ingest import ingest
from devices.models import Device, Reading
from devices.services import enrol_device
from patients.models import Patient
from rpm.metrics import METRICS
from tests.builders import make_device, make_patient

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


def patient_in_period(team, *, day_of_period: int, data_days: int, now: dt.datetime | None = None) -> Patient:
    """A patient (UTC) on day `day_of_period` (1-30) of their first 30-day period today, with device data on its
    first `data_days` days (a weight scale enrolled just after midnight of day 1)."""
    patient = make_patient(team, timezone="UTC")
    device, _ = make_device("weight_scale")
    start = (now or dt.datetime.now(dt.UTC)).date() - dt.timedelta(days=day_of_period - 1)
    enrol_device(device=device, patient=patient, at=dt.datetime.combine(start, dt.time(0, 5), tzinfo=dt.UTC))
    add_readings(patient, "body_weight", [(dt.datetime.combine(start + dt.timedelta(days=i), dt.time(0, 10),
                                                               tzinfo=dt.UTC), 80) for i in range(data_days)],
                 device=device, source="api")
    return patient
