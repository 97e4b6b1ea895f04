"""Live push to the dashboards: the publishing side (`push_readings`, `push_alert`) and, per server process, the
`LiveHub` that the dashboard sockets of that process subscribe through.

Interface used by other modules; call only after commit:
    push_readings(readings: list[StoredReading]) -> None   # one or many patients'
    push_alert(alert: Alert, event: str) -> None   # event: "opened", "updated", "acknowledged", "resolved", "escalated"
    push_status(patient: Patient) -> None   # paused, resumed (active) or discharged: the tile shows it or goes

One message per care-team group (ward-sized), never one per user, published on Redis pub/sub under the channel
prefix (clinic.live_bus: one Redis server, or a Redis Cluster's sharded pub/sub). Each server process subscribes
once per group its sockets need and hands every message to those sockets in-process: measured by bench/live.py,
relaying through the channel layer (a Redis subscription and an asyncio queue per socket, the message decoded once
per socket) put one daphne process seconds behind at 5,000 events/s, while one decode per process keeps it live.
A message is a JSON header line followed by the events, each already encoded as one JSON line, so sockets relay
bytes instead of re-encoding them. The header carries a per-group sequence number: pub/sub is fire-and-forget, so a
socket that sees a gap fills it from the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.dispatch import receiver

from alerts.signals import patient_reviewed
from clinic.live_bus import Publisher, Subscriber
from devices.signals import StoredReading, readings_stored
from patients.models import Patient
from patients.signals import status_changed
from rpm.metrics import METRICS, OK

log = logging.getLogger(__name__)

def team_group(care_team_id: int) -> str:
    return f"team.{care_team_id}"


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if when else None


def reading_event(*, reading_id: int, patient_id: int, metric: str, value: float, measured_at: dt.datetime,
                  at: dt.datetime, quality: str = OK) -> dict[str, Any]:
    """The `reading` message a dashboard applies to a tile (also used by the catch-up).

    `at` is the server's clock when the reading was pushed (or stored, in a catch-up): the
    browser's resume cursor.
    """
    event = {"type": "reading", "id": reading_id, "patient": patient_id, "metric": metric, "value": value,
             "unit": METRICS[metric].unit, "measured_at": _iso(measured_at), "at": _iso(at)}
    if quality != OK:
        event["quality"] = quality  # the tile keeps its value; the alert says "check the patient or the device"
    return event


def alert_event(alert, event: str) -> dict[str, Any]:
    """The `alert` message: enough to draw or remove a row of the alert queue."""
    patient = alert.patient
    return {
        "type": "alert", "event": event, "id": alert.id, "patient": alert.patient_id,
        "care_team": patient.care_team_id,
        "patient_name": patient.name, "mrn": patient.mrn,
        "rule": alert.rule_id, "metric": alert.metric, "severity": alert.severity, "state": alert.state,
        "explanation": alert.explanation, "opened_at": _iso(alert.opened_at),
        "last_triggered_at": _iso(alert.last_triggered_at), "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by_id else None,
        "resolved_at": _iso(alert.resolved_at), "reopened_at": _iso(alert.reopened_at),
        "recovered_at": _iso(alert.recovered_at), "recovery": alert.recovery,
        "escalation_level": alert.escalation_level, "notified": alert.notified, "at": _iso(alert.updated_at),
        "assigned_to": alert.assigned_to.username if alert.assigned_to_id else None,
        "snoozed_until": _iso(alert.snoozed_until), "snooze_reason": alert.snooze_reason,
        "snoozed_by": alert.snoozed_by.username if alert.snoozed_by_id else None,
    }


_publisher: Publisher | None = None


def _bus() -> Publisher:
    global _publisher
    if _publisher is None:
        _publisher = Publisher(settings.LIVE_REDIS_URL, cluster=settings.LIVE_REDIS_CLUSTER)
    return _publisher


def _prefix() -> str:
    return settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")


def channel_for(group: str) -> str:
    return f"{_prefix()}:live:{group}"


def _sequence_key(group: str) -> str:
    return f"{_prefix()}:seq:{group}"


class Frame:
    """A group's messages of one coalescing window, encoded once for every socket that may see all of them."""

    def __init__(self, messages: list[tuple[dict, list[bytes]]]) -> None:
        self.messages = messages
        self.patients = {head["patient"] for head, _ in messages}
        self._shared: str | None = None

    def text_for(self, visible: set[int]) -> str | None:
        """The frame as a socket that sees `visible` patients gets it; None when none of it is theirs."""
        if self.patients <= visible:
            if self._shared is None:
                self._shared = _frame([event for _, events in self.messages for event in events])
            return self._shared
        own = [event for head, events in self.messages if head["patient"] in visible for event in events]
        return _frame(own) if own else None


def _frame(events: list[bytes]) -> str:
    frame = events[0] if len(events) == 1 else b'{"type":"batch","events":[' + b",".join(events) + b"]}"
    return frame.decode()


