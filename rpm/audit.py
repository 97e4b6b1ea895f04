"""One helper that every path calls to record access to or changes of patient data.

The trail is append-only (a PostgreSQL trigger refuses UPDATE and DELETE, rpm migration 0003) and hash-chained
(rpm.audit_chain). Where the request came from (address and user agent) is taken from the request being served:
`rpm.middleware.AuditOriginMiddleware` for pages and the API, the dashboard consumer for its WebSocket.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from rpm.audit_chain import CHAIN_LOCK, CHAINED_FIELDS, GENESIS, row_hash
from rpm.models import AuditEvent

# (ip, user agent) of the request being served; (None, "") outside one (tasks, commands)
_origin: contextvars.ContextVar[tuple[str | None, str]] = contextvars.ContextVar("audit_origin", default=(None, ""))
USER_AGENT_MAX = 255


def set_origin(*, ip: str | None, user_agent: str) -> contextvars.Token:
    return _origin.set((ip or None, (user_agent or "")[:USER_AGENT_MAX]))


def reset_origin(token: contextvars.Token) -> None:
    _origin.reset(token)


def record(*, actor, action: str, verb: str, patient=None, patient_id: int | None = None,
           target: models.Model | None = None, detail: dict[str, Any] | None = None,
           at: dt.datetime | None = None) -> AuditEvent:
    """Write one audit row, chained to the last one. Pass `target` for the object acted on (a device, an alert...)."""
    (event,) = _append([_event(actor=actor, action=action, verb=verb,
                               patient_id=patient.pk if patient is not None else patient_id, target=target,
                               detail=detail, at=at)])
    return event


def record_many(*, actor, action: str, verb: str, patient_ids: Iterable[int],
                detail: dict[str, Any] | None = None) -> list[AuditEvent]:
    """One row per patient for one read of many (a census, an alert list), so a question about one patient
    ("who saw this patient's data this month") finds it; written in one statement."""
    at = timezone.now()
    return _append([_event(actor=actor, action=action, verb=verb, patient_id=pid, detail=detail, at=at)
                    for pid in sorted(set(patient_ids))])


def _event(*, actor, action: str, verb: str, patient_id: int | None, target: models.Model | None = None,
           detail: dict[str, Any] | None, at: dt.datetime | None) -> AuditEvent:
    ip, user_agent = _origin.get()
    return AuditEvent(
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        verb=verb,
        patient_id=patient_id,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        # as PostgreSQL's jsonb will give it back, so the verifier hashes what was hashed here
        detail=json.loads(json.dumps(detail or {})),
        ip=ip,
        user_agent=user_agent,
    )


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert. Writers take turns on an advisory lock held until their transaction ends, so each row
    follows the last committed one and the ids keep the chain's order."""
    if not events:
        return []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        for event in events:
            event.prev_hash = prev_hash
            event.hash = prev_hash = row_hash(prev_hash, {name: getattr(event, name) for name in CHAINED_FIELDS})
        if len(events) == 1:
            events[0].save(force_insert=True)
            return events
        return AuditEvent.objects.bulk_create(events)
