"""One MQTT message from a device: the REST body's JSON (one reading, or {"readings": [...]}, with the optional
telemetry keys) plus the device's `token`, published to `<prefix>/devices/<serial>/readings`. The answer, published
to `<prefix>/devices/<serial>/results`, is the REST batch answer with a `status` (the HTTP status the same request
would get) and the message's `ref`, if it gave one, to match answers to messages.

The token travels in the payload, so any broker will do (no broker plugin): the bridge checks it, and that it is
the credential of the device the topic names, on every message. The broker's own users and ACLs (a device may
publish only to its own readings topic and read only its own results) are the operator's to set.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.conf import settings
from django.utils import timezone

from devices.admission import Refused, admit
from devices.ingest import ingest
from devices.models import Reading
from devices.rejections import record_rejections
from devices.telemetry import record_telemetry, telemetry_in
from rpm.errors import error_body


def _error(status: int, message: str, field: str | None, ref: Any = None) -> dict:
    body = {"status": status, **error_body([(field, message)])}
    if ref is not None:
        body["ref"] = ref
    return body


def _parse(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as strict_error:
        try:
            return json.loads(payload)  # NaN and the like, so that the answer can name the field
        except (ValueError, RecursionError):
            raise strict_error from None


def handle(*, serial: str, payload: bytes) -> dict:
    """Authenticate, parse and ingest one message; the answer to publish."""
    if len(payload) > settings.INGEST_MAX_BODY_BYTES:
        return _error(413, f"message larger than {settings.INGEST_MAX_BODY_BYTES} bytes; send smaller batches",
                      "payload")
    try:
        body = _parse(payload)
    except orjson.JSONDecodeError as exc:
        return _error(400, f"payload is not valid JSON: {exc}", "payload")
    if not isinstance(body, dict):
        return _error(400, 'payload must be one reading object or {"readings": [...]}, with "token"', "payload")
    ref = body.get("ref")
    token = body.get("token")
    if not isinstance(token, str) or not token:
        return _error(401, "send the device credential in the payload's \"token\"", "token", ref)
    try:
        device = admit(token)
    except Refused as refused:
        return _error(refused.status, refused.message, "token" if refused.field else None, ref)
    if device.serial != serial:
        return _error(403, f"this token is not the credential of device {serial[:100]}", "token", ref)
    telemetry, errors = telemetry_in(body)
    if errors:
        field, message = next(iter(errors.items()))
        return _error(400, f"{message}; nothing was stored", field, ref)
    items = body.get("readings", [body])
    if not isinstance(items, list):
        return _error(400, "'readings' must be a list of reading objects", "readings", ref)
    if len(items) > settings.INGEST_MAX_BATCH:
        return _error(413, f"a batch holds at most {settings.INGEST_MAX_BATCH} readings; got {len(items)}",
                      "readings", ref)
    if not items and not telemetry:
        return _error(400, "'readings' is empty", "readings", ref)
    record_telemetry(device_id=device.device_id, telemetry=telemetry, at=timezone.now())
    outcome = ingest(patient_id=device.patient_id, items=items, source=Reading.Source.MQTT,
                     device_id=device.device_id, device_kind=device.kind)
    record_rejections([(device.device_id, items, outcome.results)])
    answer = {"status": 200, **outcome.summary()}
    if ref is not None:
        answer["ref"] = ref
    return answer
