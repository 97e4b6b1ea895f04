"""/readyz/ notices when alerting has stalled (no worker answering, beat's schedule not running) and names the
part; /healthz/ stays a liveness check; the nurse dashboard says "alerts are delayed"."""

import datetime as dt
import re
import time

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from alerts import readiness
from alerts.tasks import beat_heartbeat
from tests.builders import make_patient, make_team, make_user
from tests.clinic.test_consumer import connected, drain, sign_in
from tests.conftest import errors_of, run_async


def readyz():
    return Client().get("/readyz/")


@pytest.fixture
def worker(transactional_db):
    """A real worker that the test itself stops (the conftest's celery_worker lives until the test ends)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    context = start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                           shutdown_timeout=20)
    context.__enter__()
    yield context
    context.__exit__(None, None, None)


def wait_for_heartbeat(since: dt.datetime) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        age = readiness.heartbeat_age()
        if age is not None and timezone.now() - age >= since:
            return
        time.sleep(0.05)
    raise AssertionError("the worker never ran the heartbeat")


def test_ready_while_a_worker_answers_and_beat_runs_then_503_naming_the_worker_once_it_stops(worker):
    cache.delete(readiness.HEARTBEAT_KEY)
    asked = timezone.now()
    beat_heartbeat.delay()  # as beat sends it
    wait_for_heartbeat(asked)
    response = readyz()
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "worker": "ok",
                                                           "beat": "ok"}}
    worker.__exit__(None, None, None)
    worker.__exit__ = lambda *args: None

    response = readyz()
    assert response.status_code == 503
    assert errors_of(response) == {"worker": "no Celery worker answered within 1 s"}
    assert response.json()["checks"]["database"] == "ok"
    assert Client().get("/healthz/").status_code == 200  # still alive: a liveness probe must not restart it


def test_503_naming_beat_when_its_schedule_has_not_run_for_too_long(worker):
    readiness.record_heartbeat(now=timezone.now() - dt.timedelta(seconds=600))
    response = readyz()
    assert response.status_code == 503
    (part, message), = errors_of(response).items()
    assert part == "beat" and re.fullmatch(r"beat's schedule last ran 60\d s ago", message)


def test_503_naming_beat_when_it_never_ran(worker):
    cache.delete(readiness.HEARTBEAT_KEY)
    response = readyz()
    assert response.status_code == 503 and "beat" in errors_of(response)


def test_beat_schedules_the_heartbeat_often_enough_for_the_limit():
    from django.conf import settings

    from config.celery import app

    entry = app.conf.beat_schedule["alerts-beat-heartbeat"]
    assert entry["task"] == "alerts.beat_heartbeat"
    assert entry["schedule"] * 3 <= settings.READY_BEAT_MAX_AGE_SECONDS


def banner(client) -> str:
    html = client.get("/").content.decode()
    return re.search(r'<p id="alerts-delayed-banner"[^>]*>', html).group(0)


def test_the_nurse_dashboard_says_alerts_are_delayed_when_beat_has_stalled(nurse_client):
    readiness.record_heartbeat(now=timezone.now() - dt.timedelta(minutes=10))
    assert " hidden" not in banner(nurse_client)
    assert "Alerts are delayed" in nurse_client.get("/").content.decode()


def test_the_banner_stays_hidden_while_alerting_runs(nurse_client):
    readiness.record_heartbeat()
    assert " hidden" in banner(nurse_client)


@pytest.mark.django_db(transaction=True)
def test_an_open_dashboard_hears_when_alerts_become_delayed_and_when_they_recover(settings):
    """The socket's heartbeat carries the flag the page's banner follows, without a reload."""
    settings.LIVE_RECHECK_SECONDS = 0.2
    team = make_team("Ward H")
    make_patient(team)
    nurse = sign_in(make_user("nurse-h", role="nurse", team=team))
    readiness.record_heartbeat()

    async def scenario():
        comm = await connected(nurse)
        before = [e for e in await drain(comm, seconds=0.5) if e["type"] == "heartbeat"]
        await database_sync_to_async(readiness.record_heartbeat)(now=timezone.now() - dt.timedelta(minutes=10))
        after = [e for e in await drain(comm, seconds=0.6) if e["type"] == "heartbeat"]
        await comm.disconnect()
        return before, after

    before, after = run_async(scenario)
    assert before and not any(e["alerts_delayed"] for e in before)
    assert after and after[-1]["alerts_delayed"] is True
