"""The care-time ledger: a clinician's timer and manual entries of time spent on a patient's remote monitoring,
their own corrections (audited with what changed), and the month totals the billing report and pages read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from patients.models import CareTimeEntry, Patient
from rpm import audit
from rpm.errors import InvalidInput, NotFound, WrongState
from rpm.models import AuditEvent

MAX_MINUTES = 600
ACTIVITIES = {code for code, _ in CareTimeEntry.Activity.choices}


@dataclass(frozen=True, slots=True)
class EntryInput:
    """What a clinician types for an entry; strings as they come from a form or JSON."""

    minutes: object
    activity: object = CareTimeEntry.Activity.REVIEW
    interactive: bool = False
    note: str = ""
    day: object = None


def _clean(data: EntryInput, *, patient: Patient, now: dt.datetime) -> dict:
    errors: dict[str, str] = {}
    try:
        minutes = int(str(data.minutes).strip())
    except (TypeError, ValueError):
        errors["minutes"] = "must be a whole number of minutes"
        minutes = 0
    if "minutes" not in errors and not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"must be between 1 and {MAX_MINUTES}"
    if data.activity not in ACTIVITIES:
        errors["activity"] = f"must be one of {', '.join(sorted(ACTIVITIES))}"
    started_at = now
    if data.day not in (None, ""):
        try:
            day = data.day if isinstance(data.day, dt.date) else dt.date.fromisoformat(str(data.day))
        except ValueError:
            errors["day"] = "must be a date as YYYY-MM-DD"
        else:
            if day > now.astimezone(patient.tz).date():
                errors["day"] = "cannot be in the future"
            # noon local: the entry stays on its day whatever the zone
            started_at = dt.datetime.combine(day, dt.time(12), tzinfo=patient.tz)
    if errors:
        raise InvalidInput(errors)
    return {"minutes": minutes, "activity": data.activity, "interactive": bool(data.interactive),
            "note": (data.note or "").strip(), "started_at": min(started_at, now)}


def running_timer(*, patient: Patient, clinician) -> CareTimeEntry | None:
    return CareTimeEntry.objects.filter(patient=patient, clinician=clinician, minutes__isnull=True).first()


def start_timer(*, patient: Patient, clinician, now: dt.datetime | None = None) -> CareTimeEntry:
    """Start this clinician's timer on this patient; a second start while it runs keeps the first."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        with transaction.atomic():
            entry = CareTimeEntry.objects.create(patient=patient, clinician=clinician, started_at=now)
            audit.record(actor=clinician, action=AuditEvent.Action.CREATE, verb="care_time.timer_start",
                         patient=patient, target=entry)
    except IntegrityError:
        return running_timer(patient=patient, clinician=clinician)
    return entry


