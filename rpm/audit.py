"""One helper that every path calls to record access to or changes of patient data."""

from __future__ import annotations

from typing import Any

from django.db import models

from rpm.models import AuditEvent


def record(*, actor, action: str, verb: str, patient=None, target: models.Model | None = None,
           detail: dict[str, Any] | None = None) -> AuditEvent:
    """Write one audit row. Pass `target` for the object acted on (a device, an alert...)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        verb=verb,
        patient=patient,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        detail=detail or {},
    )
