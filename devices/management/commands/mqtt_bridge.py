"""`python manage.py mqtt_bridge`: the MQTT bridge process (in the Procfile, started by `make run`)."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from devices.mqtt.bridge import Bridge, Broker, readings_topic, wait_subscribed


class Command(BaseCommand):
    help = "Ingest readings that devices publish over MQTT and publish each message's result."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL, help="the broker (default MQTT_URL)")
        parser.add_argument("--prefix", default=settings.MQTT_TOPIC_PREFIX, help="topic prefix (default rpm)")
        parser.add_argument("--client-id", default=settings.MQTT_CLIENT_ID)

    def handle(self, *args, url: str, prefix: str, client_id: str, **options):
        broker = Broker.from_url(url)
        bridge = Bridge(broker=broker, prefix=prefix, client_id=client_id)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        runner = threading.Thread(target=bridge.run, args=(stop,), name="mqtt-bridge")
        runner.start()
        if wait_subscribed(bridge, timeout=60):
            self.stdout.write(f"MQTT bridge on {broker}, subscribed to {readings_topic(prefix)}")
            self.stdout.flush()
        while runner.is_alive():
            runner.join(0.5)
