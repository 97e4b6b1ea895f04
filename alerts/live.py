"""Pushes to browsers over the channel layer (the live dashboard owns this module).

Interface used by other modules; call only after commit:
    push_readings(readings: list[StoredReading]) -> None
    push_alert(alert: Alert, event: str) -> None   # event: "opened", "updated", "acknowledged", "resolved", "escalated"

One message per care-team group (ward-sized), never one per user: every dashboard
of that team's members is subscribed to the group. Each message carries the event
already encoded as JSON, so the consumers relay bytes instead of re-encoding them,
and a per-group sequence number, so a consumer can tell that the layer lost a
message (pub/sub is fire-and-forget) and fill the gap from the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.dispatch import receiver

from devices.metrics import METRICS
from devices.signals import StoredReading, readings_stored

log = logging.getLogger(__name__)

# The consumer's handler for every live message (channels maps "live.event" to `live_event`).
MESSAGE_TYPE = "live.event"


def team_group(care_team_id: int) -> str:
    return f"team.{care_team_id}"


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if when else None


def reading_event(*, reading_id: int, patient_id: int, metric: str, value: float, measured_at: dt.datetime,
                  at: dt.datetime) -> dict[str, Any]:
    """The `reading` message a dashboard applies to a tile (also used by the catch-up).

    `at` is the server's clock when the reading was pushed (or stored, in a catch-up): the
    browser's resume cursor.
    """
    return {"type": "reading", "id": reading_id, "patient": patient_id, "metric": metric, "value": value,
            "unit": METRICS[metric].unit, "measured_at": _iso(measured_at), "at": _iso(at)}


def alert_event(alert, event: str) -> dict[str, Any]:
    """The `alert` message: enough to draw or remove a row of the alert queue."""
    patient = alert.patient
    return {
        "type": "alert", "event": event, "id": alert.id, "patient": alert.patient_id,
        "patient_name": patient.name, "mrn": patient.mrn,
        "rule": alert.rule_id, "metric": alert.metric, "severity": alert.severity, "state": alert.state,
        "explanation": alert.explanation, "opened_at": _iso(alert.opened_at),
        "last_triggered_at": _iso(alert.last_triggered_at), "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by_id else None,
        "resolved_at": _iso(alert.resolved_at),
        "escalation_level": alert.escalation_level, "at": _iso(alert.updated_at),
    }


_redis: redis.Redis | None = None


def _client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=0.5)
    return _redis


def _prefix() -> str:
    return settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")


def _sequence(group: str) -> int:
    """The next number of this group's messages, shared by every process that publishes to it."""
    return int(_client().incr(f"{_prefix()}:seq:{group}"))


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    hosts = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", [])
    if isinstance(layer, RedisPubSubChannelLayer) and len(hosts) == 1:
        # Publish from this thread, as channels_redis's pub/sub layer would (its group channel name): no hop
        # into an event loop, which under daphne queues behind the server's socket work, and which is
        # impossible from a thread that already runs a loop.
        _client().publish(f"{_prefix()}__group__{group}", layer.serialize(message))
    else:
        async_to_sync(layer.group_send)(group, message)


def _publish(group: str, events: list[dict[str, Any]], patient_id: int) -> None:
    payload = [orjson.dumps(event) for event in events]
    _group_send(group, {"type": MESSAGE_TYPE, "group": group, "seq": _sequence(group), "patient": patient_id,
                        "events": payload})


def push_readings(readings: list[StoredReading]) -> None:
    """Send one message with these readings (all one patient's, per ingest call) to the patient's team group."""
    if not readings:
        return
    from patients.models import Patient

    pushed_at = dt.datetime.now(dt.UTC)  # just after commit: what bench/live.py measures latency from
    patient_id = readings[0].patient_id
    care_team_id = Patient.objects.filter(id=patient_id).values_list("care_team_id", flat=True).first()
    if care_team_id is None:
        return
    events = [reading_event(reading_id=r.id, patient_id=r.patient_id, metric=r.metric, value=r.value,
                            measured_at=r.measured_at, at=pushed_at) for r in readings]
    _publish(team_group(care_team_id), events, patient_id)


def push_alert(alert, event: str) -> None:
    """Send one `alert` event to the team group of the alert's patient."""
    _publish(team_group(alert.patient.care_team_id), [alert_event(alert, event)], alert.patient_id)


@receiver(readings_stored, dispatch_uid="alerts.live.push_readings")
def _on_readings_stored(sender, readings: list[StoredReading], **kwargs) -> None:
    # Runs after commit; a failure here (Redis down) is logged by announce_readings and the
    # dashboards catch up from the database when they reconnect.
    push_readings(readings)
