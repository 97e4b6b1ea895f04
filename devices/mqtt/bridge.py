"""The MQTT bridge: subscribes to every device's readings topic on the broker, hands each message to
devices.mqtt.messages.handle() and publishes the answer to the device's results topic.

QoS 1 with a persistent session and manual acknowledgement: a message is acknowledged to the broker only once it
is stored (or refused) and its answer is published, so a bridge that dies mid-message gets it again from the
broker, and the device message ids make that redelivery store nothing twice.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass

import orjson
import paho.mqtt.client as mqtt
from django.db import close_old_connections

from devices.mqtt.messages import handle

log = logging.getLogger(__name__)
QOS = 1


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"MQTT_URL must be mqtt://host:port or mqtts://host:port; got {url!r}")
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), tls,
                   urllib.parse.unquote(parts.username) if parts.username else None,
                   urllib.parse.unquote(parts.password) if parts.password else None)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def readings_topic(prefix: str, serial: str = "+") -> str:
    return f"{prefix}/devices/{serial}/readings"


def results_topic(prefix: str, serial: str) -> str:
    return f"{prefix}/devices/{serial}/results"


class Bridge:
    def __init__(self, *, broker: Broker, prefix: str, client_id: str):
        self.broker = broker
        self.prefix = prefix
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  manual_ack=True)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("MQTT broker %s refused the bridge: %s", self.broker, reason_code)
            return
        client.subscribe(readings_topic(self.prefix), qos=QOS)
        self.subscribed.set()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        parts = message.topic.split("/")
        serial = parts[-2] if len(parts) >= 3 else ""
        try:
            answer = handle(serial=serial, payload=message.payload)
        except Exception:  # a bug must not stop the bridge; the device is told and may resend
            log.exception("MQTT message could not be handled")
            answer = {"status": 500, "errors": [{"field": None, "message": "server error; it has been logged"}]}
        finally:
            close_old_connections()  # back to the pool between messages
        client.publish(results_topic(self.prefix, serial), orjson.dumps(answer), qos=QOS)
        client.ack(message.mid, message.qos)

    def run(self, stop: threading.Event) -> None:
        """Connect (retrying until the broker answers), then serve until `stop` is set."""
        while not stop.is_set():
            try:
                self.client.connect(self.broker.host, self.broker.port, keepalive=30)
                break
            except OSError as exc:
                log.warning("MQTT broker %s not reachable (%s); retrying", self.broker, exc)
                stop.wait(1)
        self.client.loop_start()
        try:
            stop.wait()
        finally:
            self.client.disconnect()
            self.client.loop_stop()


def wait_subscribed(bridge: Bridge, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not bridge.subscribed.is_set():
        bridge.subscribed.wait(0.1)
    return bridge.subscribed.is_set()
