"""simulate: live readings from the demo devices through the real HTTP ingest API."""

import random
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command

from demo import data as demo
from demo import simulator
from devices.models import Reading
from tests.conftest import BASE_DIR, server_env


@pytest.fixture
def demo_devices(live_server_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RPM_VAR_DIR", str(tmp_path))
    call_command("seed_demo", password="demo-password-for-tests", patients=3, days=1)
    return demo.tokens_path()


def live_readings():
    return Reading.objects.filter(source=Reading.Source.DEVICE_API)


def test_simulate_for_a_few_seconds_stores_readings_through_the_api(live_server_url, demo_devices):
    call_command("simulate", url=live_server_url, rate=10, duration=3, tokens=demo_devices)
    assert live_readings().count() >= 10
    assert live_readings().filter(device_message_id__startswith="sim-").count() == live_readings().count()


def test_simulated_readings_land_on_the_devices_patients(live_server_url, demo_devices):
    call_command("simulate", url=live_server_url, rate=10, duration=2, tokens=demo_devices)
    for reading in live_readings().select_related("device"):
        assert reading.device.assignments.get(ended_at__isnull=True).patient_id == reading.patient_id


def read_answer(upstream: socket.socket) -> bytes:
    """One whole HTTP answer (a server may send its head and its body in separate writes)."""
    answer = upstream.recv(65536)
    while b"\r\n\r\n" not in answer:
        answer += upstream.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length")), b"0"))
    while len(body) < length:
        body += upstream.recv(65536)
    return head + b"\r\n\r\n" + body


class DropFirstAnswer:
    """A TCP relay that forwards the first request but closes the connection before the answer arrives,
    as a network fault after the server has stored the message would."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._relay, args=(client, self.connections == 1), daemon=True).start()

    def _relay(self, client: socket.socket, drop: bool):
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            client.settimeout(5)
            upstream.settimeout(5)
            request = client.recv(65536)
            while b"\r\n\r\n" not in request:
                request += client.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += client.recv(65536)
            upstream.sendall(head + b"\r\n\r\n" + body)
            answer = read_answer(upstream)
            if not drop:
                client.sendall(answer)

    def close(self):
        self.listener.close()


def test_a_retry_after_a_lost_answer_reuses_the_ids_and_is_stored_once(live_server_url, demo_devices):
    relay = DropFirstAnswer(int(live_server_url.rsplit(":", 1)[1]))
    device = next(simulator.SimulatedDevice.from_entry(e) for e in demo.read_tokens(demo_devices)
                  if e["kind"] == "blood_pressure_monitor")
    message = simulator.build_message(device, now=simulator.dt.datetime.now(simulator.dt.UTC),
                                      rng=random.Random(7), anomaly=False)
    tally = simulator.Tally()
    try:
        answer = simulator.send(f"http://127.0.0.1:{relay.port}/api/v1/readings/", device, message,
                                stop=threading.Event(), tally=tally, log=lambda line: None)
    finally:
        relay.close()
    assert tally.retries == 1
    assert answer["duplicates"] == len(message["readings"])
    ids = [r["id"] for r in message["readings"]]
    assert live_readings().filter(device_message_id__in=ids).count() == len(ids)


def test_simulate_exits_cleanly_on_sigterm(live_server_url, demo_devices):
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "simulate", "--url", live_server_url, "--rate", "5",
         "--tokens", str(demo_devices)],
        cwd=BASE_DIR, env=server_env() | {"PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert "Simulating" in proc.stdout.readline()
        deadline = time.monotonic() + 20
        while not live_readings().exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # waiting for another process's first post, not for time-based logic
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Stopped after" in out
