"""The one dose matcher (taken, late, missed, pending) and the proportion of days covered (PQA; thresholds.md:
the period starts at the later of the schedule's start and 30 days ago, today not counted)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from patients import doses

UTC = dt.UTC
TODAY = dt.date(2026, 11, 22)


@dataclass
class Schedule:
    drug: str
    times: tuple
    window_minutes: int = 120
    dose: str = "1 tab"
    starts_on: dt.date = dt.date(2026, 1, 1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def matched(schedules, events, *, now, first=20, last=22):
    due = doses.scheduled_doses(schedules=schedules, tz=UTC, first_day=dt.date(2026, 11, first),
                                last_day=dt.date(2026, 11, last))
    return doses.match_doses(due, events, now=now)


def statuses(result):
    return [(d.drug, d.scheduled_at.day, d.scheduled_at.hour, d.status) for d in result]


AM = Schedule("Amlodipine", (dt.time(8),))


@pytest.mark.parametrize(("event", "status"), [(at(22, 6), "taken"), (at(22, 10), "taken"),
                                               (at(22, 10, 1), "late"), (at(22, 5, 59), None)])
def test_a_dose_is_taken_within_its_window_either_side_and_late_after_it(event, status):
    result = matched([AM], [event], now=at(22, 23), first=22)
    assert result[0].status == (status or "missed")


def test_a_dose_is_pending_until_its_window_closes_then_missed():
    assert matched([AM], [], now=at(22, 9, 59), first=22)[0].status == "pending"
    assert matched([AM], [], now=at(22, 10), first=22)[0].status == "missed"


def test_a_late_event_turns_a_missed_dose_into_a_late_one():
    assert matched([AM], [at(22, 15)], now=at(22, 16), first=22)[0].status == "late"


def test_an_event_answers_one_moment_only():
    twice = Schedule("Metformin", (dt.time(8), dt.time(9)), window_minutes=60)
    result = matched([twice], [at(22, 8, 30)], now=at(22, 23), first=22)
    assert [d.status for d in result] == ["taken", "missed"]


def test_two_medications_due_at_the_same_time_share_one_dispenser_event():
    furosemide = Schedule("Furosemide", (dt.time(8),))
    bisoprolol = Schedule("Bisoprolol", (dt.time(8),), window_minutes=30)
    result = matched([furosemide, bisoprolol], [at(22, 9)], now=at(22, 23), first=22)
    assert {(d.drug, d.status) for d in result} == {("Furosemide", "taken"), ("Bisoprolol", "late")}


def test_trailing_missed_counts_decided_doses_only():
    result = matched([AM], [at(20, 8)], now=at(22, 9))
    assert [d.status for d in result] == ["taken", "missed", "pending"]
    assert doses.trailing_missed(result) == 1


def pdc(schedules, events, *, starts_on, now=None):
    due = doses.scheduled_doses(schedules=schedules, tz=UTC, first_day=TODAY - dt.timedelta(days=30), last_day=TODAY)
    doses.match_doses(due, events, now=now or at(22, 12))
    return doses.proportion_of_days_covered(due, tz=UTC, today=TODAY, schedules_start=starts_on)


def test_pdc_with_no_doses_taken_is_zero_over_thirty_days():
    result = pdc([AM], [], starts_on=dt.date(2026, 1, 1))
    assert (result.covered, result.days, result.value) == (0, 30, 0.0)


def test_pdc_with_every_dose_taken_is_one():
    events = [dt.datetime.combine(TODAY - dt.timedelta(days=d), dt.time(8, 5), tzinfo=UTC) for d in range(1, 31)]
    assert pdc([AM], events, starts_on=dt.date(2026, 1, 1)).value == 1.0


def test_pdc_of_a_patient_enrolled_five_days_ago_counts_five_days():
    start = TODAY - dt.timedelta(days=5)
    events = [dt.datetime.combine(TODAY - dt.timedelta(days=d), dt.time(8, 5), tzinfo=UTC) for d in range(0, 6)]
    result = pdc([Schedule("Amlodipine", (dt.time(8),), starts_on=start)], events, starts_on=start)
    assert (result.covered, result.days, result.value) == (5, 5, 1.0)


def test_pdc_has_no_value_on_the_first_day():
    result = pdc([Schedule("Amlodipine", (dt.time(8),), starts_on=TODAY)], [], starts_on=TODAY)
    assert result.value is None


def test_a_day_counts_only_when_every_dose_was_taken():
    twice = Schedule("Metformin", (dt.time(8), dt.time(18)))
    events = [at(21, 8)]  # the evening dose of the 21st missed
    result = pdc([twice], events, starts_on=dt.date(2026, 11, 21))
    assert (result.covered, result.days) == (0, 1)
