"""Reads of the audit trail for the admins' audit log page."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from patients.models import Patient
from rpm.models import AuditEvent


def audit_events(*, actor: str | None = None, action: str | None = None, verb: str | None = None,
                 patient_mrn: str | None = None, patient_id: int | None = None, start: dt.date | None = None,
                 end: dt.date | None = None, tz: dt.tzinfo = dt.UTC) -> QuerySet[AuditEvent]:
    """Audit rows newest first. `start` and `end` are whole days in `tz`, both included;
    `verb` matches a prefix so 'device.' finds every device action."""
    events = AuditEvent.objects.select_related("actor", "patient")
    if actor:
        events = events.filter(actor__username__iexact=actor.strip())
    if action:
        events = events.filter(action=action)
    if verb:
        events = events.filter(verb__startswith=verb.strip())
    if patient_mrn:
        events = events.filter(patient__mrn__iexact=patient_mrn.strip())
    if patient_id:
        events = events.filter(patient_id=patient_id)
    if start:
        events = events.filter(at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end:
        events = events.filter(at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return events.order_by("-at", "-id")


def known_verbs() -> list[str]:
    return list(AuditEvent.objects.order_by("verb").values_list("verb", flat=True).distinct())


def patient_id_for_mrn(mrn: str) -> int | None:
    return Patient.objects.filter(mrn__iexact=mrn.strip()).values_list("id", flat=True).first()


def mrn_of(patient_id: int) -> str | None:
    return Patient.objects.filter(pk=patient_id).values_list("mrn", flat=True).first()
