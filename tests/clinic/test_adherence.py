"""Measurement adherence (30-day calendar in the patient's zone, the 16-day bar) and medication adherence."""

import datetime as dt
import zoneinfo

import pytest

from clinic.adherence import measurement_calendar, medication_adherence
from patients.models import ExpectedMeasurement, MedicationSchedule
from tests.builders import make_patient
from tests.readings import add_readings

UTC = dt.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 5, 30, 12, 0, tzinfo=UTC)  # 21:00 on 30 May in Tokyo


@pytest.fixture
def tokyo(team):
    patient = make_patient(team, timezone="Asia/Tokyo")
    ExpectedMeasurement.objects.create(plan=patient.plan, metric="systolic_bp")
    ExpectedMeasurement.objects.create(plan=patient.plan, metric="body_weight")
    return patient


def local(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def both(patient, at):
    add_readings(patient, "systolic_bp", [(at, 130)])
    add_readings(patient, "body_weight", [(at, 80)])


def test_a_day_counts_only_when_every_expected_metric_was_measured(tokyo):
    both(tokyo, local(10, 8))
    add_readings(tokyo, "systolic_bp", [(local(11, 8), 130)])
    days = {d["date"]: d for d in measurement_calendar(patient=tokyo, now=NOW)["days"]}
    assert days[dt.date(2026, 5, 10)]["complete"]
    assert not days[dt.date(2026, 5, 11)]["complete"]
    assert days[dt.date(2026, 5, 11)]["missing"] == ["body_weight"]


def test_days_are_the_patients_local_days(tokyo):
    # 23:30 UTC on 11 May is 08:30 on 12 May in Tokyo
    both(tokyo, dt.datetime(2026, 5, 11, 23, 30, tzinfo=UTC))
    days = {d["date"]: d["complete"] for d in measurement_calendar(patient=tokyo, now=NOW)["days"]}
    assert days[dt.date(2026, 5, 12)] and not days[dt.date(2026, 5, 11)]


def test_the_calendar_is_the_30_days_ending_today_in_the_patients_zone(tokyo):
    calendar = measurement_calendar(patient=tokyo, now=dt.datetime(2026, 5, 30, 16, 0, tzinfo=UTC))  # 31 May Tokyo
    assert len(calendar["days"]) == 30
    assert calendar["days"][-1]["date"] == dt.date(2026, 5, 31)
    assert calendar["days"][0]["date"] == dt.date(2026, 5, 2)


def test_sixteen_complete_days_meet_the_billing_bar(tokyo):
    for day in range(1, 17):
        both(tokyo, local(day + 1, 9))
    calendar = measurement_calendar(patient=tokyo, now=NOW)
    assert (calendar["complete_days"], calendar["bar"], calendar["meets_bar"]) == (16, 16, True)


def test_fifteen_complete_days_fall_short_of_the_bar(tokyo):
    for day in range(1, 16):
        both(tokyo, local(day + 1, 9))
    calendar = measurement_calendar(patient=tokyo, now=NOW)
    assert (calendar["complete_days"], calendar["meets_bar"]) == (15, False)


@pytest.fixture
def twice_daily(tokyo):
    MedicationSchedule.objects.create(plan=tokyo.plan, drug="Synthetolol", dose="5 mg",
                                      times=[dt.time(8), dt.time(20)], window_minutes=60,
                                      starts_on=dt.date(2026, 5, 29))
    return tokyo


def statuses(patient, now):
    result = medication_adherence(patient=patient, now=now, days=2)
    return [(d.scheduled_at.astimezone(TOKYO).strftime("%d %H:%M"), d.status) for d in result["doses"]], result


def test_a_dose_within_its_window_is_taken_after_it_late_and_none_missed(twice_daily):
    add_readings(twice_daily, "dose_taken", [(local(29, 8, 55), 1), (local(29, 22, 30), 1), (local(30, 8, 10), 1)])
    doses, result = statuses(twice_daily, NOW)
    assert doses == [("29 08:00", "taken"), ("29 20:00", "late"), ("30 08:00", "taken"), ("30 20:00", "missed")]


def test_a_dose_is_pending_until_its_window_closes(twice_daily):
    doses, _ = statuses(twice_daily, NOW - dt.timedelta(seconds=1))
    assert doses[-1] == ("30 20:00", "pending")


def test_a_dose_never_reported_is_missed(twice_daily):
    add_readings(twice_daily, "dose_taken", [(local(29, 8), 1), (local(30, 8), 1)])
    doses, result = statuses(twice_daily, NOW)
    assert doses[1] == ("29 20:00", "missed")
    assert result["counts"] == {"taken": 2, "late": 0, "missed": 2, "pending": 0}


def test_one_dose_event_counts_for_one_scheduled_dose_only(twice_daily):
    add_readings(twice_daily, "dose_taken", [(local(29, 14), 1)])  # between doses, after the window of 08:00
    doses, _ = statuses(twice_daily, NOW)
    assert [s for _, s in doses[:2]] == ["late", "missed"]


def test_proportion_of_days_covered_counts_days_with_every_dose_taken(twice_daily):
    add_readings(twice_daily, "dose_taken", [(local(29, 8), 1), (local(29, 20), 1), (local(30, 8), 1)])
    result = medication_adherence(patient=twice_daily, now=local(31, 9), days=2)
    # the schedule started on 29 May: two complete days, 29 May fully taken, 30 May's 20:00 dose missed
    assert (result["pdc"], result["pdc_covered"], result["pdc_days"]) == (0.5, 1, 2)
    assert result["adherent"] is False


def test_no_medication_schedule_means_no_adherence_figure(tokyo):
    result = medication_adherence(patient=tokyo, now=NOW)
    assert result["pdc"] is None and result["doses"] == []
