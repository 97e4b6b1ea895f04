import time

import orjson
import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings

from devices import rate_limit
from devices.device_api import DevicePost, answer_posts
from devices.models import Reading
from tests.builders import make_device


@pytest.fixture(autouse=True)
def fresh_counters():
    """Counters of an earlier run (device ids repeat across test databases) must not count here."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys("rpm:rate:device:*")
    if keys:
        client.delete(*keys)


def post(client, now, n):
    body = {"id": f"m-{n}", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    return client.post("/api/v1/readings/", body, content_type="application/json")


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=2)
def test_a_device_over_its_rate_limit_gets_429_and_nothing_stored(device_client, now):
    assert [post(device_client, now, n).status_code for n in range(2)] == [201, 201]
    response = post(device_client, now, 2)
    assert response.status_code == 429
    assert "rate limit" in response.json()["error"]
    assert Reading.objects.count() == 2


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=1)
def test_one_device_over_its_limit_does_not_slow_another(device_client, patient, now):
    post(device_client, now, 0)
    assert post(device_client, now, 1).status_code == 429
    _, token = make_device(patient=patient)
    assert post(Client(headers={"Authorization": f"Device {token}"}), now, 0).status_code == 201


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=3)
def test_the_limit_counts_per_minute_and_starts_again_the_next(device_token):
    device, _ = device_token
    minute = (time.time() // 60 + 10) * 60  # a minute no other test uses
    assert [rate_limit.allow(device.pk, now=minute + s) for s in (0, 20, 40, 59)] == [True, True, True, False]
    assert rate_limit.allow(device.pk, now=minute + 60)


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=3)
def test_posts_answered_together_are_counted_in_the_order_they_came(device_token, patient, now):
    """A group commit counts many posts in one round trip: a device's fourth post of the minute is refused, the
    first three and another device's are not."""
    _, first = device_token
    _, second = make_device(patient=patient)

    def body(n):
        return orjson.dumps({"id": f"g-{n}", "metric": "heart_rate", "value": 72, "unit": "/min",
                             "measured_at": now.isoformat()})

    posts = [DevicePost(f"Device {first}", body(n)) for n in range(4)] + [DevicePost(f"Device {second}", body(9))]
    assert [a.status for a in answer_posts(posts)] == [201, 201, 201, 429, 201]
    assert Reading.objects.count() == 4
