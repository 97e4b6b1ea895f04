"""The one data-day rule (CMS CY2026, 99445/99454): a patient-local day with automatic device data, every device
combined; manual entries and dose events do not count."""

import datetime as dt
import zoneinfo

from devices.readings import data_days
from tests.builders import make_device
from tests.readings import add_readings

UTC = dt.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MAY_1, MAY_3 = dt.date(2026, 5, 1), dt.date(2026, 5, 3)


def days_of(patient, tz=UTC, first=MAY_1, last=MAY_3):
    return data_days(spans={patient.id: (tz, first, last)})[patient.id]


def at(day, hour, minute=0, tz=UTC):
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=tz)


def test_manual_entries_alone_make_no_data_day(patient):
    add_readings(patient, "systolic_bp", [(at(1, 9), 130), (at(2, 9), 128)], source="manual")
    assert days_of(patient) == set()


def test_two_devices_on_the_same_day_make_one_day(patient):
    cuff, _ = make_device("blood_pressure_monitor")
    scale, _ = make_device("weight_scale")
    add_readings(patient, "systolic_bp", [(at(2, 8), 130)], device=cuff, source="api")
    add_readings(patient, "body_weight", [(at(2, 19), 80)], device=scale, source="fhir")
    add_readings(patient, "body_weight", [(at(3, 7), 80)], device=scale, source="mqtt")
    assert days_of(patient) == {dt.date(2026, 5, 2), MAY_3}


def test_a_dispensers_dose_events_are_not_data_days(patient):
    dispenser, _ = make_device("pill_dispenser")
    add_readings(patient, "dose_taken", [(at(1, 8), 1)], device=dispenser, source="api")
    assert days_of(patient) == set()


def test_days_are_counted_in_the_patients_zone_at_midnight(patient):
    cuff, _ = make_device("blood_pressure_monitor")
    # 23:59 on 1 May in New York is 03:59 UTC on 2 May; 00:00 on 3 May New York is the first instant of 3 May
    add_readings(patient, "systolic_bp", [(at(1, 23, 59, NEW_YORK), 130), (at(3, 0, 0, NEW_YORK), 131)],
                 device=cuff)
    assert days_of(patient, NEW_YORK) == {MAY_1, MAY_3}
    assert days_of(patient, UTC) == {dt.date(2026, 5, 2), MAY_3}


def test_only_days_inside_the_span_are_counted(patient):
    cuff, _ = make_device("blood_pressure_monitor")
    add_readings(patient, "systolic_bp", [(at(day, 12), 130) for day in (1, 2, 3, 4)], device=cuff)
    assert days_of(patient, first=dt.date(2026, 5, 2), last=MAY_3) == {dt.date(2026, 5, 2), MAY_3}
