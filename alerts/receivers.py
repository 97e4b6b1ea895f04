"""Hands newly stored readings to the alert engine: one evaluation task per committed ingest (a device API group
commit carries many requests' readings, so the worker takes them together).

`readings_stored` is sent after commit. If the broker is down the publish fails fast
(broker transport options: no retries, short timeouts) and is logged; the device has
its answer regardless, and the sweep evaluates the readings once Redis is back.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from alerts.tasks import evaluate_readings
from devices.signals import StoredReading, readings_stored

log = logging.getLogger(__name__)


@receiver(readings_stored, dispatch_uid="alerts.enqueue_evaluation")
def enqueue_evaluation(sender, readings: list[StoredReading], **kwargs) -> None:
    patients = {r.patient_id for r in readings}
    kwargs = {"patient_id": readings[0].patient_id} if len(patients) == 1 else {}
    try:
        evaluate_readings.apply_async(args=[[r.id for r in readings]], kwargs=kwargs, retry=False)
    except Exception as exc:
        log.warning("alert evaluation of %d readings not queued (the sweep will catch up): %r", len(readings), exc)
