"""Retries that race: the same message id posted at once from two threads, each with its own connection."""

import threading

import pytest
from django.db import connection
from django.test import Client

from devices.models import Reading
from tests.builders import make_device, make_patient, make_team


@pytest.fixture
def token(transactional_db):
    _, token = make_device(patient=make_patient(make_team()))
    return token


def post_at_once(token: str, bodies: list[dict]) -> list:
    """Post each body from its own thread, all released together; the responses in order."""
    start = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def send(n: int) -> None:
        client = Client(headers={"Authorization": f"Device {token}"})
        start.wait()
        try:
            responses[n] = client.post("/api/v1/readings/", bodies[n], content_type="application/json")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


def reading(now, message_id):
    return {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}


@pytest.mark.parametrize("attempt", range(5))
def test_the_same_id_posted_twice_at_once_is_stored_once(token, now, attempt):
    responses = post_at_once(token, [reading(now, f"race-{attempt}")] * 2)
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert Reading.objects.filter(device_message_id=f"race-{attempt}").count() == 1


def test_the_same_batch_posted_twice_at_once_stores_each_reading_once(token, now):
    batch = {"readings": [reading(now, f"race-{n}") for n in range(500)]}
    responses = post_at_once(token, [batch, batch])
    summaries = [r.json() for r in responses]
    assert sum(s["created"] for s in summaries) == 500
    assert sum(s["duplicates"] for s in summaries) == 500
    assert Reading.objects.count() == 500
