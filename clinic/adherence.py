"""Adherence, counted in the patient's own calendar days: do they measure as planned, do they take their doses."""

from __future__ import annotations

import datetime as dt

from alerts.selectors import days_covered
from devices import readings
from patients.doses import PDC_ADHERENT, STATUSES
from patients.models import Patient
from rpm.metrics import METRICS

# CMS CPT 99454 (RPM device supply) is billable when readings arrive on at least 16 days of a 30-day period.
BILLING_DAYS_BAR = 16
CALENDAR_DAYS = 30
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
    for index, metric in readings.metrics_per_interval(patient_id=patient.pk, bounds=bounds, metrics=metrics):
        seen[calendar_days[index]].add(metric)
    rows = []
    for day in calendar_days:
        missing = [m for m in expected if m not in seen[day]]
        complete = not missing if expected else bool(seen[day])
        rows.append({"date": day, "metrics": sorted(seen[day]), "missing": missing, "complete": complete})
    complete_days = sum(1 for row in rows if row["complete"])
    return {"days": rows, "expected": expected, "complete_days": complete_days, "of": days,
            "bar": BILLING_DAYS_BAR, "meets_bar": complete_days >= BILLING_DAYS_BAR}


def medication_adherence(*, patient: Patient, now: dt.datetime, days: int = CALENDAR_DAYS) -> dict:
    """Taken, late, missed and pending per scheduled dose over the last `days` local days, and the proportion of
    days covered: the doses as the adherence alert matches them (alerts.selectors.days_covered)."""
    matched, covered = days_covered(patient, now=now)
    first_shown = now.astimezone(patient.tz).date() - dt.timedelta(days=days - 1)
    shown = [d for d in matched if d.scheduled_at.astimezone(patient.tz).date() >= first_shown]
    if not shown:
        return {"doses": [], "counts": {}, "pdc": None, "pdc_percent": None, "adherent": None,
                "bar": PDC_ADHERENT, "pdc_days": 0, "pdc_covered": 0}
    counts = {status: sum(1 for d in shown if d.status == status) for status in STATUSES}
    pdc = covered.value
    return {"doses": shown, "counts": counts, "pdc": pdc, "pdc_percent": None if pdc is None else round(100 * pdc),
            "adherent": None if pdc is None else pdc >= PDC_ADHERENT, "bar": PDC_ADHERENT,
            "pdc_days": covered.days, "pdc_covered": covered.covered}
