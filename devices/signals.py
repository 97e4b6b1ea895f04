"""After-commit announcement of newly stored readings.

Receivers (the live push, the alert engine) connect to `readings_stored`. A failing
receiver (Redis down, say) is logged and never affects the device's answer: the
readings are already committed, and the alert sweep evaluates what was missed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.dispatch import Signal

log = logging.getLogger(__name__)

# sent with readings=list[StoredReading] once per committed ingest: one ingest() call, or one group commit of the
# device API, whose readings may be several patients' (each patient's in the order they came)
readings_stored = Signal()


@dataclass(frozen=True, slots=True)
class StoredReading:
    id: int
    patient_id: int
    device_id: int | None
    metric: str
    value: float
    measured_at: dt.datetime
    quality: str = "ok"


_held = threading.local()


@contextmanager
def announcements_held() -> Iterator[list[StoredReading]]:
    """Within this block (on this thread) announce_readings collects the readings instead of sending them; the
    caller announces them when it chooses. The device API's group commit answers its devices first: the
    announcement is an enqueue and a publish that no device waits for."""
    held: list[StoredReading] = []
    _held.readings = held
    try:
        yield held
    finally:
        _held.readings = None


def announce_readings(readings: list[StoredReading]) -> None:
    if not readings:
        return
    held = getattr(_held, "readings", None)
    if held is not None:
        held.extend(readings)
        return
    for receiver, outcome in readings_stored.send_robust(sender=StoredReading, readings=readings):
        if isinstance(outcome, Exception):
            log.warning("readings_stored receiver %s failed: %r", getattr(receiver, "__qualname__", receiver), outcome)
