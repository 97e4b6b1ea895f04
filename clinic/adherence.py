"""Adherence, counted in the patient's own calendar days: do they measure as planned, do they take their doses."""

from __future__ import annotations

import datetime as dt

from alerts.selectors import days_covered
from clinic import periods
from patients.doses import PDC_ADHERENT, STATUSES
from patients.models import Patient
from rpm import billing

CALENDAR_DAYS = 30
DOSE_METRIC = "dose_taken"


def measurement_calendar(*, patient: Patient, now: dt.datetime) -> dict:
    """The patient's current 30-day monitoring period, day by day: which days have automatic device data (the
    billing day rule, clinic.periods), how many so far, and how many of the days left are still needed for 16.
    None before the patient's first device enrolment (no period yet)."""
    current = periods.current_periods([patient], now=now).get(patient.id)
    if current is None:
        return {"period": None, "of": billing.PERIOD_DAYS, "bar": billing.SUPPLY_FULL_DAYS}
    outlook = current.outlook
    rows = [{"date": day, "data": day in current.days_with_data, "ahead": day > current.today}
            for day in current.period.days()]
    return {"period": current.period, "days": rows, "data_days": outlook.data_days, "days_left": outlook.days_left,
            "needed": outlook.needed_full, "reachable": outlook.reachable, "of": billing.PERIOD_DAYS,
            "bar": billing.SUPPLY_FULL_DAYS, "meets_bar": outlook.needed_full == 0}


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
