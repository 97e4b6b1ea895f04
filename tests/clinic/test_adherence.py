"""Device data days (the current 30-day period in the patient's zone, the 16-day bar) and medication adherence."""

import datetime as dt
import zoneinfo

import pytest

from clinic.adherence import measurement_calendar, medication_adherence
from devices.services import enrol_device
from patients.models import MedicationSchedule
from tests.builders import make_device, make_patient
from tests.readings import add_readings

UTC = dt.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 5, 30, 12, 0, tzinfo=UTC)  # 21:00 on 30 May in Tokyo


@pytest.fixture
def tokyo(team):
    return make_patient(team, timezone="Asia/Tokyo")


@pytest.fixture
def cuff(tokyo):
    """A blood pressure monitor enrolled at 09:00 on 1 May, Tokyo: the episode's first period is 1-30 May."""
    device, _ = make_device("blood_pressure_monitor")
    enrol_device(device=device, patient=tokyo, at=local(1, 9))
    return device


def local(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def test_the_calendar_is_the_current_30_day_period_from_the_first_enrolment(tokyo, cuff):
    calendar = measurement_calendar(patient=tokyo, now=dt.datetime(2026, 5, 30, 16, 0, tzinfo=UTC))  # 31 May Tokyo
    assert calendar["period"].start == dt.date(2026, 5, 31)
    assert [d["date"] for d in calendar["days"]][::29] == [dt.date(2026, 5, 31), dt.date(2026, 6, 29)]


def test_a_day_counts_with_any_automatic_device_reading_and_not_with_manual_ones(tokyo, cuff):
    add_readings(tokyo, "systolic_bp", [(local(10, 8), 130)], device=cuff, source="api")
    add_readings(tokyo, "systolic_bp", [(local(11, 8), 130)], source="manual")
    days = {d["date"]: d["data"] for d in measurement_calendar(patient=tokyo, now=NOW)["days"]}
    assert days[dt.date(2026, 5, 10)] and not days[dt.date(2026, 5, 11)]


def test_days_are_the_patients_local_days(tokyo, cuff):
    # 23:30 UTC on 11 May is 08:30 on 12 May in Tokyo
    add_readings(tokyo, "systolic_bp", [(dt.datetime(2026, 5, 11, 23, 30, tzinfo=UTC), 130)], device=cuff)
    days = {d["date"]: d["data"] for d in measurement_calendar(patient=tokyo, now=NOW)["days"]}
    assert days[dt.date(2026, 5, 12)] and not days[dt.date(2026, 5, 11)]


def test_sixteen_data_days_meet_the_billing_bar(tokyo, cuff):
    add_readings(tokyo, "systolic_bp", [(local(day, 9), 130) for day in range(2, 18)], device=cuff)
    calendar = measurement_calendar(patient=tokyo, now=NOW)
    assert (calendar["data_days"], calendar["bar"], calendar["meets_bar"], calendar["needed"]) == (16, 16, True, 0)


def test_fifteen_data_days_fall_short_and_say_how_many_more_of_the_days_left(tokyo, cuff):
    add_readings(tokyo, "systolic_bp", [(local(day, 9), 130) for day in range(2, 17)], device=cuff)
    calendar = measurement_calendar(patient=tokyo, now=NOW)  # 30 May, the period's last day, no data yet
    assert (calendar["data_days"], calendar["meets_bar"]) == (15, False)
    assert (calendar["needed"], calendar["days_left"]) == (1, 1)


def test_no_period_before_any_device_was_enrolled(tokyo):
    assert measurement_calendar(patient=tokyo, now=NOW)["period"] is None


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
