"""Bulk synthetic readings for history tests (written straight to the table: ingest refuses old backfill)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from devices.metrics import METRICS
from devices.models import Device, Reading
from patients.models import Patient


def add_readings(patient: Patient, metric: str, points: Iterable[tuple[dt.datetime, float]], *,
                 device: Device | None = None, source: str = "seed") -> list[Reading]:
    unit = METRICS[metric].unit
    return Reading.objects.bulk_create(
        Reading(patient=patient, device=device, metric=metric, value=value, unit=unit, measured_at=at,
                received_at=at, source=source)
        for at, value in points
    )


def every(start: dt.datetime, step: dt.timedelta, count: int) -> list[dt.datetime]:
    return [start + step * i for i in range(count)]
