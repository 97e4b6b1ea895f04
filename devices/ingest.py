"""The one ingestion path. Every edge (REST, FHIR, MQTT, HL7 v2, manual entry)
parses its own format into plain reading dicts and hands them to `ingest()` (one
patient's readings) or `ingest_deliveries()` (many callers' at once: the device API's
group commit; `ingest()` is the one-delivery case of it), which validates, normalises
units, dedupes and inserts in one statement, then after commit announces the new
readings (`readings_stored`) for the live push and the alert engine.

A plain reading dict: {"id": device message id, "metric", "value", "unit",
"measured_at": ISO 8601 string with offset, or an aware datetime}.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from devices.signals import StoredReading, announce_readings
from rpm.metrics import DEVICE_KIND_METRICS, METRICS

log = logging.getLogger(__name__)

MAX_MESSAGE_ID_LENGTH = 100
CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str
    errors: dict[str, str] = field(default_factory=dict)
    reading_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        if self.reading_id is not None:
            out["id"] = self.reading_id
        return out


@dataclass(slots=True)
class IngestOutcome:
    results: list[ItemResult]
    stored: list[StoredReading]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.count(CREATED),
            "duplicates": self.count(DUPLICATE),
            "rejected": self.count(REJECTED),
            "results": [r.as_dict() for r in self.results],
        }


@dataclass(slots=True)
class _Valid:
    index: int
    message_id: str | None
    metric: str
    value: float
    unit: str
    measured_at: dt.datetime
    quality: str


def _parse_time(raw: Any) -> dt.datetime | str:
    """An aware datetime, or the reason it is not one."""
    if isinstance(raw, dt.datetime):
        when = raw
    elif isinstance(raw, str):
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            return "must be an ISO 8601 date-time with a UTC offset, e.g. 2026-11-22T10:00:00Z"
    else:
        return "must be an ISO 8601 date-time string"
    if when.tzinfo is None or when.utcoffset() is None:
        return "has no time zone; add Z or an offset such as +01:00"
    return when


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _storable(text: str) -> bool:
    """PostgreSQL text holds neither NUL nor lone surrogates (which a lenient JSON parser lets through)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def validate_reading(raw: Any, *, index: int, kind: str | None, now: dt.datetime,
                     require_id: bool) -> _Valid | dict[str, str]:
    """Check one plain reading dict; return it normalised to the canonical unit, or the errors by field."""
    if not isinstance(raw, dict):
        return {"reading": "must be a JSON object"}
    errors: dict[str, str] = {}

    message_id = raw.get("id")
    if message_id is None:
        if require_id:
            errors["id"] = "is required (the device's message id, used to make retries safe)"
    elif isinstance(message_id, bool) or not isinstance(message_id, (str, int)):
        errors["id"] = "must be a string"
    else:
        message_id = str(message_id)
        if not message_id or len(message_id) > MAX_MESSAGE_ID_LENGTH:
            errors["id"] = f"must be 1 to {MAX_MESSAGE_ID_LENGTH} characters"
        elif not _storable(message_id):
            errors["id"] = "must be printable text (no NUL characters or lone surrogates)"

    code = raw.get("metric")
    metric = METRICS.get(code) if isinstance(code, str) else None
    if code is None:
        errors["metric"] = "is required"
    elif metric is None:
        errors["metric"] = f"unknown metric {str(code)[:40]!r}; known: {', '.join(METRICS)}"
    elif kind is not None and code not in DEVICE_KIND_METRICS.get(kind, ()):
        errors["metric"] = f"a {kind} does not report {code}"

    value = raw.get("value")
    if value is None:
        errors["value"] = "is required"
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        errors["value"] = "must be a number"
    elif not _finite(value):
        errors["value"] = "must be a finite number"

    unit = raw.get("unit")
    canonical = None
    if unit is None:
        errors["unit"] = "is required"
    elif not isinstance(unit, str):
        errors["unit"] = "must be a string (a UCUM code)"
    elif metric is not None and "value" not in errors:
        canonical = metric.to_canonical(float(value), unit)
        if canonical is None:
            errors["unit"] = (f"{unit[:20]!r} is not accepted for {metric.code}; "
                              f"use one of {', '.join(metric.accepted_units())}")
        elif not math.isfinite(canonical) or not metric.possible(canonical):
            # beyond what any device reports: a broken device or a bad conversion, never a patient
            errors["value"] = (f"{value} {unit} is not a possible {metric.display.lower()} "
                               f"(a device reports {metric.limit_low:g}-{metric.limit_high:g} {metric.unit})")

    when = _parse_time(raw.get("measured_at")) if raw.get("measured_at") is not None else "is required"
    if isinstance(when, str):
        errors["measured_at"] = when
    elif when > now + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS):
        errors["measured_at"] = "is more than 5 minutes in the future; check the device clock"
    elif when < now - dt.timedelta(days=settings.INGEST_BACKFILL_DAYS):
        errors["measured_at"] = f"is older than the {settings.INGEST_BACKFILL_DAYS}-day backfill window"

    if errors:
        return errors
    return _Valid(index, message_id, metric.code, canonical, metric.unit, when.astimezone(dt.UTC),
                  metric.quality(canonical))