class LiveHub:
    """This process's subscriptions: one per group, shared by every socket of the process that needs it.

    The hub coalesces: a group's messages that arrive within LIVE_COALESCE_MS of its last frame wait and go out
    together, as one frame built once for all the group's sockets (measured by bench/live.py: per-socket timers,
    decodes and joins were most of a web process's CPU with a thousand dashboards)."""

    _hubs: dict[asyncio.AbstractEventLoop, LiveHub] = {}

    @classmethod
    def for_this_loop(cls) -> LiveHub:
        loop = asyncio.get_running_loop()
        if loop not in cls._hubs:
            cls._hubs[loop] = cls()
        return cls._hubs[loop]

    def __init__(self) -> None:
        self.members: dict[str, set] = {}
        self.pending: dict[str, list[tuple[dict, list[bytes]]]] = {}
        self.flushes: dict[str, asyncio.TimerHandle] = {}
        self.last_flush: dict[str, float] = {}
        self.coalesce = settings.LIVE_COALESCE_MS / 1000
        self.subscriber = Subscriber(settings.LIVE_REDIS_URL, self.dispatch, cluster=settings.LIVE_REDIS_CLUSTER)

    async def join(self, group: str, socket) -> None:
        """`socket.deliver(frame: Frame)` is called for every coalesced frame of the group."""
        members = self.members.setdefault(group, set())
        members.add(socket)
        if len(members) == 1:
            await self.subscriber.add(channel_for(group))

    async def leave(self, group: str, socket) -> None:
        members = self.members.get(group, set())
        members.discard(socket)
        if not members and group in self.members:
            del self.members[group]
            await self.subscriber.remove(channel_for(group))

    def dispatch(self, data: bytes) -> None:
        header, *events = data.split(b"\n")
        head = orjson.loads(header)
        group = head["group"]
        if group not in self.members:
            return
        self.pending.setdefault(group, []).append((head, events))
        if group not in self.flushes:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self.last_flush.get(group, float("-inf")) + self.coalesce - loop.time())
            self.flushes[group] = loop.call_later(delay, self.flush, group)

    def flush(self, group: str) -> None:
        del self.flushes[group]
        messages = self.pending.pop(group, [])
        self.last_flush[group] = asyncio.get_running_loop().time()
        if messages:
            frame = Frame(messages)
            for socket in tuple(self.members.get(group, ())):
                socket.deliver(frame)


def push_readings(readings: list[StoredReading]) -> None:
    """Send each patient's readings as one message to the patient's team group: one query for the teams and one
    round trip to Redis each for the sequence numbers and the messages, however many patients (a group commit)."""
    if not readings:
        return
    pushed_at = dt.datetime.now(dt.UTC)  # just after commit: what bench/live.py measures latency from
    by_patient: dict[int, list[StoredReading]] = {}
    for r in readings:
        by_patient.setdefault(r.patient_id, []).append(r)
    with connection.cursor() as cursor:  # plain SQL: at 1,000 posts/s the ORM's compile was a tenth of this push
        cursor.execute(f"SELECT id, care_team_id FROM {Patient._meta.db_table} WHERE id = ANY(%s)", [list(by_patient)])
        teams = dict(cursor.fetchall())
    messages = []
    for patient_id, own in by_patient.items():
        if teams.get(patient_id) is None:
            continue
        events = [reading_event(reading_id=r.id, patient_id=r.patient_id, metric=r.metric, value=r.value,
                                measured_at=r.measured_at, at=pushed_at, quality=r.quality) for r in own]
        messages.append((team_group(teams[patient_id]), events, patient_id))
    _publish_many(messages)


def _publish_many(messages: list[tuple[str, list[dict[str, Any]], int]]) -> None:
    """Publish several messages: a group's sequence numbers are reserved together (INCRBY), then all are sent in
    one pipeline (one per shard on a cluster)."""
    wanted: dict[str, int] = {}
    for group, _, _ in messages:
        wanted[group] = wanted.get(group, 0) + 1
    last = _bus().reserve({_sequence_key(group): n for group, n in wanted.items()})
    next_seq = {group: last[_sequence_key(group)] - n + 1 for group, n in wanted.items()}
    out = []
    for group, events, patient_id in messages:
        header = orjson.dumps({"group": group, "seq": next_seq[group], "patient": patient_id})
        next_seq[group] += 1
        out.append((channel_for(group), b"\n".join([header, *(orjson.dumps(event) for event in events)])))
    _bus().publish(out)


def push_alert(alert, event: str) -> None:
    """Send one `alert` event to the team group of the alert's patient."""
    _publish_many([(team_group(alert.patient.care_team_id), [alert_event(alert, event)], alert.patient_id)])


@receiver(readings_stored, dispatch_uid="clinic.live.push_readings")
def _on_readings_stored(sender, readings: list[StoredReading], **kwargs) -> None:
    # Runs after commit; a failure here (Redis down) is logged by announce_readings and the
    # dashboards catch up from the database when they reconnect.
    push_readings(readings)


def push_status(patient: Patient) -> None:
    """Send one `patient` event with the patient's monitoring status to their team group."""
    _publish_many([(team_group(patient.care_team_id),
                    [{"type": "patient", "event": "status", "patient": patient.id, "status": patient.status}],
                    patient.id)])


@receiver(status_changed, dispatch_uid="clinic.live.push_status")
def _on_status_changed(sender, patient: Patient, **kwargs) -> None:
    def push() -> None:
        try:
            push_status(patient)
        except Exception as exc:  # Redis down: the next load of the dashboard shows the status
            log.warning("status of patient %s not pushed: %r", patient.id, exc)

    transaction.on_commit(push)


@receiver(patient_reviewed, dispatch_uid="clinic.live.push_review")
def _on_patient_reviewed(sender, review, **kwargs) -> None:
    """Who reviewed the patient and when, to the dashboards of the patient's care team."""
    event = {"type": "patient", "event": "reviewed", "patient": review.patient_id,
             "reviewed": {"by": review.by.username, "at": _iso(review.at)}}
    try:
        _publish_many([(team_group(review.patient.care_team_id), [event], review.patient_id)])
    except Exception as exc:  # Redis down: the dashboards show it on their next load
        log.warning("live push: review %s not pushed: %r", review.pk, exc)
