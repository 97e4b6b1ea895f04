"""The device hot path: POST /api/v1/readings/ with `Authorization: Device <token>`.

A plain view with orjson on purpose: a DRF serializer here costs 3x the throughput.
Contract in DESIGN.md; all validation is in devices.ingest. Request errors (credential, size, rate) have the
API's one body shape (rpm.errors), plus the `error` and `field` keys this endpoint answered before it, for
device firmware that reads them; a rejected reading answers like a batch item, its `errors` by field.
Optional `battery`, `firmware` and `signal_strength` beside the reading or the batch are the device's telemetry
(devices.telemetry); a batch may carry telemetry alone (`"readings": []`).
"""

from __future__ import annotations

import json

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from devices.admission import Refused, admit, token_from_header
from devices.ingest import CREATED, DUPLICATE, ingest
from devices.models import Reading
from devices.rejections import record_rejections
from devices.telemetry import record_telemetry, telemetry_in
from rpm.errors import error_body


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def _error(status: int, message: str, field: str | None = None) -> HttpResponse:
    body = {**error_body([(field, message)]), "error": message}
    if field:
        body["field"] = field
    return _json(status, body)


def _parse(raw: bytes) -> object:
    """The body as JSON. Strict and fast first; a body that is JSON but for NaN, Infinity or an out-of-range
    number (what many device stacks emit) is parsed leniently so the answer can name the offending field."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as strict_error:
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise strict_error from None


@csrf_exempt
def post_readings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "use POST to send readings")
    try:
        device = admit(token_from_header(request.headers.get("Authorization", "")))
    except Refused as refused:
        return _error(refused.status, refused.message, refused.field)

    too_big = f"body larger than {settings.INGEST_MAX_BODY_BYTES} bytes; send smaller batches"
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "Content-Length is not a number", "Content-Length")
    if declared > settings.INGEST_MAX_BODY_BYTES:
        return _error(413, too_big, "body")
    try:
        body = _parse(request.body)
    except RequestDataTooBig:
        return _error(413, too_big, "body")
    except orjson.JSONDecodeError as exc:
        return _error(400, f"body is not valid JSON: {exc}", "body")

    if not isinstance(body, dict):
        return _error(400, "body must be one reading object or {\"readings\": [...]}", "body")
    telemetry, errors = telemetry_in(body)
    if errors:
        field, message = next(iter(errors.items()))
        return _error(400, f"{message}; nothing was stored", field)

    if "readings" in body:
        items = body["readings"]
        if not isinstance(items, list):
            return _error(400, "'readings' must be a list of reading objects", "readings")
        if not items and not telemetry:
            return _error(400, "'readings' is empty", "readings")
        if len(items) > settings.INGEST_MAX_BATCH:
            return _error(413, f"a batch holds at most {settings.INGEST_MAX_BATCH} readings; got {len(items)}",
                          "readings")
        record_telemetry(device_id=device.device_id, telemetry=telemetry, at=timezone.now())
        outcome = ingest(patient_id=device.patient_id, items=items, source=Reading.Source.DEVICE_API,
                         device_id=device.device_id, device_kind=device.kind)
        record_rejections(device.device_id, items, outcome.results)
        return _json(200, outcome.summary())

    record_telemetry(device_id=device.device_id, telemetry=telemetry, at=timezone.now())
    outcome = ingest(patient_id=device.patient_id, items=[body], source=Reading.Source.DEVICE_API,
                     device_id=device.device_id, device_kind=device.kind)
    record_rejections(device.device_id, [body], outcome.results)
    result = outcome.results[0]
    if result.status == CREATED:
        return _json(201, {"status": CREATED, "id": result.reading_id})
    if result.status == DUPLICATE:
        return _json(200, {"status": DUPLICATE})
    # a rejected reading answers as a batch item does: `errors` by field (DESIGN.md device contract)
    return _json(400, {"error": "reading rejected", "status": "rejected", "errors": result.errors})
