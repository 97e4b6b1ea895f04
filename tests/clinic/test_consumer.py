"""The /ws/dashboard/ consumer through the real ASGI stack, fed over real Redis pub/sub (clinic.live.LiveHub)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from alerts.models import Alert, AlertRule
from clinic.live import push_alert, team_group
from config.asgi import application
from devices.ingest import ingest
from devices.models import Reading
from patients.models import CareTeamMembership
from tests.builders import make_patient, make_team, make_user
from tests.conftest import run_async

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")


def run(scenario):
    """Run an async scenario from a sync test (the consumer's DB calls need committed data)."""
    run_async(scenario)


COOKIES: dict[int, tuple[bytes, bytes]] = {}


def sign_in(user):
    """Make the user's session cookie now, in sync code: the scenarios run on an event loop, where a query
    would hold a pooled connection that is never handed back."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    COOKIES[user.pk] = (b"cookie", f"{name}={client.cookies[name].value}".encode())
    return user


def socket_for(user=None, *, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [h for h in (origin, COOKIES[user.pk] if user else None) if h]
    return WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)


async def events(comm, *, count: int = 1, timeout: float = 3) -> list[dict]:
    """The next `count` events, unpacking batches, skipping hello and heartbeat."""
    out: list[dict] = []
    while len(out) < count:
        frame = json.loads(await comm.receive_from(timeout=timeout))
        for event in frame["events"] if frame["type"] == "batch" else [frame]:
            if event["type"] not in ("hello", "heartbeat"):
                out.append(event)
    return out


async def connected(user) -> WebsocketCommunicator:
    comm = socket_for(user)
    ok, _ = await comm.connect(timeout=10)
    assert ok
    hello = json.loads(await comm.receive_from())
    assert hello["type"] == "hello"
    return comm


def store(patient, metric="heart_rate", value=72.0, *, at=None) -> int:
    at = at or dt.datetime.now(dt.UTC)
    outcome = ingest(patient_id=patient.id, source="manual", now=at,
                     items=[{"metric": metric, "value": value, "unit": "/min", "measured_at": at}])
    return outcome.results[0].reading_id


@pytest.fixture
def ward_a():
    team = make_team("Ward A")
    return team, sign_in(make_user("nurse1", team=team)), make_patient(team, given_name="Ada")


@pytest.fixture
def ward_b():
    team = make_team("Ward B")
    return team, sign_in(make_user("nurse2", team=team)), make_patient(team, given_name="Bea")


def test_unauthenticated_socket_is_closed():
    async def scenario():
        comm = socket_for(None)
        ok, _ = await comm.connect(timeout=10)
        assert not ok

    run(scenario)


def test_cross_origin_socket_is_closed(ward_a):
    _, nurse, _ = ward_a

    async def scenario():
        comm = socket_for(nurse, origin=(b"origin", b"http://evil.example"))
        ok, _ = await comm.connect(timeout=10)
        assert not ok

    run(scenario)


def test_socket_without_origin_is_closed(ward_a):
    _, nurse, _ = ward_a

    async def scenario():
        comm = socket_for(nurse, origin=None)
        ok, _ = await comm.connect(timeout=10)
        assert not ok

    run(scenario)


def test_hello_lists_only_the_nurses_patients(ward_a, ward_b):
    _, nurse1, patient_a = ward_a

    async def scenario():
        comm = socket_for(nurse1)
        await comm.connect(timeout=10)
        hello = json.loads(await comm.receive_from())
        await comm.disconnect()
        assert hello["patients"] == [patient_a.id]

    run(scenario)


def test_nurse_receives_a_reading_of_her_patient_after_commit(ward_a):
    _, nurse, patient = ward_a

    async def scenario():
        comm = await connected(nurse)
        reading_id = await database_sync_to_async(store)(patient, value=97)
        [event] = await events(comm)
        await comm.disconnect()
        assert event == {**event, "type": "reading", "id": reading_id, "patient": patient.id,
                         "metric": "heart_rate", "value": 97.0, "unit": "/min"}

    run(scenario)


def test_nurse2_never_receives_nurse1_patients(ward_a, ward_b):
    _, _, patient_a = ward_a
    _, nurse2, patient_b = ward_b

    async def scenario():
        comm = await connected(nurse2)
        await database_sync_to_async(store)(patient_a, value=150)
        await database_sync_to_async(store)(patient_b, value=60)
        received = await events(comm)
        await comm.disconnect()
        assert [e["patient"] for e in received] == [patient_b.id]
        assert await comm.receive_nothing(timeout=0.3)

    run(scenario)


def test_alert_event_reaches_the_care_team(ward_a):
    _, nurse, patient = ward_a

    def open_alert() -> Alert:
        rule = AlertRule.objects.create(name="HR high", kind="threshold", metric="heart_rate",
                                        params={"high": 130}, severity="high")
        now = dt.datetime.now(dt.UTC)
        alert = Alert.objects.create(patient=patient, rule=rule, metric="heart_rate", severity="high",
                                     explanation="Heart rate 140 /min, above 130", opened_at=now,
                                     last_triggered_at=now)
        push_alert(alert, "opened")
        return alert

    async def scenario():
        comm = await connected(nurse)
        alert = await database_sync_to_async(open_alert)()
        [event] = await events(comm)
        await comm.disconnect()
        assert (event["type"], event["event"], event["id"], event["severity"], event["state"]) == (
            "alert", "opened", alert.id, "high", "open")

    run(scenario)


def test_reconnecting_dashboard_is_sent_the_reading_it_missed(ward_a):
    _, nurse, patient = ward_a

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(store)(patient, value=80)
        [seen] = await events(comm)
        await comm.disconnect()
        missed_id = await database_sync_to_async(store)(patient, value=81)
        comm = await connected(nurse)
        await comm.send_to(text_data=json.dumps({"type": "resume", "since": seen["at"]}))
        caught_up = await events(comm, count=2)
        await comm.disconnect()
        assert missed_id in [e["id"] for e in caught_up if e["type"] == "reading"]

    run(scenario)


def test_catch_up_never_includes_another_teams_patients(ward_a, ward_b):
    _, _, patient_a = ward_a
    _, nurse2, patient_b = ward_b

    async def scenario():
        since = dt.datetime.now(dt.UTC).isoformat()
        await database_sync_to_async(store)(patient_a, value=150)
        await database_sync_to_async(store)(patient_b, value=61)
        comm = await connected(nurse2)
        await comm.send_to(text_data=json.dumps({"type": "resume", "since": since}))
        caught_up = await events(comm)
        await comm.disconnect()
        assert {e["patient"] for e in caught_up} == {patient_b.id}

    run(scenario)


def test_resume_with_nothing_missed_is_answered_with_an_empty_catch_up(ward_a):
    """The page (and a load generator) learns that its catch-up is complete even when there was nothing to send."""
    _, nurse, _ = ward_a

    async def scenario():
        comm = await connected(nurse)
        since = dt.datetime.now(dt.UTC).isoformat()
        await comm.send_to(text_data=json.dumps({"type": "resume", "since": since}))
        frame = json.loads(await comm.receive_from(timeout=3))
        await comm.disconnect()
        assert frame == {"type": "batch", "catch_up": True, "events": []}

    run(scenario)


def test_cursor_older_than_an_hour_asks_the_browser_to_reload(ward_a):
    _, nurse, _ = ward_a

    async def scenario():
        comm = await connected(nurse)
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
        await comm.send_to(text_data=json.dumps({"type": "resume", "since": since}))
        [event] = await events(comm)
        await comm.disconnect()
        assert event["type"] == "resync"

    run(scenario)


def test_malformed_client_message_is_answered_with_an_error(ward_a):
    _, nurse, _ = ward_a

    async def scenario():
        comm = await connected(nurse)
        await comm.send_to(text_data="{not json")
        [event] = await events(comm)
        await comm.disconnect()
        assert event["type"] == "error" and "resume" in event["error"]

    run(scenario)


def test_burst_of_readings_arrives_as_one_frame(ward_a):
    _, nurse, patient = ward_a

    def burst():
        now = dt.datetime.now(dt.UTC)
        ingest(patient_id=patient.id, source="manual", now=now, items=[
            {"metric": "heart_rate", "value": 70 + i, "unit": "/min", "measured_at": now - dt.timedelta(seconds=i)}
            for i in range(5)])

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(burst)()
        frame = json.loads(await comm.receive_from(timeout=3))
        await comm.disconnect()
        assert frame["type"] == "batch" and len(frame["events"]) == 5

    run(scenario)


def test_removal_from_care_team_takes_effect_without_reconnecting(ward_a, settings):
    settings.LIVE_RECHECK_SECONDS = 0.2
    _, nurse, patient = ward_a

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(CareTeamMembership.objects.filter(user=nurse).delete)()
        [event] = await events(comm)
        await database_sync_to_async(store)(patient, value=99)
        later = await drain(comm, seconds=1.0)
        await comm.disconnect()
        assert (event["type"], event["event"], event["patient"]) == ("patient", "removed", patient.id)
        assert [e for e in later if e["type"] not in ("heartbeat", "batch")] == []

    run(scenario)


async def drain(comm, *, seconds: float) -> list[dict]:
    """Every event that arrives within `seconds` (batches unpacked), heartbeats included."""
    import asyncio

    out: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if await comm.receive_nothing(timeout=min(left, 0.1)):
            continue
        frame = json.loads(await comm.receive_from())
        out.extend(frame["events"] if frame["type"] == "batch" else [frame])
    return out


def test_a_patient_moved_to_another_team_stops_streaming_to_the_old_teams_nurse(ward_a, ward_b, settings):
    settings.LIVE_RECHECK_SECONDS = 0.2
    _, nurse, patient = ward_a
    other_team, _, _ = ward_b

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(lambda: type(patient).objects.filter(pk=patient.pk).update(
            care_team=other_team))()
        [event] = await events(comm)
        await database_sync_to_async(store)(patient, value=99)
        later = await drain(comm, seconds=1.0)
        await comm.disconnect()
        assert (event["event"], event["patient"]) == ("removed", patient.id)
        assert [e for e in later if e.get("patient") == patient.id] == []

    run(scenario)


def test_patient_added_to_the_team_appears_without_reconnecting(ward_a, settings):
    settings.LIVE_RECHECK_SECONDS = 0.2
    team, nurse, _ = ward_a

    async def scenario():
        comm = await connected(nurse)
        newcomer = await database_sync_to_async(make_patient)(team, given_name="Cleo")
        [event] = await events(comm)
        await comm.disconnect()
        assert (event["type"], event["event"], event["tile"]["name"]) == ("patient", "added", newcomer.name)

    run(scenario)


def test_logged_out_session_closes_the_socket(ward_a, settings):
    settings.LIVE_RECHECK_SECONDS = 0.2
    _, nurse, _ = ward_a
    client = Client()
    client.force_login(nurse)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    async def scenario():
        comm = WebsocketCommunicator(application, "/ws/dashboard/", headers=[ORIGIN, cookie])
        await comm.connect(timeout=10)
        await comm.receive_from()
        await database_sync_to_async(client.logout)()
        output = await comm.receive_output(timeout=3)
        while output["type"] != "websocket.close":
            output = await comm.receive_output(timeout=3)
        assert output["code"] == 4401

    run(scenario)


def test_message_lost_by_the_layer_is_filled_from_the_database(ward_a):
    _, nurse, patient = ward_a

    def lose_one_message() -> int:
        # A reading stored while its push was lost: the group's sequence moved on, nothing was delivered.
        now = dt.datetime.now(dt.UTC)
        lost = Reading.objects.create(patient=patient, metric="heart_rate", value=55, unit="/min", measured_at=now,
                                      received_at=now, source="manual")
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        redis.Redis.from_url(settings.REDIS_URL).incr(f"{prefix}:seq:{team_group(patient.care_team_id)}")
        return lost.id

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(store)(patient, value=70)
        await events(comm)
        lost_id = await database_sync_to_async(lose_one_message)()
        await database_sync_to_async(store)(patient, value=71)
        received = await events(comm, count=3)
        await comm.disconnect()
        assert received[1] == {**received[1], "type": "gap", "lost": 1}
        assert lost_id in [e.get("id") for e in received[2:]]

    run(scenario)


def test_news2_of_a_patient_with_new_readings_is_refreshed_at_the_next_recheck(ward_a, settings):
    settings.LIVE_RECHECK_SECONDS = 0.3
    _, nurse, patient = ward_a

    def vitals():
        now = dt.datetime.now(dt.UTC)
        # RCP NEWS2 worked example 2: RR 22, SpO2 94, SBP 105, pulse 95, temp 38.4 -> 6, medium
        ingest(patient_id=patient.id, source="manual", now=now, items=[
            {"metric": m, "value": v, "unit": u, "measured_at": now} for m, v, u in [
                ("respiratory_rate", 22, "/min"), ("spo2", 94, "%"), ("systolic_bp", 105, "mm[Hg]"),
                ("heart_rate", 95, "/min"), ("body_temperature", 38.4, "Cel")]])

    async def scenario():
        comm = await connected(nurse)
        await database_sync_to_async(vitals)()
        received = await events(comm, count=6)
        await comm.disconnect()
        assert received[-1] == {"type": "patient", "event": "news2", "patient": patient.id,
                                "news2": {"score": 6, "risk": "medium"}}

    run(scenario)
