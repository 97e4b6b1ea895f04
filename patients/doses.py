"""Scheduled doses and the dispenser events that answer them: one pure matcher that the patient page, the
proportion of days covered and the adherence alert all use, so the three never disagree.

A dose is `taken` when a dispenser event falls within its window either side of its time (default 2 h,
../shared/clinical/thresholds.md), `missed` once its window has closed without one, `late` when an event
came after the window but before the next dose's window opened, and `pending` until its window closes.

Two medications due at the same time share one dispenser compartment: one dose event answers every dose
due at that moment (a multi-compartment dispenser releases everything due at once), each judged against its
own window. An event answers one moment only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Protocol

TAKEN, LATE, MISSED, PENDING = "taken", "late", "missed", "pending"
STATUSES = (TAKEN, LATE, MISSED, PENDING)
# Proportion of days covered (Pharmacy Quality Alliance) over the last 30 days; >= 80 % is adherent.
PDC_DAYS = 30
PDC_ADHERENT = 0.8
LATE_AT_MOST = dt.timedelta(hours=24)


class ScheduleLike(Protocol):
    drug: str
    dose: str
    times: Sequence[dt.time]
    window_minutes: int
    starts_on: dt.date


@dataclass
class Dose:
    drug: str
    dose: str
    scheduled_at: dt.datetime  # UTC
    window: dt.timedelta
    status: str = PENDING
    taken_at: dt.datetime | None = None


def scheduled_doses(*, schedules: Iterable[ScheduleLike], tz: dt.tzinfo, first_day: dt.date,
                    last_day: dt.date, window_minutes: float | None = None) -> list[Dose]:
    """Every dose due on the patient-local days first_day..last_day, from each schedule's first day on
    (`window_minutes`, when given, in place of each schedule's own window)."""
    doses = []
    for schedule in schedules:
        window = dt.timedelta(minutes=window_minutes or schedule.window_minutes)
        day = max(first_day, schedule.starts_on)
        while day <= last_day:
            for at in schedule.times:
                local = dt.datetime.combine(day, at, tzinfo=tz)
                doses.append(Dose(schedule.drug, schedule.dose, local.astimezone(dt.UTC), window))
            day += dt.timedelta(days=1)
    return sorted(doses, key=lambda d: (d.scheduled_at, d.drug))


def match_doses(doses: list[Dose], events: Iterable[dt.datetime], *, now: dt.datetime) -> list[Dose]:
    """Set each dose's status and the event that answered it (see the module docstring). Returns `doses`."""
    slots = [list(group) for _, group in groupby(sorted(doses, key=lambda d: d.scheduled_at),
                                                  key=lambda d: d.scheduled_at)]
    unused = sorted(e for e in events if e <= now)
    answered: dict[int, dt.datetime] = {}
    for index, slot in enumerate(slots):  # on time, earliest moment first
        due, widest = slot[0].scheduled_at, max(d.window for d in slot)
        hit = next((e for e in unused if due - widest <= e <= due + widest), None)
        if hit is not None:
            unused.remove(hit)
            answered[index] = hit
    for index, slot in enumerate(slots):  # late: after the window, before the next moment's window opens
        if index in answered:
            continue
        due, widest = slot[0].scheduled_at, max(d.window for d in slot)
        following = slots[index + 1] if index + 1 < len(slots) else None
        late_until = (following[0].scheduled_at - max(d.window for d in following)) if following \
            else due + LATE_AT_MOST
        late_until = max(late_until, due + widest)
        hit = next((e for e in unused if due + widest < e < late_until), None)
        if hit is not None:
            unused.remove(hit)
            answered[index] = hit
    for index, slot in enumerate(slots):
        hit = answered.get(index)
        for dose in slot:
            if hit is not None:
                dose.taken_at = hit
                dose.status = LATE if hit > dose.scheduled_at + dose.window else TAKEN
            elif now >= dose.scheduled_at + dose.window:
                dose.status = MISSED
            else:
                dose.status = PENDING
    return doses


def trailing_missed(doses: Sequence[Dose]) -> int:
    """Missed doses in a row up to the latest decided one (pending doses are not decided yet)."""
    count = 0
    for dose in reversed([d for d in doses if d.status != PENDING]):
        if dose.status != MISSED:
            break
        count += 1
    return count


@dataclass(frozen=True)
class DaysCovered:
    covered: int
    days: int
    first_day: dt.date | None

    @property
    def value(self) -> float | None:
        return self.covered / self.days if self.days else None


def proportion_of_days_covered(doses: Sequence[Dose], *, tz: dt.tzinfo, today: dt.date,
                               schedules_start: dt.date | None, days: int = PDC_DAYS) -> DaysCovered:
    """Days on which every scheduled dose was taken (on time or late), over the days in the period.

    thresholds.md: the period starts at the later of the schedule's start and `days` ago; today, not yet
    complete, is not counted. Doses must already be matched (match_doses).
    """
    if schedules_start is None:
        return DaysCovered(0, 0, None)
    first = max(schedules_start, today - dt.timedelta(days=days))
    by_day: dict[dt.date, list[Dose]] = {}
    for dose in doses:
        day = dose.scheduled_at.astimezone(tz).date()
        if first <= day < today:
            by_day.setdefault(day, []).append(dose)
    covered = sum(1 for ds in by_day.values() if all(d.status in (TAKEN, LATE) for d in ds))
    return DaysCovered(covered, len(by_day), first if by_day else None)
