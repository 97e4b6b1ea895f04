"""Keeps the readings a device got refused, for the admin's device page."""

from __future__ import annotations

from typing import Any

from devices.ingest import REJECTED, ItemResult
from devices.models import IngestRejection

KEEP_PER_REQUEST = 20  # a batch of 5,000 bad readings does not need 5,000 rows to diagnose


def _message_id(raw: Any) -> str:
    """The id the device gave, as far as it can be stored (it may be the very thing that was wrong)."""
    message_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(message_id, bool) or not isinstance(message_id, (str, int)):
        return ""
    text = str(message_id)[:100].replace("\x00", "")
    return text.encode(errors="replace").decode()


def record_rejections(posts: list[tuple[int, list[Any], list[ItemResult]]]) -> None:
    """Keep the refused readings of these posts, (device id, items, results) each, in one insert."""
    rows = []
    for device_id, items, results in posts:
        rows += [
            IngestRejection(device_id=device_id, errors=r.errors, device_message_id=_message_id(items[r.index]))
            for r in results if r.status == REJECTED
        ][:KEEP_PER_REQUEST]
    if rows:
        IngestRejection.objects.bulk_create(rows)
