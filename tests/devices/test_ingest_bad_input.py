"""Every bad-input class of issue 2: a 4xx whose JSON body names the field, and nothing stored."""

import datetime as dt

import orjson
import pytest
from django.test import Client, override_settings

from devices.ingest import REJECTED, ingest
from devices.models import Reading
from tests.builders import make_device
from tests.conftest import errors_of


def reading(now, **overrides):
    body = {"id": "m-1", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    body.update(overrides)
    return body


def post_raw(client, raw: bytes):
    return client.post("/api/v1/readings/", raw, content_type="application/json")


def post(client, body):
    return post_raw(client, orjson.dumps(body))


def assert_refused(response, field: str, status: int = 400) -> dict[str | None, str]:
    """The refusal names `field`, either as the request's problem or as the one reading's problem.
    Returns the refusal's messages by field."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    errors = errors_of(response)
    assert field in errors, errors
    assert not Reading.objects.exists()
    return errors


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"id": "m-1", ', b"\xff\xfe", b"{'single': 'quotes'}"])
def test_a_body_that_is_not_json_is_refused(device_client, raw):
    assert_refused(post_raw(device_client, raw), "body")


@pytest.mark.parametrize("body", [[{"id": "m-1"}], "reading", 72, None, True])
def test_a_body_that_is_neither_a_reading_nor_a_batch_is_refused(device_client, body):
    assert_refused(post(device_client, body), "body")


@pytest.mark.parametrize("readings", [{"id": "m-1"}, "m-1", None, []])
def test_readings_that_are_not_a_non_empty_list_are_refused(device_client, readings):
    assert_refused(post(device_client, {"readings": readings}), "readings")


def test_a_batch_over_five_thousand_items_is_too_large(device_client, now):
    items = [reading(now, id=f"m-{n}") for n in range(5001)]
    refusal = assert_refused(post(device_client, {"readings": items}), "readings", status=413)
    assert "5000" in refusal["readings"]


@override_settings(INGEST_MAX_BODY_BYTES=2000, DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_a_body_over_the_size_limit_is_too_large(device_client, now):
    items = [reading(now, id=f"m-{n}") for n in range(30)]
    assert_refused(post(device_client, {"readings": items}), "body", status=413)


@pytest.mark.parametrize("field", ["id", "metric", "value", "unit", "measured_at"])
def test_a_missing_field_is_named(device_client, now, field):
    body = reading(now)
    del body[field]
    refusal = assert_refused(post(device_client, body), field)
    assert refusal[field].startswith("is required")


def test_an_unknown_metric_is_refused(device_client, now):
    refusal = assert_refused(post(device_client, reading(now, metric="blood_sugar")), "metric")
    assert "unknown metric" in refusal["metric"]


@pytest.mark.parametrize(("metric", "unit"), [("heart_rate", "kg"), ("body_temperature", "K"), ("spo2", "mmHg")])
def test_a_unit_not_accepted_for_the_metric_is_refused(device_client, now, metric, unit):
    refusal = assert_refused(post(device_client, reading(now, metric=metric, value=37, unit=unit)), "unit")
    assert "is not accepted for" in refusal["unit"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"])
def test_a_value_that_is_not_a_finite_number_is_refused(device_client, now, literal):
    raw = orjson.dumps(reading(now, value=0)).replace(b'"value":0', b'"value":' + literal)
    refusal = assert_refused(post_raw(device_client, raw), "value")
    assert refusal["value"] == "must be a finite number"


@pytest.mark.parametrize("value", ["72", True, False, [72], {"v": 72}])
def test_a_value_that_is_not_a_number_is_refused(device_client, now, value):
    refusal = assert_refused(post(device_client, reading(now, value=value)), "value")
    assert refusal["value"] == "must be a number"


@pytest.mark.parametrize(
    ("metric", "value", "unit"),
    [("heart_rate", 19, "/min"), ("heart_rate", 301, "/min"), ("spo2", 101, "%"), ("spo2", 1.2, "1"),
     ("body_temperature", 120, "[degF]"), ("body_temperature", 24.9, "Cel"), ("systolic_bp", -5, "mm[Hg]")],
)
def test_a_value_outside_the_plausible_range_is_refused(device_client, now, metric, value, unit):
    refusal = assert_refused(post(device_client, reading(now, metric=metric, value=value, unit=unit)), "value")
    assert "outside the plausible range" in refusal["value"]


def test_a_weight_given_in_grams_is_checked_against_the_range_after_conversion(patient, now):
    _, token = make_device("weight_scale", patient=patient)
    client = Client(headers={"Authorization": f"Device {token}"})
    assert_refused(post(client, reading(now, metric="body_weight", value=400, unit="g")), "value")


@pytest.mark.parametrize("when", ["2026-11-22T10:00:00", "2026-11-22", "yesterday", "", 1763805600])
def test_measured_at_that_is_not_a_date_time_with_a_time_zone_is_refused(device_client, now, when):
    assert_refused(post(device_client, reading(now, measured_at=when)), "measured_at")


def test_measured_at_without_a_time_zone_says_so(device_client, now):
    naive = now.replace(tzinfo=None).isoformat()
    refusal = assert_refused(post(device_client, reading(now, measured_at=naive)), "measured_at")
    assert "time zone" in refusal["measured_at"]


def test_measured_at_more_than_five_minutes_ahead_is_refused(device_client, now):
    ahead = now + dt.timedelta(minutes=6)
    refusal = assert_refused(post(device_client, reading(now, measured_at=ahead.isoformat())), "measured_at")
    assert "future" in refusal["measured_at"]


def test_measured_at_older_than_the_backfill_window_is_refused(device_client, now):
    old = now - dt.timedelta(days=31)
    refusal = assert_refused(post(device_client, reading(now, measured_at=old.isoformat())), "measured_at")
    assert "backfill" in refusal["measured_at"]


@pytest.mark.parametrize(("offset", "status"), [(dt.timedelta(minutes=5), "created"),
                                               (dt.timedelta(minutes=5, seconds=1), REJECTED)])
def test_the_future_tolerance_is_five_minutes_exactly(patient, offset, status):
    clock = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
    outcome = ingest(patient_id=patient.pk, items=[reading(clock, measured_at=(clock + offset).isoformat())],
                     source="manual", now=clock)
    assert outcome.results[0].status == status


@pytest.mark.parametrize(("age", "status"), [(dt.timedelta(days=30), "created"),
                                            (dt.timedelta(days=30, seconds=1), REJECTED)])
def test_the_backfill_window_is_thirty_days_exactly(patient, age, status):
    clock = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
    outcome = ingest(patient_id=patient.pk, items=[reading(clock, measured_at=(clock - age).isoformat())],
                     source="manual", now=clock)
    assert outcome.results[0].status == status


def test_a_repeated_id_within_one_batch_is_refused_for_the_repeat(device_client, now):
    response = post(device_client, {"readings": [reading(now), reading(now, value=80)]})
    assert response.status_code == 200
    assert response.json()["results"][1]["errors"] == {"id": "appears more than once in this batch"}
    assert Reading.objects.get().value == 72.0


@pytest.mark.parametrize(("kind", "metric", "unit"), [("thermometer", "heart_rate", "/min"),
                                                     ("glucometer", "spo2", "%"),
                                                     ("pulse_oximeter", "systolic_bp", "mm[Hg]")])
def test_a_metric_the_device_kind_does_not_report_is_refused(patient, now, kind, metric, unit):
    _, token = make_device(kind, patient=patient)
    client = Client(headers={"Authorization": f"Device {token}"})
    refusal = assert_refused(post(client, reading(now, metric=metric, value=90, unit=unit)), "metric")
    assert refusal["metric"] == f"a {kind} does not report {metric}"


@pytest.mark.parametrize("message_id", ["", "x" * 101, {"n": 1}, [1], True, 1.5, "a\u0000b"])
def test_an_id_that_cannot_serve_as_a_message_id_is_refused(device_client, now, message_id):
    assert_refused(post(device_client, reading(now, id=message_id)), "id")


def test_an_id_with_a_lone_surrogate_is_refused(device_client, now):
    raw = orjson.dumps(reading(now, value=0)).replace(b'"value":0', b'"value":NaN').replace(b'"m-1"', b'"\\ud800"')
    refusal = assert_refused(post_raw(device_client, raw), "id")
    assert set(refusal) == {"id", "value"}


def test_a_reading_that_is_not_an_object_is_refused_within_a_batch(device_client, now):
    response = post(device_client, {"readings": [reading(now), "heart_rate=72"]})
    assert response.json()["results"][1] == {"index": 1, "status": "rejected",
                                             "errors": {"reading": "must be a JSON object"}}
    assert Reading.objects.count() == 1
