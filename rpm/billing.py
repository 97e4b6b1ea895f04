"""CMS remote physiologic monitoring billing rules (CY2026), as pure functions of counts and dates.

Source for every rule here: CMS CY2026 Physician Fee Schedule final rule (November 2025) and the CPT 2026 code
set, as summarised in ../shared/clinical/thresholds.md ("RPM billing"). Nothing is sent to a payer: the report
built on these says what the programme's records support.

Periods: device supply (99445/99454) and set-up (99453) go by 30-day periods counted from the first day of the
episode (the patient's first device enrolment, in their time zone); treatment management (99470/99457/99458)
by calendar month. A period is reported in the month in which it ends (the day its claim can be made).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PERIOD_DAYS = 30
# CPT 2026: 99445 for 2-15 days of device data in a 30-day period, 99454 for 16-30
SUPPLY_MIN_DAYS = 2
SUPPLY_FULL_DAYS = 16
# CPT 2026: 99470 for the first 10 minutes of a calendar month, 99457 for the first 20, 99458 each further 20
MANAGEMENT_MIN_MINUTES = 10
MANAGEMENT_FULL_MINUTES = 20
ADDITIONAL_MINUTES = 20

SETUP, SUPPLY_SHORT, SUPPLY_FULL = "99453", "99445", "99454"
MANAGEMENT_SHORT, MANAGEMENT_FULL, MANAGEMENT_ADDITIONAL = "99470", "99457", "99458"

# Reasons a code is blocked: stable strings, in the API's `blocked` list and the CSV
FEWER_THAN_2_DAYS = "fewer than 2 data days in the period"
UNDER_10_MINUTES = "under 10 minutes of management time this month"
NO_INTERACTIVE = "no interactive communication with the patient this month"
OTHER_PRACTITIONER = "another practitioner already billed this patient this period"


@dataclass(frozen=True, slots=True)
class Period:
    """A 30-day device-supply period: `start` to `end` inclusive, patient-local dates; `index` 0 is the first."""

    index: int
    start: dt.date

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=PERIOD_DAYS - 1)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(PERIOD_DAYS)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The codes a period or a month supports (a code repeats once per unit) and why others are blocked."""

    codes: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def period_containing(*, episode_start: dt.date, day: dt.date) -> Period | None:
    """The 30-day period of the episode that holds `day` (None before the episode started)."""
    if day < episode_start:
        return None
    index = (day - episode_start).days // PERIOD_DAYS
    return Period(index=index, start=episode_start + dt.timedelta(days=index * PERIOD_DAYS))


def periods_ending_in(*, episode_start: dt.date, year: int, month: int) -> list[Period]:
    """The episode's periods whose last day falls in this calendar month (a 31-day month may hold two)."""
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    found = []
    period = period_containing(episode_start=episode_start, day=max(first - dt.timedelta(days=PERIOD_DAYS),
                                                                       episode_start))
    while period is not None and period.end <= last:
        if period.end >= first:
            found.append(period)
        period = Period(index=period.index + 1, start=period.end + dt.timedelta(days=1))
    return found


def supply_codes(*, data_days: int, first_billable_period: bool, other_practitioner: bool) -> Outcome:
    """Device supply for one period: 99445 (2-15 data days) or 99454 (16-30), never both; 99453 with it in the
    first period of the episode that reaches 2 days. Only one practitioner bills these per patient per period."""
    if data_days < SUPPLY_MIN_DAYS:
        return Outcome(blocked=[FEWER_THAN_2_DAYS])
    if other_practitioner:
        return Outcome(blocked=[OTHER_PRACTITIONER])
    codes = [SETUP] if first_billable_period else []
    codes.append(SUPPLY_FULL if data_days >= SUPPLY_FULL_DAYS else SUPPLY_SHORT)
    return Outcome(codes=codes)


def management_codes(*, minutes: int, interactive_communication: bool) -> Outcome:
    """Treatment management for one calendar month: 99470 (10-19 minutes) or 99457 (20 or more) and one 99458
    for each further full 20 minutes; each needs an interactive communication in the month."""
    if minutes < MANAGEMENT_MIN_MINUTES:
        return Outcome(blocked=[UNDER_10_MINUTES] if minutes > 0 else [])
    if not interactive_communication:
        return Outcome(blocked=[NO_INTERACTIVE])
    if minutes < MANAGEMENT_FULL_MINUTES:
        return Outcome(codes=[MANAGEMENT_SHORT])
    extra = (minutes - MANAGEMENT_FULL_MINUTES) // ADDITIONAL_MINUTES
    return Outcome(codes=[MANAGEMENT_FULL] + [MANAGEMENT_ADDITIONAL] * extra)


@dataclass(frozen=True, slots=True)
class Outlook:
    """Where a patient stands in the current period: data days so far, days left (today included when it has
    no data yet), and how many more data days reach each bar."""

    data_days: int
    days_left: int
    needed_full: int
    needed_short: int

    @property
    def reachable(self) -> bool:
        return self.needed_full <= self.days_left

    @property
    def slack(self) -> int:
        """Days that may still be missed and reach 16 (negative: 16 is out of reach this period)."""
        return self.days_left - self.needed_full


def outlook(*, period: Period, data_days: set[dt.date], today: dt.date) -> Outlook:
    """The forward view of one period on `today` (patient-local): today counts as a day left until it has data."""
    counted = sum(1 for day in data_days if period.start <= day <= period.end)
    remaining = [d for d in period.days() if d > today or (d == today and d not in data_days)]
    return Outlook(data_days=counted, days_left=len(remaining),
                   needed_full=max(SUPPLY_FULL_DAYS - counted, 0), needed_short=max(SUPPLY_MIN_DAYS - counted, 0))