# One statement, so one round trip and atomic on its own: the readings of every delivery, and the devices'
# last-seen times, throttled so a device streaming at 1 Hz does not rewrite its row every second (rows another
# transaction holds are skipped rather than waited for: the next reading touches them). Inside a caller's
# transaction it simply joins it. Arrays through UNNEST keep it one statement whatever the batch size.
# Idempotency: the readings table is partitioned by month (a unique index there would have to include
# measured_at), so each (device, message id) first claims its row in devices_readingmessage, and only the
# readings whose claim went in are stored. Rows go in sorted by (device, message id), so two concurrent flushes
# take that key's locks in one order; a second flush with the same key waits for the first and then skips it.
_TOUCH_DEVICES = """
touched AS (
    UPDATE devices_device SET last_seen_at = %s
    WHERE id IN (SELECT id FROM devices_device WHERE id = ANY(%s) AND (last_seen_at IS NULL OR last_seen_at < %s)
                 ORDER BY id FOR UPDATE SKIP LOCKED)
),
"""
_INSERT = """
x AS MATERIALIZED (
    SELECT *, nextval('devices_reading_id_seq') AS id
    FROM UNNEST(%s::bigint[], %s::bigint[], %s::text[], %s::float8[], %s::text[], %s::timestamptz[], %s::text[],
                %s::text[], %s::text[]) WITH ORDINALITY AS x(p, d, m, v, u, t, s, i, q, n)
),
claimed AS (
    INSERT INTO devices_readingmessage (device_id, message_id, reading_id, measured_at)
    SELECT d, i, id, t FROM x WHERE d IS NOT NULL AND i IS NOT NULL ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING reading_id
)
INSERT INTO devices_reading
    (id, patient_id, device_id, metric, value, unit, measured_at, received_at, source, device_message_id, quality)
SELECT id, p, d, m, v, u, t, %s, s, i, q FROM x
WHERE d IS NULL OR i IS NULL OR id IN (SELECT reading_id FROM claimed)
RETURNING id, device_id, device_message_id
"""
LAST_SEEN_EVERY = dt.timedelta(seconds=30)


@dataclass(slots=True)
class Delivery:
    """Readings that one caller (a device's request, a FHIR bundle, a nurse's entry) brings for one patient."""

    patient_id: int
    items: list[Any]
    source: str
    device_id: int | None = None
    device_kind: str | None = None


def ingest(*, patient_id: int, items: list[Any], source: str, device_id: int | None = None,
           device_kind: str | None = None, now: dt.datetime | None = None) -> IngestOutcome:
    """Validate, normalise and store readings for one patient; announce the new ones after commit.

    Items already stored under the same device message id are reported as duplicates;
    invalid items are rejected with their errors and do not stop the valid ones.
    """
    return ingest_deliveries([Delivery(patient_id, items, source, device_id, device_kind)], now=now)[0]


