"""Device telemetry: battery (%), firmware version and signal strength (%) that a device reports beside its
readings, on every way in. Stored on the Device with the time it was reported; the device-health rules read
`Device.battery_level` (alerts/kinds/device_health.py), the device page shows all three.

In a JSON body (REST batch or single reading, MQTT payload) they are optional top-level keys:
`{"readings": [...], "battery": 84, "firmware": "2.4.1", "signal_strength": 70}`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db import connection

FIELDS = ("battery", "firmware", "signal_strength")
MAX_FIRMWARE_LENGTH = 50


@dataclass(frozen=True, slots=True)
class Telemetry:
    battery: int | None = None
    firmware: str | None = None
    signal_strength: int | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.battery, self.firmware, self.signal_strength))


def _percent(value: Any) -> int | str:
    """A whole percentage (half up), or the reason it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "must be a number (percent, 0 to 100)"
    if not 0 <= value <= 100:
        return f"must be between 0 and 100 (percent); got {value:g}"
    return int(math.floor(value + 0.5))


def parse_telemetry(*, battery: Any = None, firmware: Any = None,
                    signal_strength: Any = None) -> tuple[Telemetry, dict[str, str]]:
    """Telemetry from raw values (None: not reported), and the errors by field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in (("battery", battery), ("signal_strength", signal_strength)):
        if raw is not None:
            checked = _percent(raw)
            if isinstance(checked, str):
                errors[name] = checked
            else:
                values[name] = checked
    if firmware is not None:
        if not isinstance(firmware, str) or not firmware.strip():
            errors["firmware"] = "must be a non-empty string (the firmware version)"
        elif len(firmware.strip()) > MAX_FIRMWARE_LENGTH or not firmware.isprintable():
            errors["firmware"] = f"must be printable text of at most {MAX_FIRMWARE_LENGTH} characters"
        else:
            values["firmware"] = firmware.strip()
    return Telemetry(**values), errors


def telemetry_in(body: dict) -> tuple[Telemetry, dict[str, str]]:
    """The telemetry keys of a JSON body (a REST or MQTT message)."""
    return parse_telemetry(**{name: body.get(name) for name in FIELDS})


def record_telemetry(*, device_id: int, telemetry: Telemetry, at: dt.datetime) -> None:
    """Store what the device reported, each value only when it was reported, with the time."""
    if not telemetry:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE devices_device SET battery_level = COALESCE(%s, battery_level), "
            "firmware = COALESCE(%s, firmware), signal_strength = COALESCE(%s, signal_strength), telemetry_at = %s "
            "WHERE id = %s",
            [telemetry.battery, telemetry.firmware, telemetry.signal_strength, at, device_id])
