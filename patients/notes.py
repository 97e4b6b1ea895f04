"""Clinical notes and care-management time: writes and the monthly totals RPM programs track."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from patients.models import CareTimeEntry, ClinicalNote, Patient
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent

MAX_MINUTES = 600


class NoteError(InvalidInput):
    """A note that cannot be written; `errors` maps each input at fault to why."""


def add_clinical_note(*, patient: Patient, author, text: str, minutes: int | str | None,
                      now: dt.datetime | None = None) -> ClinicalNote:
    """Write a note and/or log minutes spent; at least one of the two is required."""
    errors: dict[str, str] = {}
    text = (text or "").strip()
    try:
        minutes = int(minutes or 0)
    except (TypeError, ValueError):
        errors["minutes"] = "must be a whole number of minutes"
        minutes = 0
    if "minutes" not in errors and not 0 <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"must be between 0 and {MAX_MINUTES}"
    if not errors and not text and minutes == 0:
        errors["text"] = "write a note or log the minutes spent"
    if errors:
        raise NoteError(errors)
    with transaction.atomic():
        note = ClinicalNote.objects.create(patient=patient, author=author, text=text, minutes=minutes,
                                           written_at=now or dt.datetime.now(dt.UTC))
        if minutes:  # the care-time ledger is the one record of time that the billing report counts
            CareTimeEntry.objects.create(patient=patient, clinician=author, started_at=note.written_at,
                                         minutes=minutes, activity=CareTimeEntry.Activity.OTHER, note=text[:500])
        audit.record(actor=author, action=AuditEvent.Action.CREATE, verb="patient.note", patient=patient,
                     target=note, detail={"minutes": minutes})
    return note


def notes_for(*, patient: Patient, limit: int = 50) -> list[ClinicalNote]:
    return list(patient.clinical_notes.select_related("author")[:limit])


def minutes_by_month(*, patient: Patient) -> list[dict]:
    """Care-management minutes per calendar month in the patient's zone, newest month first."""
    tz = patient.tz
    totals: dict[tuple[int, int], int] = {}
    for written_at, minutes in patient.clinical_notes.filter(minutes__gt=0).values_list("written_at", "minutes"):
        local = written_at.astimezone(tz)
        totals[(local.year, local.month)] = totals.get((local.year, local.month), 0) + minutes
    return [{"month": dt.date(year, month, 1), "minutes": total}
            for (year, month), total in sorted(totals.items(), reverse=True)]
