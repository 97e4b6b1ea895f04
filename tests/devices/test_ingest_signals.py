"""`readings_stored` is sent once per ingest call, after commit, with the new readings only."""

import threading

import pytest
from django.db import connection, transaction

from devices.ingest import ingest
from devices.models import Reading
from devices.signals import StoredReading, readings_stored
from tests.builders import make_device, make_patient, make_team


@pytest.fixture
def received():
    """A receiver that records each announcement and whether another connection could already see the rows."""
    calls = []

    def receiver(sender, readings, **kwargs):
        seen = []

        def look():
            seen.append(Reading.objects.filter(id__in=[r.id for r in readings]).count())
            connection.close()

        other = threading.Thread(target=look)
        other.start()
        other.join()
        calls.append({"readings": readings, "visible_elsewhere": seen[0]})

    readings_stored.connect(receiver, dispatch_uid="test-receiver")
    yield calls
    readings_stored.disconnect(dispatch_uid="test-receiver")


@pytest.fixture
def enrolled(transactional_db):
    patient = make_patient(make_team())
    device, token = make_device(patient=patient)
    return patient, device


def reading(now, message_id="m-1", **overrides):
    body = {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    body.update(overrides)
    return body


def run_ingest(patient, device, items, now):
    return ingest(patient_id=patient.pk, items=items, source="api", device_id=device.pk, device_kind=device.kind,
                  now=now)


def test_the_receiver_gets_the_stored_readings_once_they_are_committed(enrolled, received, now):
    patient, device = enrolled
    run_ingest(patient, device, [reading(now, "a"), reading(now, "b", value=80)], now)
    (call,) = received
    stored = list(Reading.objects.order_by("device_message_id"))
    assert call["readings"] == [
        StoredReading(id=r.id, patient_id=patient.pk, device_id=device.pk, metric="heart_rate", value=r.value,
                      measured_at=now)
        for r in stored
    ]
    assert call["visible_elsewhere"] == 2


def test_inside_a_callers_transaction_the_receiver_waits_for_its_commit(enrolled, received, now):
    patient, device = enrolled
    with transaction.atomic():
        run_ingest(patient, device, [reading(now)], now)
        assert received == []
    assert [len(call["readings"]) for call in received] == [1]
    assert received[0]["visible_elsewhere"] == 1


def test_a_rolled_back_ingest_announces_nothing(enrolled, received, now):
    patient, device = enrolled
    with transaction.atomic():
        run_ingest(patient, device, [reading(now)], now)
        transaction.set_rollback(True)
    assert received == []
    assert not Reading.objects.exists()


def test_duplicates_and_rejected_items_are_not_announced(enrolled, received, now):
    patient, device = enrolled
    run_ingest(patient, device, [reading(now, "a")], now)
    run_ingest(patient, device, [reading(now, "a"), reading(now, "b"), reading(now, "c", metric="nope")], now)
    assert [[r.id for r in call["readings"]] for call in received] == [
        [Reading.objects.get(device_message_id="a").id], [Reading.objects.get(device_message_id="b").id]
    ]


def test_nothing_is_announced_when_nothing_new_was_stored(enrolled, received, now):
    patient, device = enrolled
    run_ingest(patient, device, [reading(now, "a")], now)
    run_ingest(patient, device, [reading(now, "a")], now)
    run_ingest(patient, device, [reading(now, "z", unit="kg")], now)
    assert len(received) == 1


def test_a_failing_receiver_does_not_cost_the_device_its_answer(enrolled, now):
    patient, device = enrolled

    def broken(sender, readings, **kwargs):
        raise ConnectionError("redis is down")

    readings_stored.connect(broken, dispatch_uid="test-broken")
    try:
        outcome = run_ingest(patient, device, [reading(now)], now)
    finally:
        readings_stored.disconnect(dispatch_uid="test-broken")
    assert outcome.results[0].status == "created"
    assert Reading.objects.count() == 1
