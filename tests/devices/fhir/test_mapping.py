"""Pairing blood pressure halves into one panel: the same device and patient, at most 60 s apart, each the
other's nearest."""

import datetime as dt

from devices.fhir.mapping import Pairing, pair_blood_pressure
from devices.readings import ReadingRow

T0 = dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC)


def half(reading_id, metric, seconds, device_id=1, patient_id=1):
    at = T0 + dt.timedelta(seconds=seconds)
    return ReadingRow(reading_id, patient_id, device_id, "blood_pressure_monitor", "SN", metric, 100.0, "mm[Hg]",
                      at, at, "ok")


def test_halves_60_seconds_apart_are_one_panel_and_61_seconds_apart_are_two():
    assert pair_blood_pressure([half(1, "systolic_bp", 0), half(2, "diastolic_bp", 60)]) == {1: 2}
    assert pair_blood_pressure([half(1, "systolic_bp", 0), half(2, "diastolic_bp", 61)]) == {}


def test_each_half_pairs_with_its_nearest_and_the_other_stands_alone():
    rows = [half(1, "systolic_bp", 0), half(2, "diastolic_bp", 1), half(3, "diastolic_bp", 30)]
    pairing = Pairing(rows)
    assert pairing.pairs == {1: 2}
    assert [pairing.entry_for(r).id if pairing.entry_for(r) else None for r in rows] == ["bp-1", None, "bp-3"]


def test_halves_from_different_devices_or_patients_are_not_paired():
    assert pair_blood_pressure([half(1, "systolic_bp", 0), half(2, "diastolic_bp", 0, device_id=2)]) == {}
    assert pair_blood_pressure([half(1, "systolic_bp", 0), half(2, "diastolic_bp", 0, patient_id=2)]) == {}


def test_two_measurements_a_minute_apart_pair_each_with_its_own_half():
    rows = [half(1, "systolic_bp", 0), half(2, "diastolic_bp", 1), half(3, "systolic_bp", 50),
            half(4, "diastolic_bp", 51)]
    assert pair_blood_pressure(rows) == {1: 2, 3: 4}
