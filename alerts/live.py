"""Pushes to browsers over the channel layer (the live dashboard owns this module).

Interface used by other modules; call only after commit:
    push_readings(readings: list[StoredReading]) -> None
    push_alert(alert: Alert, event: str) -> None   # event: "opened", "updated", "acknowledged", "resolved", "escalated"
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def push_readings(readings) -> None:
    """Send one `reading` event per patient group. Filled in by the live dashboard."""


def push_alert(alert, event: str) -> None:
    """Send one `alert` event to the alert's patient group. Filled in by the live dashboard."""
