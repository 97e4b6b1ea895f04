"""Each patient's 30-day monitoring periods and their data days: the one reading of the day rule
(devices.readings.data_days) and the period rules (rpm.billing) that the patient page's calendar, the outreach
worklist and the billing report all use, so the three agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from devices import readings
from devices.selectors import episode_starts
from patients.models import Patient
from rpm import billing


@dataclass(frozen=True, slots=True)
class CurrentPeriod:
    patient: Patient
    period: billing.Period
    today: dt.date
    days_with_data: set[dt.date]

    @property
    def outlook(self) -> billing.Outlook:
        return billing.outlook(period=self.period, data_days=self.days_with_data, today=self.today)


def episode_start_dates(patients: Sequence[Patient]) -> dict[int, dt.date]:
    """{patient id: the local date their episode began} for those ever given a device."""
    by_id = {p.id: p for p in patients}
    return {pid: at.astimezone(by_id[pid].tz).date()
            for pid, at in episode_starts(patient_ids=list(by_id)).items()}


def current_periods(patients: Sequence[Patient], *, now: dt.datetime) -> dict[int, CurrentPeriod]:
    """The period each patient is in today (their local today), with its data days so far; one query for all."""
    starts = episode_start_dates(patients)
    found: dict[int, tuple[Patient, billing.Period, dt.date]] = {}
    for patient in patients:
        if patient.id not in starts:
            continue
        today = now.astimezone(patient.tz).date()
        period = billing.period_containing(episode_start=starts[patient.id], day=today)
        if period is not None:
            found[patient.id] = (patient, period, today)
    days = readings.data_days(spans={pid: (p.tz, period.start, min(today, period.end))
                                     for pid, (p, period, today) in found.items()})
    return {pid: CurrentPeriod(patient=p, period=period, today=today, days_with_data=days[pid])
            for pid, (p, period, today) in found.items()}
