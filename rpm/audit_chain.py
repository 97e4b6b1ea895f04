"""The audit trail's hash chain: each row's hash covers its own content and the previous row's hash, so a row
changed, removed or slipped in afterwards breaks the chain from there on (`manage.py verify_audit` finds it).

Pure functions over plain values: the audit service, the migration that chained the rows written before the
chain existed, and the verifier all hash the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first row
# pg_advisory_xact_lock key: one writer at a time reads the last hash and appends (held until its commit)
CHAIN_LOCK = 0x4155_4449_54  # "AUDIT"
CHAINED_FIELDS = ("at", "actor_id", "action", "verb", "patient_id", "object_type", "object_id", "detail", "ip",
                  "user_agent")


def canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and this row's chained fields, in a canonical JSON form."""
    content = json.dumps({name: canonical(fields[name]) for name in CHAINED_FIELDS}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def first_break(rows: Iterable[dict[str, Any]]) -> tuple[int, str] | None:
    """(id, why) of the first row, in id order, whose chain does not hold; None when every row does."""
    prev_hash, prev_id = GENESIS, None
    for row in rows:
        if row["prev_hash"] != prev_hash:
            after = f"row #{prev_id}" if prev_id is not None else "the start of the trail"
            return row["id"], f"does not follow {after} (a row between them was removed, or it was moved)"
        if row_hash(prev_hash, row) != row["hash"]:
            return row["id"], "its content does not match its hash (changed after it was written)"
        prev_hash, prev_id = row["hash"], row["id"]
    return None
