"""MQTT against real brokers (the embedded amqtt one, and Mosquitto where it runs on 127.0.0.1:1883) and the real
bridge process (`manage.py mqtt_bridge`) on the test database: a device publishes, the reading lands, the device
gets its result; topics under a prefix unique to this run."""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
import pytest

from config.ports import port_open
from devices.models import Device, Reading
from tests.builders import make_device
from tests.conftest import free_port, server_env, wait_for_port
from tests.processes import Process

pytestmark = pytest.mark.django_db(transaction=True)
PREFIX = f"rpmtest-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", params=["amqtt", "mosquitto"])
def broker(request):
    """(host, port) of a real broker: amqtt started here on a free port, or the machine's Mosquitto."""
    if request.param == "mosquitto":
        if not port_open(1883):
            pytest.skip("no Mosquitto on 127.0.0.1:1883")
        yield "127.0.0.1", 1883
        return
    port = free_port()
    broker = Process([sys.executable, "-m", "config.mqtt_broker", "--port", str(port)], env=dict(os.environ),
                     log_name=f"test-amqtt-{port}.log")
    try:
        wait_for_port(port)
        yield "127.0.0.1", port
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def bridge(broker, django_db_setup, django_db_blocker):
    host, port = broker
    with django_db_blocker.unblock():
        env = server_env()
    log_name = f"test-mqtt-bridge-{port}.log"
    bridge = Process([sys.executable, "manage.py", "mqtt_bridge", "--url", f"mqtt://{host}:{port}", "--prefix",
                      PREFIX, "--client-id", f"{PREFIX}-bridge-{port}"], env=env, log_name=log_name)
    try:
        deadline = time.monotonic() + 60  # the bridge says when it is subscribed; a message before that is lost
        while "subscribed to" not in bridge.output():
            assert bridge.proc.poll() is None and time.monotonic() < deadline, bridge.output()
            time.sleep(0.1)
        yield broker
    finally:
        bridge.stop()


class Device_:
    """A device's MQTT client: publish to its readings topic, read its results topic."""

    def __init__(self, host: str, port: int, serial: str):
        self.serial = serial
        self.answers: queue.Queue = queue.Queue()
        subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{PREFIX}-{serial}")
        self.client.on_message = lambda c, u, m: self.answers.put(orjson.loads(m.payload))
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe(f"{PREFIX}/devices/{serial}/results", qos=1)
        assert subscribed.wait(10), "the broker did not confirm the results subscription"

    def send(self, payload: dict, timeout: float = 30) -> dict:
        self.client.publish(f"{PREFIX}/devices/{self.serial}/readings", orjson.dumps(payload), qos=1)
        return self.answers.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def monitor(bridge, patient):
    device, token = make_device(patient=patient)
    client = Device_(*bridge, device.serial)
    yield device, token, client
    client.close()


def reading(now, message_id="mq-1", **overrides):
    return {"id": message_id, "metric": "spo2", "value": 94, "unit": "%", "measured_at": now.isoformat(),
            **overrides}


def test_a_published_reading_lands_and_the_device_gets_its_result(monitor, now, patient):
    device, token, client = monitor
    answer = client.send({"token": token, "ref": "batch-1", "readings": [reading(now)]})
    assert (answer["status"], answer["created"], answer["ref"]) == (200, 1, "batch-1")
    stored = Reading.objects.get()
    assert (stored.patient_id, stored.device_id, stored.metric, stored.value, stored.source) == (
        patient.id, device.id, "spo2", 94, "mqtt")


def test_the_same_message_twice_stores_one_reading(monitor, now):
    _, token, client = monitor
    message = {"token": token, "readings": [reading(now)]}
    first, again = client.send(message), client.send(message)
    assert (first["created"], again["created"], again["duplicates"]) == (1, 0, 1)
    assert Reading.objects.count() == 1


def test_a_single_reading_and_telemetry_are_taken_as_over_http(monitor, now):
    device, token, client = monitor
    answer = client.send({"token": token, **reading(now), "battery": 55, "signal_strength": 80})
    assert answer["created"] == 1
    device = Device.objects.get(pk=device.pk)
    assert (device.battery_level, device.signal_strength) == (55, 80)


def test_a_rejected_reading_is_named_in_the_result(monitor, now):
    _, token, client = monitor
    answer = client.send({"token": token, "readings": [reading(now, value=140)]})
    assert answer["rejected"] == 1 and "value" in answer["results"][0]["errors"]
    assert not Reading.objects.exists()


def test_a_wrong_token_is_refused_and_nothing_is_stored(monitor, now):
    _, _, client = monitor
    answer = client.send({"token": "rpmd_000000000000_nope", "readings": [reading(now)]})
    assert answer["status"] == 401 and answer["errors"][0]["field"] == "token"
    assert not Reading.objects.exists()


def test_another_devices_token_may_not_publish_for_this_serial(monitor, now, patient):
    _, _, client = monitor
    _, other_token = make_device(patient=patient)
    answer = client.send({"token": other_token, "readings": [reading(now)]})
    assert answer["status"] == 403 and not Reading.objects.exists()


def test_a_payload_that_is_not_json_is_answered(monitor):
    _, _, client = monitor
    client.client.publish(f"{PREFIX}/devices/{client.serial}/readings", b"{not json", qos=1)
    answer = client.answers.get(timeout=30)
    assert answer["status"] == 400 and answer["errors"][0]["field"] == "payload"
