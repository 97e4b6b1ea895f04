"""Celery tasks of the readings table's upkeep: thin wrappers over devices.partitions, safe to run again."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from devices import partitions


@shared_task(name="devices.ensure_reading_partitions")
def ensure_reading_partitions() -> list[str]:
    return partitions.ensure_partitions(now=dt.datetime.now(dt.UTC), ahead=settings.RPM_READINGS_PARTITIONS_AHEAD)


@shared_task(name="devices.drop_expired_readings")
def drop_expired_readings() -> list[str]:
    dropped = partitions.drop_expired(now=dt.datetime.now(dt.UTC), keep_months=settings.RPM_READINGS_RETENTION_MONTHS,
                                      backfill_days=settings.INGEST_BACKFILL_DAYS)
    return [d.partition for d in dropped]
