"""Across processes: a reading posted over HTTP to a web server process reaches a WebSocket client of that server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import urllib.request

import pytest
import websockets
from django.conf import settings
from django.test import Client

from tests.builders import make_device, make_patient, make_team, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def post(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


async def first_reading(socket) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))
        for event in frame["events"] if frame["type"] == "batch" else [frame]:
            if event["type"] == "reading":
                return event


def test_reading_posted_over_http_reaches_a_websocket_client_of_the_server(live_server_url):
    team = make_team("Ward A")
    nurse = make_user("nurse1", team=team)
    patient = make_patient(team)
    _, token = make_device(patient=patient)
    client = Client()
    client.force_login(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws_url = live_server_url.replace("http://", "ws://") + "/ws/dashboard/"

    async def scenario() -> tuple[dict, dict]:
        async with websockets.connect(ws_url, origin=live_server_url, additional_headers={"Cookie": cookie}) as socket:
            hello = json.loads(await socket.recv())
            assert hello["type"] == "hello"
            answer = await asyncio.to_thread(post, f"{live_server_url}/api/v1/readings/", token, {
                "id": "cross-1", "metric": "spo2", "value": 91, "unit": "%",
                "measured_at": dt.datetime.now(dt.UTC).isoformat()})
            return answer, await first_reading(socket)

    answer, event = asyncio.run(scenario())

    assert (event["id"], event["patient"], event["metric"], event["value"], event["unit"]) == (
        answer["id"], patient.id, "spo2", 91.0, "%")
