"""More than one of everything: two web processes and two Celery workers, each a separate process, on one database
and one Redis. A reading posted to one web process reaches a dashboard connected to the other, and workers
evaluating at the same time raise each alert once."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from alerts.defaults import install_default_rules
from alerts.models import Alert, AlertRule
from devices.models import Reading
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import free_port, server_env, wait_for_port, web_server_command
from tests.processes import Process, celery_worker_command, dashboard, start_redis, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def post(base_url: str, token: str, reading: dict) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/readings/", data=json.dumps(reading).encode(),
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def events_of(ws, *, until, timeout: float = 30) -> list[dict]:
    """Every event the socket receives until `until(events)` holds."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while not until(events):
        assert time.monotonic() < deadline, f"still waiting after {timeout}s; got {events}"
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        events += frame["events"] if frame["type"] == "batch" else [frame]
    return events


@pytest.fixture
def cluster_of_processes():
    """Two web processes and two workers on a Redis of their own; yields their base URLs and the workers."""
    redis_port = free_port()
    env = {**server_env(), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "CHANNEL_PREFIX": "scale-out"}
    started: list[Process] = []
    try:
        started.append(start_redis(redis_port))
        ports = [free_port(), free_port()]
        for port in ports:
            started.append(Process(web_server_command(port), env=env, log_name=f"test-web-{port}.log"))
        workers = [Process(celery_worker_command(f"w{i}-{redis_port}"), env=env,
                           log_name=f"test-worker-{i}-{redis_port}.log") for i in (1, 2)]
        started += workers
        for port in ports:
            wait_for_port(port)
        yield [f"http://127.0.0.1:{port}" for port in ports], workers
    finally:
        for process in reversed(started):
            process.stop()


def test_a_reading_posted_to_one_web_process_reaches_a_dashboard_on_the_other(cluster_of_processes):
    (web_a, web_b), _ = cluster_of_processes
    team = make_team("Ward Scale")
    nurse = make_user("nurse-scale", team=team)
    patient = make_patient(team)
    _, token = make_device(patient=patient)

    with dashboard(web_b, nurse) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        assert post(web_a, token, {"id": "across-1", "metric": "heart_rate", "value": 77, "unit": "/min",
                                   "measured_at": now_iso()}) == 201
        events = events_of(ws, until=lambda seen: any(e["type"] == "reading" for e in seen))

    reading = Reading.objects.get(patient=patient)
    assert [(e["id"], e["patient"], e["metric"], e["value"]) for e in events if e["type"] == "reading"] == [
        (reading.id, patient.id, "heart_rate", 77.0)]


def test_two_workers_evaluating_at_once_raise_each_alert_once(cluster_of_processes):
    webs, workers = cluster_of_processes
    install_default_rules(AlertRule)
    team = make_team("Ward Busy")
    nurse = make_user("nurse-busy", team=team)
    patients = [make_patient(team, conditions=["virtual_ward"]) for _ in range(8)]
    tokens = [make_device("pulse_oximeter", patient=p)[1] for p in patients]
    # every patient's oximeter posts low SpO2 several times, to both web processes at once: many small groups,
    # many evaluation tasks for the same patients, taken by two workers in parallel
    posts = [(webs[i % 2], tokens[p], {"id": f"low-{p}-{i}", "metric": "spo2", "value": 84 - i % 3, "unit": "%",
                                       "measured_at": now_iso()})
             for i in range(6) for p in range(len(patients))]

    with dashboard(webs[0], nurse) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda args: post(*args), posts))
        assert statuses == [201] * len(posts)
        wait_for(lambda: not Reading.objects.filter(evaluated_at__isnull=True).exists(), timeout=60)
        events = events_of(ws, until=lambda seen: len({e["patient"] for e in seen if e.get("event") == "opened"})
                           == len(patients))

    alerts = Alert.objects.filter(rule__name="SpO2 low")
    assert sorted(a.patient_id for a in alerts) == sorted(p.id for p in patients)
    opened = [e["id"] for e in events if e["type"] == "alert" and e["event"] == "opened"]
    assert sorted(opened) == sorted(a.id for a in alerts)
    # both workers took part: otherwise this would say nothing about concurrent workers
    for worker in workers:
        assert "alerts.evaluate_readings" in worker.output()
