"""Demo figures for the RPM programme: gaps in some patients' device data, care time and another practitioner's
claim, so that the first billing report shows every CMS code (99453, 99445, 99454, 99470, 99457, 99458) and every
blocking reason at least once. Synthetic only."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from devices.selectors import episode_starts
from patients import care_time
from patients.models import CareTimeEntry, DeviceSupplyClaim, Patient
from rpm import billing


def _episode_dates(patients: list[Patient]) -> dict[int, dt.date]:
    by_id = {p.id: p for p in patients}
    return {pid: at.astimezone(by_id[pid].tz).date() for pid, at in episode_starts(patient_ids=list(by_id)).items()}


# roster index -> data days kept in the first 30-day period (the rest of the history is thinned out)
KEPT_DAYS = {1: 10, 2: 1}
CLAIMED_ELSEWHERE = 3  # another practitioner billed this patient's device supply for the first period
# roster index -> [(minutes, interactive communication, activity)] this month
CARE_TIME = {
    0: [(25, True, CareTimeEntry.Activity.CALL)],  # 99457
    1: [(12, True, CareTimeEntry.Activity.CALL)],  # 99470
    4: [(20, True, CareTimeEntry.Activity.CALL), (25, False, CareTimeEntry.Activity.REVIEW)],  # 99457 + 99458
    5: [(15, False, CareTimeEntry.Activity.REVIEW)],  # blocked: no interactive communication
    6: [(6, False, CareTimeEntry.Activity.REVIEW)],  # blocked: under 10 minutes
}


def thin_rows(rows: list[tuple], *, patients: list[Patient], now: dt.datetime) -> list[tuple]:
    """Drop device rows (patient id first, measured_at sixth) on the early days of the first period of the
    patients in KEPT_DAYS, keeping only its last N days and everything after it; only once that period is over
    (a short history keeps every row)."""
    starts = _episode_dates(patients)
    keep_from: dict[int, tuple[dt.tzinfo, dt.date, dt.date]] = {}
    for index, days in KEPT_DAYS.items():
        if index < len(patients) and patients[index].id in starts:
            period = billing.Period(index=0, start=starts[patients[index].id])
            if period.end >= now.astimezone(patients[index].tz).date():
                continue
            keep_from[patients[index].id] = (patients[index].tz, period.end - dt.timedelta(days=days - 1),
                                             period.start)

    def kept(row: tuple) -> bool:
        rule = keep_from.get(row[0])
        if rule is None:
            return True
        tz, first_kept, period_start = rule
        day = row[5].astimezone(tz).date()
        return day >= first_kept or day < period_start
    return [row for row in rows if kept(row)]


def seed_programme(*, patients: list[Patient], clinicians: list[User], now: dt.datetime) -> None:
    """Care time this month and one claim by another practitioner (patients in roster order)."""
    for index, entries in CARE_TIME.items():
        if index >= len(patients):
            continue
        patient = patients[index]
        clinician = next(u for u in clinicians if u.care_team_memberships.filter(care_team=patient.care_team).exists())
        local = now.astimezone(patient.tz)
        for minutes, interactive, activity in entries:
            care_time.add_entry(patient=patient, clinician=clinician, now=now, data=care_time.EntryInput(
                minutes=minutes, interactive=interactive, activity=activity, day=local.date(),
                note="Demo entry (synthetic)"))
    if CLAIMED_ELSEWHERE < len(patients):
        patient = patients[CLAIMED_ELSEWHERE]
        start = _episode_dates([patient]).get(patient.id)
        if start is not None:
            DeviceSupplyClaim.objects.create(patient=patient, period_start=start, practitioner="Dr Demo Elsewhere "
                                             "(another practice, synthetic)")