def stop_timer(*, patient: Patient, clinician, activity: str = CareTimeEntry.Activity.REVIEW,
               interactive: bool = False, note: str = "", now: dt.datetime | None = None) -> CareTimeEntry | None:
    """Stop the running timer: its whole minutes are logged (CMS counts time spent, so never rounded up). Under a
    minute logs nothing and answers None."""
    now = now or dt.datetime.now(dt.UTC)
    if activity not in ACTIVITIES:
        raise InvalidInput(f"must be one of {', '.join(sorted(ACTIVITIES))}", "activity")
    with transaction.atomic():
        entry = (CareTimeEntry.objects.select_for_update()
                 .filter(patient=patient, clinician=clinician, minutes__isnull=True).first())
        if entry is None:
            raise WrongState("no timer is running for you on this patient", "timer")
        seconds = int((now - entry.started_at).total_seconds())
        minutes = min(seconds // 60, MAX_MINUTES)
        if minutes < 1:
            audit.record(actor=clinician, action=AuditEvent.Action.DELETE, verb="care_time.timer_discard",
                         patient=patient, target=entry, detail={"seconds": seconds})
            entry.delete()
            return None
        entry.minutes, entry.activity, entry.interactive, entry.note = minutes, activity, interactive, note.strip()
        entry.save(update_fields=["minutes", "activity", "interactive", "note", "updated_at"])
        audit.record(actor=clinician, action=AuditEvent.Action.CREATE, verb="care_time.timer_stop",
                     patient=patient, target=entry, detail={"minutes": minutes, "interactive": interactive})
    return entry


def add_entry(*, patient: Patient, clinician, data: EntryInput, now: dt.datetime | None = None) -> CareTimeEntry:
    """Log time by hand (today, or `day` in the patient's zone)."""
    now = now or dt.datetime.now(dt.UTC)
    fields = _clean(data, patient=patient, now=now)
    with transaction.atomic():
        entry = CareTimeEntry.objects.create(patient=patient, clinician=clinician, **fields)
        audit.record(actor=clinician, action=AuditEvent.Action.CREATE, verb="care_time.entry", patient=patient,
                     target=entry, detail={"minutes": entry.minutes, "interactive": entry.interactive,
                                           "activity": entry.activity})
    return entry


def correct_entry(*, patient: Patient, clinician, entry_id: int, data: EntryInput,
                  now: dt.datetime | None = None) -> CareTimeEntry:
    """A clinician corrects one of their own finished entries; the audit keeps what it was and what it became.
    Another clinician's entry is not found."""
    now = now or dt.datetime.now(dt.UTC)
    with transaction.atomic():
        entry = (CareTimeEntry.objects.select_for_update()
                 .filter(pk=entry_id, patient=patient, clinician=clinician, minutes__isnull=False).first())
        if entry is None:
            raise NotFound("no such entry of yours on this patient", "entry")
        if data.day in (None, ""):
            data = EntryInput(minutes=data.minutes, activity=data.activity, interactive=data.interactive,
                              note=data.note, day=entry.started_at.astimezone(patient.tz).date())
        fields = _clean(data, patient=patient, now=now)
        if entry.started_at.astimezone(patient.tz).date() == fields["started_at"].astimezone(patient.tz).date():
            fields["started_at"] = entry.started_at
        before = {name: _plain(getattr(entry, name)) for name in fields}
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.save()
        audit.record(actor=clinician, action=AuditEvent.Action.CHANGE, verb="care_time.correct", patient=patient,
                     target=entry, detail={"before": before, "after": {k: _plain(v) for k, v in fields.items()}})
    return entry


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def entries_for(*, patient: Patient, limit: int = 50) -> list[CareTimeEntry]:
    return list(patient.care_time.filter(minutes__isnull=False).select_related("clinician")[:limit])


def month_bounds(*, year: int, month: int, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date(year, month, 1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first, dt.time(0), tzinfo=tz), dt.datetime.combine(after, dt.time(0), tzinfo=tz)


@dataclass(slots=True)
class MonthTime:
    minutes: int = 0
    interactive: bool = False
    by_clinician: dict | None = None


def month_time(*, patients: Sequence[Patient], year: int, month: int) -> dict[int, MonthTime]:
    """Each patient's finished minutes in this calendar month (their own zone), whether one entry was an
    interactive communication, and minutes per clinician (user id): one query for every patient."""
    out = {p.id: MonthTime(by_clinician={}) for p in patients}
    if not patients:
        return out
    tz_of = {p.id: p.tz for p in patients}
    first = dt.datetime(year, month, 1, tzinfo=dt.UTC) - dt.timedelta(days=1)
    last = month_bounds(year=year, month=month, tz=dt.UTC)[1] + dt.timedelta(days=1)
    rows = CareTimeEntry.objects.filter(patient_id__in=list(out), minutes__isnull=False, started_at__gte=first,
                                        started_at__lt=last).values_list("patient_id", "clinician_id", "started_at",
                                                                          "minutes", "interactive")
    for pid, clinician_id, started_at, minutes, interactive in rows:
        local = started_at.astimezone(tz_of[pid])
        if (local.year, local.month) != (year, month):
            continue
        total = out[pid]
        total.minutes += minutes
        total.interactive = total.interactive or interactive
        total.by_clinician[clinician_id] = total.by_clinician.get(clinician_id, 0) + minutes
    return out
