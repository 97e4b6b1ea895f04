"""The readings API: ranges, time zones (DST day included), extremes kept, bad input, access."""

import datetime as dt

import pytest
from django.test import Client

from rpm.models import AuditEvent
from tests.builders import make_patient, make_team, make_user
from tests.conftest import errors_of
from tests.readings import add_readings, every

UTC = dt.UTC


def get(physician_client, patient, **params):
    return physician_client.get(f"/api/v1/patients/{patient.id}/readings/", params)


def test_a_dense_month_comes_back_within_max_points(physician_client, patient):
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    add_readings(patient, "heart_rate", ((at, 60 + i % 30) for i, at in enumerate(every(start, dt.timedelta(minutes=1),
                                                                                          30 * 1440))))
    body = get(physician_client, patient, metric="heart_rate", start="2026-01-01T00:00:00Z", end="2026-01-31T00:00:00Z",
               max_points=1500).json()
    series = body["series"]["heart_rate"]
    assert series["raw_count"] == 43_200
    assert len(series["v"]) <= 1500
    assert min(series["v"]) == 60 and max(series["v"]) == 89


def test_a_spike_between_ordinary_readings_is_in_the_chart(physician_client, patient):
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    values = [72.0] * 20_000
    values[12_345] = 171.0
    add_readings(patient, "heart_rate", zip(every(start, dt.timedelta(minutes=1), 20_000), values, strict=True))
    body = get(physician_client, patient, metric="heart_rate", start="2026-01-01T00:00:00Z", end="2026-01-15T00:00:00Z",
               max_points=200).json()
    assert 171.0 in body["series"]["heart_rate"]["v"]


def test_range_is_start_inclusive_and_end_exclusive(physician_client, patient):
    start = dt.datetime(2026, 2, 1, tzinfo=UTC)
    add_readings(patient, "spo2", ((at, 97) for at in every(start, dt.timedelta(hours=1), 48)))
    body = get(physician_client, patient, metric="spo2", start="2026-02-01T10:00:00Z",
               end="2026-02-01T20:00:00Z").json()
    series = body["series"]["spo2"]
    assert series["raw_count"] == 10
    assert series["t"][0] == int(dt.datetime(2026, 2, 1, 10, tzinfo=UTC).timestamp() * 1000)


def test_a_date_range_on_the_spring_forward_day_covers_its_23_local_hours(physician_client, team):
    london = make_patient(team, timezone="Europe/London")
    add_readings(london, "heart_rate", ((at, 70) for at in every(dt.datetime(2026, 3, 28, tzinfo=UTC),
                                                                  dt.timedelta(hours=1), 72)))
    body = get(physician_client, london, metric="heart_rate", start="2026-03-29", end="2026-03-29").json()
    series = body["series"]["heart_rate"]
    assert series["raw_count"] == 23
    assert series["local"][0] == "2026-03-29T00:00:00"
    assert "2026-03-29T01:00:00" not in series["local"]  # the hour the clocks skip
    assert series["local"][-1] == "2026-03-29T23:00:00"


def test_local_times_are_the_patients_wall_clock(physician_client, team):
    new_york = make_patient(team, timezone="America/New_York")
    add_readings(new_york, "heart_rate", [(dt.datetime(2026, 7, 1, 12, tzinfo=UTC), 70)])
    body = get(physician_client, new_york, metric="heart_rate", start="2026-07-01", end="2026-07-01").json()
    assert body["series"]["heart_rate"]["local"] == ["2026-07-01T08:00:00"]


def test_a_zoomed_range_without_offset_is_read_in_the_patients_zone(physician_client, team):
    new_york = make_patient(team, timezone="America/New_York")
    add_readings(new_york, "heart_rate", [(dt.datetime(2026, 7, 1, 12, tzinfo=UTC), 70),
                                          (dt.datetime(2026, 7, 1, 14, tzinfo=UTC), 71)])
    body = get(physician_client, new_york, metric="heart_rate", start="2026-07-01 07:30:00",
               end="2026-07-01 09:00").json()
    assert body["series"]["heart_rate"]["v"] == [70]


def test_blood_pressure_brings_systolic_and_diastolic_together(physician_client, patient):
    at = dt.datetime(2026, 1, 5, 8, tzinfo=UTC)
    add_readings(patient, "systolic_bp", [(at, 142)])
    add_readings(patient, "diastolic_bp", [(at, 91)])
    body = get(physician_client, patient, metric="blood_pressure", start="2026-01-05", end="2026-01-05").json()
    assert body["series"]["systolic_bp"]["v"] == [142]
    assert body["series"]["diastolic_bp"]["v"] == [91]


def test_glucose_comes_with_time_in_range(physician_client, patient):
    start = dt.datetime(2026, 1, 5, tzinfo=UTC)
    add_readings(patient, "blood_glucose", zip(every(start, dt.timedelta(minutes=5), 4), [50, 65, 120, 260],
                                               strict=True))
    body = get(physician_client, patient, metric="blood_glucose", start="2026-01-05", end="2026-01-05").json()
    assert body["series"]["blood_glucose"]["time_in_range"] == {
        "very_low": 25.0, "low": 25.0, "in_range": 25.0, "high": 0.0, "very_high": 25.0}


@pytest.mark.parametrize(("params", "field"), [
    ({"metric": "mood"}, "metric"),
    ({"metric": "heart_rate", "start": "yesterday"}, "start"),
    ({"metric": "heart_rate", "start": "2026-01-02", "end": "2026-01-01"}, "end"),
    ({"metric": "heart_rate", "max_points": "lots"}, "max_points"),
    ({"metric": "heart_rate", "max_points": "1"}, "max_points"),
    ({"metric": "heart_rate", "start": "2020-01-01", "end": "2026-01-01"}, "start"),
])
def test_bad_query_is_a_400_naming_the_parameter(physician_client, patient, params, field):
    response = get(physician_client, patient, **params)
    assert response.status_code == 400
    assert field in errors_of(response)


def test_viewing_a_chart_is_audited(physician_client, patient, physician):
    get(physician_client, patient, metric="spo2")
    assert AuditEvent.objects.filter(actor=physician, patient=patient, verb="patient.readings").exists()


def test_another_teams_physician_gets_404(patient):
    outsider = make_user("physician-other", role="physician", team=make_team("Ward Z"))
    c = Client()
    c.force_login(outsider)
    assert get(c, patient, metric="heart_rate").status_code == 404


def test_implausible_readings_are_left_out_of_the_series_and_listed_to_be_marked(physician_client, patient):
    from devices.models import Reading

    now = dt.datetime.now(dt.UTC)
    add_readings(patient, "spo2", [(now - dt.timedelta(hours=2), 96), (now - dt.timedelta(hours=1), 45)])
    Reading.objects.filter(value=45).update(quality="implausible")
    body = get(physician_client, patient, metric="spo2").json()
    assert body["series"]["spo2"]["v"] == [96]
    assert [(r["metric"], r["value"]) for r in body["implausible"]] == [("spo2", 45)]
