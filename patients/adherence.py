"""Adherence, counted in the patient's own calendar days: do they measure as planned, do they take their doses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from alerts.selectors import proportion_of_days_covered
from devices.metrics import METRICS
from patients.models import MedicationSchedule, Patient

# CMS CPT 99454 (RPM device supply) is billable when readings arrive on at least 16 days of a 30-day period.
BILLING_DAYS_BAR = 16
CALENDAR_DAYS = 30
# Proportion of days covered >= 80 % is the usual adherent bar (medication adherence practice; thresholds.md).
PDC_ADHERENT = 0.8
DOSE_METRIC = "dose_taken"


def _local_days(*, today: dt.date, days: int) -> list[dt.date]:
    return [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _local_midnight(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def measurement_calendar(*, patient: Patient, now: dt.datetime, days: int = CALENDAR_DAYS) -> dict:
    """The last `days` local days up to today: which expected metrics had at least one reading each day.

    A day counts when every expected metric of the plan has a reading that local day (any reading
    when the plan expects nothing in particular).
    """
    tz = patient.tz
    today = now.astimezone(tz).date()
    calendar_days = _local_days(today=today, days=days)
    expected = sorted(patient.plan.expected_measurements.values_list("metric", flat=True)) \
        if hasattr(patient, "plan") else []
    seen: dict[dt.date, set[str]] = {day: set() for day in calendar_days}
    bounds = [_local_midnight(day, tz) for day in [*calendar_days, today + dt.timedelta(days=1)]]
    metrics = [code for code in METRICS if code != DOSE_METRIC]
    # one index probe per (day, metric) instead of reading a month of minute-by-minute rows
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.i, m.metric FROM UNNEST(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS d(lo, hi, i) "
            "CROSS JOIN UNNEST(%s::text[]) AS m(metric) "
            "WHERE EXISTS (SELECT 1 FROM devices_reading r WHERE r.patient_id = %s AND r.metric = m.metric "
            "AND r.measured_at >= d.lo AND r.measured_at < d.hi)",
            [bounds[:-1], bounds[1:], metrics, patient.pk],
        )
        for index, metric in cursor.fetchall():
            seen[calendar_days[index - 1]].add(metric)
    rows = []
    for day in calendar_days:
        missing = [m for m in expected if m not in seen[day]]
        complete = not missing if expected else bool(seen[day])
        rows.append({"date": day, "metrics": sorted(seen[day]), "missing": missing, "complete": complete})
    complete_days = sum(1 for row in rows if row["complete"])
    return {"days": rows, "expected": expected, "complete_days": complete_days, "of": days,
            "bar": BILLING_DAYS_BAR, "meets_bar": complete_days >= BILLING_DAYS_BAR}


@dataclass
class Dose:
    drug: str
    dose: str
    scheduled_at: dt.datetime
    window: dt.timedelta
    status: str = "pending"  # taken, late, missed or pending (its window has not closed yet)
    taken_at: dt.datetime | None = None


def scheduled_doses(*, schedules: list[MedicationSchedule], tz, first_day: dt.date, last_day: dt.date) -> list[Dose]:
    doses = []
    day = first_day
    while day <= last_day:
        for schedule in schedules:
            for at in schedule.times:
                local = dt.datetime.combine(day, at, tzinfo=tz)
                doses.append(Dose(schedule.drug, schedule.dose, local.astimezone(dt.UTC),
                                  dt.timedelta(minutes=schedule.window_minutes)))
        day += dt.timedelta(days=1)
    return sorted(doses, key=lambda d: d.scheduled_at)


def match_doses(doses: list[Dose], events: list[dt.datetime], *, now: dt.datetime) -> list[Dose]:
    """Pair dose events with scheduled doses, each event used once.

    Taken: an event within the dose's window either side of its time. Late: after the window but before the
    next scheduled dose's window opens. Missed: neither, once the late period is over. Pending otherwise.
    """
    unused = sorted(events)
    for dose in doses:
        lo, hi = dose.scheduled_at - dose.window, dose.scheduled_at + dose.window
        hit = next((e for e in unused if lo <= e <= hi), None)
        if hit is not None:
            unused.remove(hit)
            dose.status, dose.taken_at = "taken", hit
    for index, dose in enumerate(doses):
        if dose.status == "taken":
            continue
        following = doses[index + 1] if index + 1 < len(doses) else None
        late_until = (following.scheduled_at - following.window if following is not None
                      else dose.scheduled_at + dt.timedelta(hours=24))
        late_until = max(late_until, dose.scheduled_at + dose.window)
        hit = next((e for e in unused if dose.scheduled_at + dose.window < e < late_until), None)
        if hit is not None:
            unused.remove(hit)
            dose.status, dose.taken_at = "late", hit
        elif now >= late_until:
            dose.status = "missed"
    return doses


def medication_adherence(*, patient: Patient, now: dt.datetime, days: int = CALENDAR_DAYS) -> dict:
    """Taken, late and missed per scheduled dose over the last `days` local days, and the proportion of days
    covered (complete local days on which every scheduled dose was taken within its window)."""
    tz = patient.tz
    today = now.astimezone(tz).date()
    first_day = today - dt.timedelta(days=days - 1)
    schedules = list(MedicationSchedule.objects.filter(plan__patient=patient))
    doses = scheduled_doses(schedules=schedules, tz=tz, first_day=first_day, last_day=today)
    if not doses:
        return {"doses": [], "counts": {}, "pdc": None, "pdc_percent": None, "adherent": None,
                "bar": PDC_ADHERENT}
    widest = max(d.window for d in doses)
    events: list[dt.datetime] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT measured_at, value FROM devices_reading WHERE patient_id = %s AND metric = %s "
            "AND measured_at >= %s AND measured_at <= %s ORDER BY measured_at",
            [patient.pk, DOSE_METRIC, doses[0].scheduled_at - widest, now],
        )
        for measured_at, value in cursor.fetchall():
            events.extend([measured_at] * max(1, round(value)))  # value: doses taken in that event
    match_doses(doses, events, now=now)
    counts = {status: sum(1 for d in doses if d.status == status) for status in ("taken", "late", "missed", "pending")}
    # the engine's own figure, so the page and the adherence alerts never disagree
    pdc = proportion_of_days_covered(patient, now=now, days=days)
    return {"doses": doses, "counts": counts, "pdc": pdc, "pdc_percent": None if pdc is None else round(100 * pdc),
            "adherent": None if pdc is None else pdc >= PDC_ADHERENT, "bar": PDC_ADHERENT}
