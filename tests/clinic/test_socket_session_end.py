"""The dashboard socket closes within seconds when its session expires, at sign-out and at deactivation,
without waiting for the periodic re-check (LIVE_RECHECK_SECONDS is set long here)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application
from staff.services import deactivate_user
from tests.builders import make_team, make_user
from tests.clinic.test_consumer import ORIGIN, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_recheck(settings):
    settings.LIVE_RECHECK_SECONDS = 600


def session_of(user) -> tuple[Client, tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return client, (b"cookie", f"{name}={client.cookies[name].value}".encode())


async def closed_within(comm: WebsocketCommunicator, seconds: float) -> int:
    """The close code, if the socket closes within `seconds`; frames before it are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        output = await comm.receive_output(timeout=max(0.01, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return output["code"]


async def open_socket(cookie) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, "/ws/dashboard/", headers=[ORIGIN, cookie])
    ok, _ = await comm.connect()
    assert ok
    await comm.receive_from()  # hello
    return comm


def test_an_expired_sessions_socket_closes_within_seconds(settings):
    nurse = make_user("nurse-x", team=make_team())
    settings.SESSION_COOKIE_AGE = 2  # the session force_login makes ends in 2 s
    _, cookie = session_of(nurse)

    async def scenario():
        comm = await open_socket(cookie)
        assert await comm.receive_nothing(timeout=1)  # still open before its end
        assert await closed_within(comm, 3) == 4401

    run(scenario)


def test_sign_out_closes_the_socket_at_once():
    nurse = make_user("nurse-y", team=make_team())
    client, cookie = session_of(nurse)

    async def scenario():
        comm = await open_socket(cookie)
        await database_sync_to_async(client.logout)()
        assert await closed_within(comm, 3) == 4401

    run(scenario)


def test_sign_out_of_another_session_leaves_this_socket_open():
    nurse = make_user("nurse-z", team=make_team())
    _, cookie = session_of(nurse)
    other, _ = session_of(nurse)

    async def scenario():
        comm = await open_socket(cookie)
        await database_sync_to_async(other.logout)()
        assert await comm.receive_nothing(timeout=1.5)
        await comm.disconnect()

    run(scenario)


def test_deactivation_closes_the_users_sockets_at_once():
    nurse = make_user("nurse-w", team=make_team())
    _, cookie = session_of(nurse)
    admin = make_user("admin-w", role="admin")

    async def scenario():
        comm = await open_socket(cookie)
        await database_sync_to_async(deactivate_user)(user=nurse, by=admin)
        assert await closed_within(comm, 3) == 4401

    run(scenario)
