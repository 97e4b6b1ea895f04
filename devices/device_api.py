"""The device hot path: POST /api/v1/readings/ with `Authorization: Device <token>`.

Plain code with orjson on purpose: a DRF serializer here costs 3x the throughput. `answer_posts` answers any
number of posts at once (devices.device_asgi gathers concurrent ones into one commit); the Django view below
sends it one. Contract in DESIGN.md; all validation is in devices.ingest. Request errors (credential, size, rate)
have the API's one body shape (rpm.errors), plus the `error` and `field` keys this endpoint answered before it,
for device firmware that reads them; a rejected reading answers like a batch item, its `errors` by field.
Optional `battery`, `firmware` and `signal_strength` beside the reading or the batch are the device's telemetry
(devices.telemetry); a batch may carry telemetry alone (`"readings": []`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from devices import rate_limit
from devices.credentials import authenticate_devices
from devices.ingest import CREATED, DUPLICATE, Delivery, IngestOutcome, ingest_deliveries
from devices.models import Device, Reading
from devices.rejections import record_rejections
from devices.telemetry import Telemetry, record_telemetry, telemetry_in
from rpm.errors import error_body

log = logging.getLogger(__name__)


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


@dataclass(slots=True)
class DevicePost:
    """One POST to /api/v1/readings/ as it arrived: its Authorization header, its declared Content-Length and its
    body (None when it is larger than INGEST_MAX_BODY_BYTES and was not read)."""

    authorization: str
    body: bytes | None
    content_length: str | None = None


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes


def _answer(status: int, body: dict) -> Answer:
    return Answer(status, orjson.dumps(body))


def refusal(status: int, message: str, field: str | None = None) -> Answer:
    body = {**error_body([(field, message)]), "error": message}
    if field:
        body["field"] = field
    return _answer(status, body)


UNAVAILABLE = "the readings could not be stored just now and nothing was stored; send them again"


def answer_posts(posts: list[DevicePost]) -> list[Answer]:
    """Answer many device posts together (the lean ASGI path's group commit; the Django view sends one): one
    credential query, one rate-limit round trip, one statement and one commit for every post's readings, one
    announcement after it. Each answer says what happened to that post alone, exactly as if it came by itself."""
    answers: list[Answer | None] = [None] * len(posts)
    tokens: dict[int, str] = {}
    for n, post in enumerate(posts):
        scheme, _, token = post.authorization.partition(" ")
        if scheme != "Device" or not token.strip():
            answers[n] = refusal(401, "send the device credential as 'Authorization: Device <token>'",
                                  "Authorization")
        else:
            tokens[n] = token.strip()
    try:
        devices = dict(zip(tokens, authenticate_devices(list(tokens.values())), strict=True))
    except DatabaseError as exc:
        log.warning("device credentials could not be checked: %r", exc)
        return [a or refusal(503, UNAVAILABLE) for a in answers]
    for n, device in devices.items():
        if device is None:
            answers[n] = refusal(401, "unknown or revoked device credential", "Authorization")
        elif device.status == Device.Status.RETIRED:
            answers[n] = refusal(403, "this device is retired and may not send readings; nothing was stored",
                                  "Authorization")
        elif device.patient_id is None:
            answers[n] = refusal(409, "this device is not enrolled to a patient; nothing was stored",
                                  "Authorization")
    admitted = [n for n in devices if answers[n] is None]
    limit = settings.DEVICE_RATE_LIMIT_PER_MINUTE
    for n, allowed in zip(admitted, rate_limit.allow_each([devices[n].device_id for n in admitted]), strict=True):
        if not allowed:
            answers[n] = refusal(429, f"rate limit of {limit} requests a minute exceeded")

    deliveries: dict[int, tuple[Delivery, bool]] = {}
    telemetry: dict[int, Telemetry] = {}
    for n in admitted:
        if answers[n] is None:
            items = _items(posts[n])
            if isinstance(items, Answer):
                answers[n] = items
            else:
                device = devices[n]
                deliveries[n] = (Delivery(device.patient_id, items[0], Reading.Source.DEVICE_API, device.device_id,
                                          device.kind), items[1])
                telemetry[device.device_id] = items[2]
    if deliveries:
        try:
            with transaction.atomic():
                outcomes = ingest_deliveries([d for d, _ in deliveries.values()])
                record_rejections([(d.device_id, d.items, o.results)
                                   for (d, _), o in zip(deliveries.values(), outcomes, strict=True)])
                now = timezone.now()
                for device_id, reported in telemetry.items():
                    record_telemetry(device_id=device_id, telemetry=reported, at=now)
        except DatabaseError as exc:
            log.warning("%d device posts not stored: %r", len(deliveries), exc)
            outcomes = None
        for (n, (_, batch)), outcome in zip(deliveries.items(), outcomes or [None] * len(deliveries), strict=True):
            answers[n] = refusal(503, UNAVAILABLE) if outcome is None else _outcome(outcome, batch=batch)
    return answers


def _items(post: DevicePost) -> tuple[list, bool, Telemetry] | Answer:
    """The post's reading dicts, whether it was a batch and its telemetry, or the answer refusing it."""
    too_big = f"body larger than {settings.INGEST_MAX_BODY_BYTES} bytes; send smaller batches"
    try:
        declared = int(post.content_length or 0)
    except ValueError:
        return refusal(400, "Content-Length is not a number", "Content-Length")
    if declared > settings.INGEST_MAX_BODY_BYTES or post.body is None:
        return refusal(413, too_big, "body")
    try:
        body = _parse(post.body)
    except orjson.JSONDecodeError as exc:
        return refusal(400, f"body is not valid JSON: {exc}", "body")
    if not isinstance(body, dict):
        return refusal(400, "body must be one reading object or {\"readings\": [...]}", "body")
    reported, errors = telemetry_in(body)
    if errors:
        field, message = next(iter(errors.items()))
        return refusal(400, f"{message}; nothing was stored", field)
    if "readings" in body:
        items = body["readings"]
        if not isinstance(items, list):
            return refusal(400, "'readings' must be a list of reading objects", "readings")
        if not items and not reported:
            return refusal(400, "'readings' is empty", "readings")
        if len(items) > settings.INGEST_MAX_BATCH:
            return refusal(413, f"a batch holds at most {settings.INGEST_MAX_BATCH} readings; got {len(items)}",
                            "readings")
        return items, True, reported
    return [body], False, reported


def _outcome(outcome: IngestOutcome, *, batch: bool) -> Answer:
    if batch:
        return _answer(200, outcome.summary())
    result = outcome.results[0]
    if result.status == CREATED:
        return _answer(201, {"status": CREATED, "id": result.reading_id})
    if result.status == DUPLICATE:
        return _answer(200, {"status": DUPLICATE})
    # a rejected reading answers as a batch item does: `errors` by field (DESIGN.md device contract)
    return _answer(400, {"error": "reading rejected", "status": "rejected", "errors": result.errors})


@csrf_exempt
def post_readings(request: HttpRequest) -> HttpResponse:
    """The endpoint through Django (the test client, `runserver`); config.asgi serves it through
    devices.device_asgi, which answers the same posts in groups."""
    if request.method != "POST":
        answer = refusal(405, "use POST to send readings")
        return HttpResponse(answer.body, status=answer.status, content_type="application/json")
    declared = request.META.get("CONTENT_LENGTH")
    try:
        too_big = int(declared or 0) > settings.INGEST_MAX_BODY_BYTES
    except ValueError:
        too_big = False  # answered by answer_posts, after the credential, as before
    try:
        body = None if too_big else request.body
    except RequestDataTooBig:
        body = None
    (answer,) = answer_posts([DevicePost(request.headers.get("Authorization", ""), body, declared)])
    return HttpResponse(answer.body, status=answer.status, content_type="application/json")
