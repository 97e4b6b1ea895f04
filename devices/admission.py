"""Who may send readings: the one check every token-carrying edge (REST, FHIR, MQTT) makes before parsing.

A known, unrevoked credential of a device that is not retired, enrolled to a patient and within its rate
limit. The refusals are the device contract's (DESIGN.md): 401, 403, 409, 429.
"""

from __future__ import annotations

from django.conf import settings

from devices import rate_limit
from devices.credentials import AuthenticatedDevice, authenticate_device
from devices.models import Device


class Refused(Exception):
    """The device may not send readings now; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, field: str | None = "Authorization"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def token_from_header(value: str) -> str:
    """The token of an `Authorization: Device <token>` header."""
    scheme, _, token = value.partition(" ")
    if scheme != "Device" or not token.strip():
        raise Refused(401, "send the device credential as 'Authorization: Device <token>'")
    return token.strip()


def admit(token: str) -> AuthenticatedDevice:
    """The device behind this token, if it may send readings now; else Refused."""
    device = authenticate_device(token)
    if device is None:
        raise Refused(401, "unknown or revoked device credential")
    if device.status == Device.Status.RETIRED:
        raise Refused(403, "this device is retired and may not send readings; nothing was stored")
    if device.patient_id is None:
        raise Refused(409, "this device is not enrolled to a patient; nothing was stored")
    if not rate_limit.allow(device.device_id):
        raise Refused(429, f"rate limit of {settings.DEVICE_RATE_LIMIT_PER_MINUTE} requests a minute exceeded",
                      None)
    return device
