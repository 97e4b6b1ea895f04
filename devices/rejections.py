"""Keeps the readings a device got refused, for the admin's device page."""

from __future__ import annotations

from typing import Any

from devices.ingest import REJECTED, ItemResult
from devices.models import IngestRejection

KEEP_PER_REQUEST = 20  # a batch of 5,000 bad readings does not need 5,000 rows to diagnose


def record_rejections(device_id: int, items: list[Any], results: list[ItemResult]) -> None:
    rows = [
        IngestRejection(device_id=device_id, errors=r.errors,
                        device_message_id=str(items[r.index].get("id", ""))[:100] if isinstance(items[r.index], dict) else "")
        for r in results if r.status == REJECTED
    ][:KEEP_PER_REQUEST]
    if rows:
        IngestRejection.objects.bulk_create(rows)
