"""The device hot path as devices really reach it: POST /api/v1/readings/ on a real web server, through the lean
ASGI path (devices.device_asgi) whose group commit answers concurrent posts together. Every post is answered as if
it had come alone, and only once its readings are committed."""

import datetime as dt
import http.client
import threading
import urllib.parse

import orjson
import pytest
from django.db import connection

from devices.credentials import revoke_tokens
from devices.device_api import DevicePost, answer_posts
from devices.models import IngestRejection, Reading
from devices.signals import readings_stored
from tests.builders import make_device, make_patient, make_team


def post(base_url: str, token: str, body, *, host: str | None = None, raw: bytes | None = None
         ) -> tuple[int, dict, dict]:
    """(status, JSON body, headers) of one POST over its own HTTP connection."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        headers = {"Authorization": f"Device {token}", "Content-Type": "application/json"}
        if host:
            headers["Host"] = host
        conn.request("POST", "/api/v1/readings/", body=raw if raw is not None else orjson.dumps(body),
                     headers=headers)
        response = conn.getresponse()
        return response.status, orjson.loads(response.read()), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def reading(message_id: str, **overrides) -> dict:
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    return {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min",
            "measured_at": at.isoformat().replace("+00:00", "Z"), **overrides}


def at_once(calls: list) -> list:
    """Run each call on its own thread, all released together; their results in order."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = calls[n]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def ward(transactional_db):
    team = make_team("Ward G")
    patients = [make_patient(team) for _ in range(3)]
    devices = [make_device(patient=patients[n % 3]) for n in range(6)]
    return patients, devices


def test_concurrent_posts_are_each_answered_as_if_they_came_alone(live_server_url, ward):
    patients, devices = ward
    token_a, token_b = devices[0][1], devices[1][1]
    status, _, _ = post(live_server_url, token_a, reading("kept"))
    assert status == 201
    retired, retired_token = make_device(patient=patients[2])
    revoke_tokens(device=retired)
    calls = [lambda n=n: post(live_server_url, devices[n % 6][1], reading(f"burst-{n}", value=60 + n))
             for n in range(24)]
    calls += [
        lambda: post(live_server_url, token_a, reading("kept")),  # a retry of a stored reading
        lambda: post(live_server_url, token_b, reading("bad", unit="kg")),
        lambda: post(live_server_url, retired_token, reading("from-a-revoked-token")),
        lambda: post(live_server_url, token_b, {"readings": [reading("b1"), reading("b2", metric="nope")]}),
        lambda: post(live_server_url, token_b, None, raw=b"{not json"),
    ]
    answers = at_once(calls)

    for n, (status, body, _) in enumerate(answers[:24]):
        assert status == 201, body
        row = Reading.objects.get(id=body["id"])
        assert (row.device_message_id, row.value, row.patient_id) == (f"burst-{n}", 60 + n, patients[n % 3].id)
    retry, bad_unit, revoked, batch, not_json = (a[:2] for a in answers[24:])
    assert retry == (200, {"status": "duplicate"})
    assert bad_unit[0] == 400 and bad_unit[1]["status"] == "rejected" and "unit" in bad_unit[1]["errors"]
    assert revoked[0] == 401 and revoked[1]["errors"][0]["field"] == "Authorization"
    assert batch[0] == 200 and (batch[1]["created"], batch[1]["rejected"]) == (1, 1)
    assert not_json[0] == 400 and not_json[1]["field"] == "body"
    assert Reading.objects.filter(device_message_id="kept").count() == 1
    assert Reading.objects.count() == 1 + 24 + 1
    assert set(IngestRejection.objects.values_list("device_message_id", flat=True)) == {"bad", "b2"}


def test_the_same_message_posted_at_once_by_one_device_is_stored_once(live_server_url, ward):
    _, devices = ward
    _, token = devices[0]
    answers = at_once([lambda: post(live_server_url, token, reading("twice"))] * 6)
    assert sorted(status for status, _, _ in answers) == [200] * 5 + [201]
    assert Reading.objects.filter(device_message_id="twice").count() == 1


def test_a_post_answered_as_stored_is_already_visible_to_everyone_else(live_server_url, ward):
    _, devices = ward

    def post_then_look(n: int):
        status, body, _ = post(live_server_url, devices[n % 6][1], reading(f"seen-{n}"))
        return status, Reading.objects.filter(id=body.get("id")).exists()

    assert at_once([lambda n=n: post_then_look(n) for n in range(12)]) == [(201, True)] * 12


def test_a_revoked_credential_is_refused_from_the_very_next_post(live_server_url, ward):
    _, devices = ward
    device, token = devices[0]
    assert post(live_server_url, token, reading("before"))[0] == 201
    revoke_tokens(device=device)
    status, body, _ = post(live_server_url, token, reading("after"))
    assert status == 401 and body["error"] == "unknown or revoked device credential"
    assert not Reading.objects.filter(device_message_id="after").exists()


def test_the_lean_path_answers_with_the_security_headers_django_adds(live_server_url, ward):
    _, devices = ward
    url = urllib.parse.urlsplit(live_server_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("GET", "/api/v1/readings/")  # not a POST: answered by Django, through its middleware
    through_django = conn.getresponse()
    through_django.read()
    conn.close()
    assert through_django.status == 405
    transport = {"content-length", "date", "server", "vary", "connection", "transfer-encoding", "allow"}
    expected = {k.lower(): v for k, v in through_django.getheaders() if k.lower() not in transport}

    _, _, headers = post(live_server_url, devices[0][1], reading("headers"))
    assert {k: v for k, v in headers.items() if k not in transport} == expected


def test_a_host_the_server_does_not_serve_is_refused(live_server_url, ward):
    _, devices = ward
    status, body, _ = post(live_server_url, devices[0][1], reading("h"), host="rpm.attacker.example")
    assert status == 400 and body["errors"] == [{"field": "Host", "message": body["error"]}]
    assert not Reading.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_stored(live_server_url, ward):
    _, devices = ward
    big = {"readings": [reading(f"big-{n}", note="x" * 200) for n in range(12_000)]}
    status, body, _ = post(live_server_url, devices[0][1], big)
    assert status == 413 and body["field"] == "body"
    assert not Reading.objects.exists()


@pytest.fixture
def announcements():
    calls = []

    def receiver(sender, readings, **kwargs):
        calls.append(list(readings))

    readings_stored.connect(receiver, dispatch_uid="test-group-announcements")
    yield calls
    readings_stored.disconnect(dispatch_uid="test-group-announcements")


def test_posts_answered_together_are_stored_and_announced_once_after_one_commit(ward, announcements):
    patients, devices = ward
    posts = [DevicePost(f"Device {token}", orjson.dumps(reading(f"g-{n}", value=70 + n)))
             for n, (_, token) in enumerate(devices)]
    answers = answer_posts(posts)
    assert [a.status for a in answers] == [201] * 6
    (announced,) = announcements
    assert [(r.id, r.patient_id, r.value) for r in announced] == [
        (orjson.loads(a.body)["id"], patients[n % 3].id, 70 + n) for n, a in enumerate(answers)]
