"""Celery tasks of the alert engine: thin wrappers over alerts.engine and alerts.services.

All are idempotent and acknowledged late (settings: acks_late, reject_on_worker_lost), so a
worker killed mid-task leaves the message to be redelivered and nothing half-written.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from alerts import engine, readiness, services


@shared_task(name="alerts.evaluate_readings", acks_late=True)
def evaluate_readings(reading_ids: list[int], patient_id: int | None = None) -> int:
    """One task per ingest call: every applicable rule over its readings. Returns how many were evaluated."""
    return engine.evaluate_readings(reading_ids=reading_ids, patient_id=patient_id).readings


@shared_task(name="alerts.sweep_unevaluated", acks_late=True)
def sweep_unevaluated(min_age_seconds: float = engine.SWEEP_MIN_AGE.total_seconds()) -> int:
    return engine.sweep_unevaluated(min_age=dt.timedelta(seconds=min_age_seconds)).readings


@shared_task(name="alerts.check_missing_data", acks_late=True)
def check_missing_data() -> int:
    return engine.check_missing_data().opened


@shared_task(name="alerts.check_medication_adherence", acks_late=True)
def check_medication_adherence() -> int:
    return engine.check_medication_adherence().opened


@shared_task(name="alerts.check_device_health", acks_late=True)
def check_device_health() -> int:
    return engine.check_device_health().opened


@shared_task(name="alerts.escalate", acks_late=True)
def escalate() -> int:
    return len(services.escalate_due_alerts())


@shared_task(name="alerts.beat_heartbeat", acks_late=True)
def beat_heartbeat() -> None:
    """Scheduled by beat, run by a worker: its time says alerting's schedule is running (alerts.readiness)."""
    readiness.record_heartbeat()
