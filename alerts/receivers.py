"""The engine hears the layers below. A patient paused or discharged closes the alerts that no longer apply
(patients.signals, in the change's own transaction). Newly stored readings go to the engine: one evaluation task
per committed ingest (a device API group commit carries many requests' readings, so the worker takes them
together).

`readings_stored` is sent after commit. If the broker is down the publish fails fast
(broker transport options: no retries, short timeouts) and is logged; the device has
its answer regardless, and the sweep evaluates the readings once Redis is back.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from alerts import services
from alerts.models import Alert, AlertRule
from alerts.tasks import evaluate_readings
from devices.signals import StoredReading, readings_stored
from patients.signals import monitoring_paused, patient_discharged

log = logging.getLogger(__name__)


@receiver(readings_stored, dispatch_uid="alerts.enqueue_evaluation")
def enqueue_evaluation(sender, readings: list[StoredReading], **kwargs) -> None:
    patients = {r.patient_id for r in readings}
    kwargs = {"patient_id": readings[0].patient_id} if len(patients) == 1 else {}
    try:
        evaluate_readings.apply_async(args=[[r.id for r in readings]], kwargs=kwargs, retry=False)
    except Exception as exc:
        log.warning("alert evaluation of %d readings not queued (the sweep will catch up): %r", len(readings), exc)


# the scheduled checks the engine skips while a patient is paused (alerts.engine: active patients only)
PAUSED_KINDS = (AlertRule.Kind.MISSING_DATA, AlertRule.Kind.MEDICATION_ADHERENCE)


def _resolve_all(alerts, *, by, note: str) -> None:
    for alert in alerts.exclude(state=Alert.State.RESOLVED):
        services.resolve_alert(alert=alert, by=by, note=note)


@receiver(monitoring_paused, dispatch_uid="alerts.resolve_on_pause")
def resolve_scheduled_alerts_on_pause(sender, patient, by, reason: str, **kwargs) -> None:
    """A paused patient is not expected to measure or take doses at home: their open missed-data and adherence
    alerts close with the clinician's reason (vital-sign alerts stay: readings that arrive are still judged)."""
    _resolve_all(Alert.objects.filter(patient=patient, rule__kind__in=PAUSED_KINDS), by=by,
                 note=f"Monitoring paused: {reason}")


@receiver(patient_discharged, dispatch_uid="alerts.resolve_on_discharge")
def resolve_alerts_on_discharge(sender, patient, by, reason: str, **kwargs) -> None:
    _resolve_all(Alert.objects.filter(patient=patient), by=by, note=f"Patient discharged: {reason}")
