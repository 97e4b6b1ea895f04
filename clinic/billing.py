"""The monthly RPM billing report: per patient, the 30-day periods that end in the month with their data days
and device-supply codes, the month's management minutes and codes, the billing practitioner, and what blocks a
code. Rules in rpm.billing, the day rule in devices.readings.data_days. A report, never sent to a payer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from clinic.exports import neutralised
from clinic.periods import episode_start_dates
from devices import readings
from patients import care_time
from patients.models import CareTeamMembership, DeviceSupplyClaim, Patient
from patients.selectors import patients_visible_to
from rpm import audit, billing
from rpm.errors import InvalidInput, NotFound
from rpm.models import AuditEvent
from rpm.roles import is_programme

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(raw: str | None, *, now: dt.datetime) -> tuple[int, int]:
    """`YYYY-MM` (default: this month, UTC) as (year, month), or a clear error naming `period`."""
    if raw in (None, ""):
        return now.year, now.month
    match = _PERIOD.match(raw)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise InvalidInput(f"must be a month as YYYY-MM, not {raw[:20]!r}", "period")
    return int(match[1]), int(match[2])


def patients_for_programme(user) -> QuerySet[Patient]:
    """Whose figures this user sees: the programme role every team's, a clinician their teams'."""
    patients = Patient.objects.all() if is_programme(user) else patients_visible_to(user)
    return patients.select_related("care_team").prefetch_related(Prefetch(
        "care_team__memberships", queryset=CareTeamMembership.objects.filter(
            role=CareTeamMembership.Role.PHYSICIAN).select_related("user").order_by("user__username"),
        to_attr="physicians"))


@dataclass
class PeriodRow:
    start: dt.date
    end: dt.date
    data_days: int
    codes: list[str]
    blocked: list[str]


@dataclass
class Row:
    patient: Patient
    practitioner: str
    periods: list[PeriodRow]
    minutes: int
    interactive_communication: bool
    minutes_by_clinician: dict[int, int]
    management_codes: list[str]
    blocked: list[str]
    visible: bool = False

    @property
    def data_days(self) -> int:
        return self.periods[-1].data_days if self.periods else 0

    @property
    def codes(self) -> list[str]:
        return [code for p in self.periods for code in p.codes] + self.management_codes


@dataclass
class Report:
    year: int
    month: int
    rows: list[Row]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _practitioner(patient: Patient) -> str:
    physicians = patient.care_team.physicians
    if not physicians:
        return ""
    user = physicians[0].user
    return user.get_full_name() or user.username


def billing_report(*, user, year: int, month: int) -> Report:
    """Every patient whose figures this user sees and who had a period ending in the month or time logged in it."""
    patients = list(patients_for_programme(user))
    visible = set(patients_visible_to(user).values_list("id", flat=True))
    starts = episode_start_dates(patients)
    ending = {p.id: billing.periods_ending_in(episode_start=starts[p.id], year=year, month=month)
              for p in patients if p.id in starts}
    by_id = {p.id: p for p in patients}
    spans = {pid: (by_id[pid].tz, found[0].start, found[-1].end) for pid, found in ending.items() if found}
    days = readings.data_days(spans=spans)
    first_billable = _first_billable_periods(patients=by_id, starts=starts, reported=ending, days=days)
    claims = set(DeviceSupplyClaim.objects.filter(patient_id__in=list(spans))
                 .values_list("patient_id", "period_start"))
    time = care_time.month_time(patients=patients, year=year, month=month)
    rows = []
    for p in patients:
        periods = [_period_row(period, days=days.get(p.id, set()),
                               first_billable=first_billable.get(p.id) == period.index,
                               claimed=(p.id, period.start) in claims)
                   for period in ending.get(p.id, [])]
        spent = time[p.id]
        if not periods and not spent.minutes:
            continue
        management = billing.management_codes(minutes=spent.minutes, interactive_communication=spent.interactive)
        rows.append(Row(patient=p, practitioner=_practitioner(p), periods=periods, minutes=spent.minutes,
                        interactive_communication=spent.interactive, minutes_by_clinician=spent.by_clinician,
                        management_codes=management.codes,
                        blocked=[r for pr in periods for r in pr.blocked] + management.blocked,
                        visible=p.id in visible))
    rows.sort(key=lambda r: (r.patient.care_team.name, r.patient.mrn))
    totals = Counter(code for row in rows for code in row.codes)
    totals["patients"] = len(rows)
    totals["minutes"] = sum(row.minutes for row in rows)
    return Report(year=year, month=month, rows=rows, totals=dict(totals))


def _count(days: set[dt.date], period: billing.Period) -> int:
    return sum(1 for d in days if period.start <= d <= period.end)


def _first_billable_periods(*, patients: dict[int, Patient], starts: dict[int, dt.date],
                            reported: dict[int, list[billing.Period]], days: dict[int, set[dt.date]]
                            ) -> dict[int, int]:
    """{patient id: index of the episode's first period with 2 data days}, for patients whose reported periods
    may hold it (the once-per-episode 99453). Earlier periods are read one round at a time, every patient in one
    query, stopping at the first that qualifies: usually the first round settles it."""
    found: dict[int, int] = {}
    next_index = {pid: 0 for pid, periods in reported.items() if periods}
    while next_index:
        spans, probing = {}, {}
        for pid, index in list(next_index.items()):
            if index > reported[pid][-1].index:
                del next_index[pid]
                continue
            period = billing.Period(index=index, start=starts[pid] + dt.timedelta(days=index * billing.PERIOD_DAYS))
            if period in reported[pid]:
                probing[pid] = (period, days.get(pid, set()))
            else:
                spans[pid] = (patients[pid].tz, period.start, period.end)
                probing[pid] = (period, None)
        earlier = readings.data_days(spans=spans) if spans else {}
        for pid, (period, known) in probing.items():
            if _count(known if known is not None else earlier[pid], period) >= billing.SUPPLY_MIN_DAYS:
                found[pid] = period.index
                del next_index[pid]
            else:
                next_index[pid] = period.index + 1
    return found


def _period_row(period: billing.Period, *, days: set[dt.date], first_billable: bool, claimed: bool) -> PeriodRow:
    count = _count(days, period)
    outcome = billing.supply_codes(data_days=count, first_billable_period=first_billable, other_practitioner=claimed)
    return PeriodRow(start=period.start, end=period.end, data_days=count, codes=outcome.codes,
                     blocked=outcome.blocked)


def row_json(row: Row) -> dict:
    return {"patient": row.patient.id, "mrn": row.patient.mrn, "care_team": row.patient.care_team.name,
            "practitioner": row.practitioner, "data_days": row.data_days, "minutes": row.minutes,
            "interactive_communication": row.interactive_communication, "codes": row.codes,
            "blocked": row.blocked,
            "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "data_days": p.data_days,
                         "codes": p.codes, "blocked": p.blocked} for p in row.periods]}


CSV_COLUMNS = ["patient", "mrn", "care_team", "practitioner", "period_start", "period_end", "data_days", "minutes",
               "interactive_communication", "codes", "blocked"]


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        last = row.periods[-1] if row.periods else None
        # names and MRNs are typed by people: neutralised as every export's text cells are (clinic.exports)
        writer.writerow([row.patient.id, neutralised(row.patient.mrn), neutralised(row.patient.care_team.name),
                         neutralised(row.practitioner or ""),
                         last.start.isoformat() if last else "", last.end.isoformat() if last else "",
                         row.data_days, row.minutes, "yes" if row.interactive_communication else "no",
                         " ".join(row.codes), "; ".join(row.blocked)])
    return out.getvalue()


def record_outside_claim(*, user, patient_id: object, period_start: object, practitioner: str) -> DeviceSupplyClaim:
    """The programme records that another practitioner billed this patient's device supply for one of their
    30-day periods (CMS: one practitioner a period), so the report blocks ours. Audited."""
    errors: dict[str, str] = {}
    patient = patients_for_programme(user).filter(pk=int(patient_id)).first() \
        if str(patient_id).isdigit() else None
    if patient is None:
        raise NotFound("no such patient in your programme", "patient")
    practitioner = (practitioner or "").strip()
    if not practitioner or len(practitioner) > 200:
        errors["practitioner"] = "name the practitioner who billed (up to 200 characters)"
    try:
        start = dt.date.fromisoformat(str(period_start))
    except ValueError:
        errors["period_start"] = "must be a date as YYYY-MM-DD"
    else:
        episode = episode_start_dates([patient]).get(patient.id)
        period = billing.period_containing(episode_start=episode, day=start) if episode else None
        if period is None or period.start != start:
            errors["period_start"] = "is not the first day of one of this patient's 30-day periods"
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        claim = DeviceSupplyClaim.objects.create(patient=patient, period_start=start, practitioner=practitioner,
                                                 recorded_by=user)
        audit.record(actor=user, action=AuditEvent.Action.CREATE, verb="billing.outside_claim", patient=patient,
                     target=claim, detail={"period_start": start.isoformat(), "practitioner": practitioner})
    return claim
