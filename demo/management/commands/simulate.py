"""python manage.py simulate [--url] [--rate R] [--duration S]: live readings from the demo devices over HTTP."""

import os
import random
import signal
import sys
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo import data as demo
from demo import simulator


class Command(BaseCommand):
    help = "Stream live readings for the enrolled demo devices through POST /api/v1/readings/ until stopped."

    def add_arguments(self, parser):
        port = os.environ.get("RPM_WEB_PORT") or os.environ.get("PORT") or "8000"
        parser.add_argument("--url", default=f"http://127.0.0.1:{port}", help="base URL of the running server")
        parser.add_argument("--rate", type=float, default=2.0, help="device messages a second (default 2)")
        parser.add_argument("--duration", type=float, default=None, help="seconds to run (default: until stopped)")
        parser.add_argument("--anomaly-rate", type=float, default=0.03, help="share of messages with an anomaly")
        parser.add_argument("--tokens", type=Path, default=None, help="demo device tokens file (from seed_demo)")

    def handle(self, *args, url, rate, duration, anomaly_rate, tokens, **options):
        if rate <= 0:
            raise CommandError("--rate must be more than 0")
        path = tokens or demo.tokens_path()
        if not path.exists():
            raise CommandError(f"no demo device tokens at {path}; run `python manage.py seed_demo` first")
        devices = [simulator.SimulatedDevice.from_entry(entry) for entry in demo.read_tokens(path)]
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        self.stdout.write(f"Simulating {len(devices)} devices against {url} at {rate:g} messages/s. Ctrl-C stops.")
        try:
            tally = simulator.run(url=url, devices=devices, rate=rate, duration=duration, stop=stop,
                                  rng=random.Random(), anomaly_rate=anomaly_rate, log=self._log)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"Stopped after {tally.messages} messages: {tally.created} readings stored, "
                          f"{tally.duplicates} duplicates, {tally.rejected} rejected, {tally.retries} retries.")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        sys.stdout.flush()
