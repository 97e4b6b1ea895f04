"""The population view, per care team, in the spirit of Tidepool's TIDE list: each patient's data days this
period and days left, minutes this month, open alerts by severity, last reading, NEWS2, adherence (PDC) and last
review, sorted by risk by default (open high alerts, then NEWS2, then patients about to miss their days).
Clinical columns (NEWS2, PDC) only for patients the user may open; the programme role sees the numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max

from alerts.models import Alert
from alerts.selectors import days_covered, news2_status
from clinic.billing import patients_for_programme
from clinic.periods import current_periods
from devices import readings
from patients import care_time
from patients.models import Patient
from patients.selectors import patients_visible_to
from rpm.models import AuditEvent

SEVERITIES = ("high", "medium", "low", "info")
SORTS = {
    "risk": None,
    "data_days": lambda r: (r.data_days if r.data_days is not None else -1),
    "days_left": lambda r: (r.days_left if r.days_left is not None else 99),
    "slack": lambda r: (r.slack if r.slack is not None else 99),
    "minutes": lambda r: r.minutes,
    "news2": lambda r: -(r.news2 if r.news2 is not None else -1),
    "pdc": lambda r: (r.pdc if r.pdc is not None else 2),
    "last_reading": lambda r: r.last_reading or dt.datetime.min.replace(tzinfo=dt.UTC),
    "last_reviewed": lambda r: r.last_reviewed or dt.datetime.min.replace(tzinfo=dt.UTC),
}


@dataclass
class Row:
    patient: Patient
    visible: bool
    data_days: int | None = None
    days_left: int | None = None
    slack: int | None = None
    minutes: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    last_reading: dt.datetime | None = None
    news2: int | None = None
    pdc: float | None = None
    last_reviewed: dt.datetime | None = None

    @property
    def pdc_percent(self) -> int | None:
        return None if self.pdc is None else round(100 * self.pdc)

    def risk(self) -> tuple:
        """Open high alerts first, then the higher NEWS2, then the least slack to 16 data days."""
        return (-self.alerts.get("high", 0), -(self.news2 if self.news2 is not None else -1),
                self.slack if self.slack is not None else 99, self.patient.mrn)


def population(*, user, now: dt.datetime, team_id: int | None = None, sort: str = "risk",
               attention_only: bool = False) -> list[Row]:
    patients = patients_for_programme(user).filter(status=Patient.Status.ACTIVE)
    if team_id is not None:
        patients = patients.filter(care_team_id=team_id)
    patients = list(patients)
    visible = set(patients_visible_to(user).values_list("id", flat=True))
    ids = [p.id for p in patients]
    periods = current_periods(patients, now=now)
    month = {}
    for p in patients:  # each patient's own calendar month, grouped by it
        local = now.astimezone(p.tz)
        month.setdefault((local.year, local.month), []).append(p)
    minutes = {pid: t.minutes for (year, mon), group in month.items()
               for pid, t in care_time.month_time(patients=group, year=year, month=mon).items()}
    alerts: dict[int, dict[str, int]] = {}
    for pid, severity, n in (Alert.objects.filter(patient_id__in=ids).exclude(state=Alert.State.RESOLVED)
                             .values_list("patient_id", "severity").annotate(n=Count("id"))):
        alerts.setdefault(pid, {})[severity] = n
    latest = readings.latest_values(ids)
    reviewed = dict(AuditEvent.objects.filter(patient_id__in=ids, verb="patient.page").values("patient_id")
                    .annotate(last=Max("at")).values_list("patient_id", "last"))
    rows = []
    for p in patients:
        row = Row(patient=p, visible=p.id in visible, minutes=minutes.get(p.id, 0), alerts=alerts.get(p.id, {}),
                  last_reading=max((v["measured_at"] for v in latest.get(p.id, {}).values()), default=None),
                  last_reviewed=reviewed.get(p.id))
        if p.id in periods:
            outlook = periods[p.id].outlook
            row.data_days, row.days_left, row.slack = outlook.data_days, outlook.days_left, outlook.slack
        if row.visible:
            score = news2_status(p, now=now)["score"]
            row.news2 = score["score"] if score else None
            row.pdc = days_covered(p, now=now)[1].value
        rows.append(row)
    if attention_only:
        rows = [r for r in rows if r.alerts or (r.slack is not None and r.data_days < 16)]
    key = SORTS.get(sort)
    return sorted(rows, key=key if key is not None else Row.risk)