def ingest_deliveries(deliveries: list[Delivery], *, now: dt.datetime | None = None) -> list[IngestOutcome]:
    """`ingest()` for many deliveries at once (the device API's group commit): one statement stores them all,
    and one announcement after commit carries every new reading. An outcome per delivery, in order; a message id
    that two deliveries of one device both carry is stored once, for the first, and a duplicate for the other."""
    now = now or dt.datetime.now(dt.UTC)
    outcomes: list[IngestOutcome] = []
    rows: list[tuple[int, Delivery, ItemResult, _Valid]] = []
    claimed: set[tuple[int, str]] = set()
    for delivery in deliveries:
        results: list[ItemResult] = []
        seen_ids: set[str] = set()
        for index, raw in enumerate(delivery.items):
            checked = validate_reading(raw, index=index, kind=delivery.device_kind, now=now,
                                       require_id=delivery.device_id is not None)
            if isinstance(checked, dict):
                results.append(ItemResult(index, REJECTED, checked))
                continue
            if checked.message_id is not None:
                if checked.message_id in seen_ids:
                    results.append(ItemResult(index, REJECTED, {"id": "appears more than once in this batch"}))
                    continue
                seen_ids.add(checked.message_id)
            item = ItemResult(index, CREATED)
            results.append(item)
            if delivery.device_id is not None and checked.message_id is not None:
                key = (delivery.device_id, checked.message_id)
                if key in claimed:  # sent again while its first copy is being stored: as if it came just after
                    item.status = DUPLICATE
                    continue
                claimed.add(key)
            rows.append((len(rows), delivery, item, checked))
        outcomes.append(IngestOutcome(results, []))
    if not rows:
        return outcomes

    rows.sort(key=lambda r: (r[1].device_id is None, r[1].device_id or 0, r[3].message_id or "", r[0]))
    params: list[Any] = [
        [d.patient_id for _, d, _, _ in rows], [d.device_id for _, d, _, _ in rows],
        [v.metric for *_, v in rows], [v.value for *_, v in rows], [v.unit for *_, v in rows],
        [v.measured_at for *_, v in rows], [d.source for _, d, _, _ in rows], [v.message_id for *_, v in rows],
        [v.quality for *_, v in rows], now,
    ]
    sql = "WITH" + _INSERT
    device_ids = sorted({d.device_id for d in deliveries if d.device_id is not None})
    if device_ids:
        sql = "WITH" + _TOUCH_DEVICES + _INSERT
        params = [now, device_ids, now - LAST_SEEN_EVERY, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()

    by_key = {(device_id, message_id): reading_id for reading_id, device_id, message_id in returned
              if device_id is not None and message_id is not None}
    # rows that cannot conflict all come back; their ids were drawn in the order they went in
    unkeyed = iter(sorted(reading_id for reading_id, device_id, message_id in returned
                          if device_id is None or message_id is None))
    by_delivery = {id(d): o for d, o in zip(deliveries, outcomes, strict=True)}
    ids: dict[int, int | None] = {}
    for ordinal, delivery, _, checked in rows:
        keyed = delivery.device_id is not None and checked.message_id is not None
        ids[ordinal] = by_key.get((delivery.device_id, checked.message_id)) if keyed else next(unkeyed)
    stored: list[StoredReading] = []
    for ordinal, delivery, item, checked in sorted(rows, key=lambda r: r[0]):  # back in the order they came
        reading_id = ids[ordinal]
        if reading_id is None:
            item.status = DUPLICATE
            continue
        item.reading_id = reading_id
        reading = StoredReading(id=reading_id, patient_id=delivery.patient_id, device_id=delivery.device_id,
                                metric=checked.metric, value=checked.value, measured_at=checked.measured_at,
                                quality=checked.quality)
        by_delivery[id(delivery)].stored.append(reading)
        stored.append(reading)
    if stored:
        # Immediately if the statement above committed on its own, else when the caller's transaction commits.
        transaction.on_commit(lambda: announce_readings(stored))
    return outcomes
