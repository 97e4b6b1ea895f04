"""The whole path with real parts: a device posts over HTTP to a real web server (uvicorn), ingest enqueues one
task on the real Redis broker, a real Celery worker evaluates it, the alert row is written and
the alert event reaches a WebSocket client through the real Redis channel layer. And when Redis
is down as the reading arrives, the device still gets its 201 and the sweep raises the alert later.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request

import pytest
from celery import Celery
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from alerts.defaults import install_default_rules
from alerts.models import Alert, AlertRule
from devices.models import Reading
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import free_port, server_env, wait_for_port, web_server_command
from tests.processes import Process, celery_worker_command, start_redis, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def post_reading(base_url: str, token: str, **reading) -> tuple[int, dict, float]:
    request = urllib.request.Request(f"{base_url}/api/v1/readings/", data=json.dumps(reading).encode(),
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read()), time.monotonic() - started


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def ward():
    install_default_rules(AlertRule)
    team = make_team("Ward E2E")
    patient = make_patient(team, conditions=["virtual_ward"])
    nurse = make_user("nurse-e2e", role="nurse", team=team)
    _, token = make_device(patient=patient)
    return patient, nurse, token


def alert_events(ws, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        for event in frame["events"] if frame["type"] == "batch" else [frame]:
            if event["type"] == "alert":
                yield event


def test_a_reading_posted_over_http_raises_the_alert_row_and_the_event_on_a_dashboard_socket(
        celery_worker, live_server_url, ward):
    patient, nurse, token = ward
    client = Client()
    client.force_login(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws_url = live_server_url.replace("http://", "ws://") + "/ws/dashboard/"
    with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": live_server_url}) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        status, body, _ = post_reading(live_server_url, token, id="e2e-1", metric="respiratory_rate", value=6,
                                       unit="/min", measured_at=now_iso())
        assert status == 201
        event = next(alert_events(ws))
    alert = Alert.objects.get(patient=patient)
    assert (alert.severity, alert.reading_ids) == ("high", [body["id"]])
    assert (event["event"], event["id"], event["explanation"]) == ("opened", alert.id, alert.explanation)
    assert Reading.objects.get(id=body["id"]).evaluated_at is not None


def test_one_spot_check_reading_from_a_home_oximeter_opens_the_alert_and_reaches_the_dashboard(
        celery_worker, live_server_url, ward):
    patient, nurse, _ = ward
    _, token = make_device("pulse_oximeter", patient=patient)
    client = Client()
    client.force_login(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws_url = live_server_url.replace("http://", "ws://") + "/ws/dashboard/"
    with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": live_server_url}) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        status, body, _ = post_reading(live_server_url, token, id="spot-1", metric="spo2", value=84, unit="%",
                                       measured_at=now_iso())
        assert status == 201
        event = next(alert_events(ws))
    alert = Alert.objects.get(patient=patient)
    assert (alert.rule.name, alert.severity, alert.reading_ids) == ("SpO2 low", "high", [body["id"]])
    assert (event["event"], event["id"], event["explanation"]) == ("opened", alert.id, "SpO2 84 %, at or below 88 %")


def test_with_redis_down_the_device_gets_201_and_the_sweep_raises_the_alert_once_redis_is_back(ward):
    patient, _, token = ward
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**server_env(), "REDIS_URL": redis_url, "CHANNEL_PREFIX": "alr-outage"}
    started: list[Process] = []
    try:
        started.append(redis := start_redis(redis_port))
        started.append(Process(web_server_command(web_port), env=env, log_name=f"test-web-{web_port}.log"))
        wait_for_port(web_port)
        base = f"http://127.0.0.1:{web_port}"

        redis.stop()
        status, body, seconds = post_reading(base, token, id="outage-1", metric="respiratory_rate", value=6,
                                             unit="/min", measured_at=now_iso())
        assert status == 201
        # not a speed check: a broker retrying forever would leave the device hanging (measured: about 0.25 s)
        assert seconds < 10, f"the device waited {seconds:.1f}s for its answer"
        reading = Reading.objects.get(id=body["id"])
        assert reading.evaluated_at is None and not Alert.objects.exists()

        started.append(start_redis(redis_port))
        started.append(Process(celery_worker_command("outage"), env=env, log_name=f"test-worker-{redis_port}.log"))
        Celery(broker=redis_url).send_task("alerts.sweep_unevaluated", kwargs={"min_age_seconds": 0})
        alert = wait_for(lambda: Alert.objects.filter(patient=patient).first())
        assert alert.reading_ids == [reading.id] and alert.severity == "high"
        assert Reading.objects.get(id=reading.id).evaluated_at is not None
    finally:
        for process in reversed(started):
            process.stop()
