"""Sessions end after RPM_SESSION_IDLE_MINUTES without a request and RPM_SESSION_ABSOLUTE_HOURS after sign-in,
and the page knows when, to warn."""

import datetime as dt
import re
import time

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from rpm.sessions import SIGNED_IN_AT
from tests.builders import PASSWORD


def signed_in(user) -> Client:
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_request_slides_the_session_end_to_thirty_idle_minutes_ahead(nurse):
    client = signed_in(nurse)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    assert client.get("/").status_code == 200
    left = session_row(client).expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)


def test_an_idle_session_is_signed_out(nurse):
    client = signed_in(nurse)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/patients/").status_code == 401


def test_the_idle_timeout_follows_its_setting(nurse, settings):
    settings.RPM_SESSION_IDLE_MINUTES = 5
    client = signed_in(nurse)
    client.get("/")
    assert session_row(client).expire_date - timezone.now() <= dt.timedelta(minutes=5)


def test_an_active_session_ends_at_the_absolute_limit(nurse):
    client = signed_in(nurse)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302


def test_near_the_absolute_limit_the_idle_end_is_cut_to_it(nurse):
    client = signed_in(nurse)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 12 * 3600 + 120
    session.save()
    client.get("/")
    assert session_row(client).expire_date - timezone.now() <= dt.timedelta(seconds=120)


def test_the_page_carries_the_seconds_left_for_its_warning(nurse):
    page = signed_in(nurse).get("/").content.decode()
    seconds = int(re.search(r'data-session-seconds="(\d+)"', page).group(1))
    assert 1790 <= seconds <= 1800
    assert 'id="session-warning"' in page and 'data-session-warning-seconds="120"' in page


def test_stay_signed_in_slides_the_end_and_answers_the_seconds_left(nurse):
    client = signed_in(nurse)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    response = client.post("/session/keep-alive/")
    assert response.status_code == 200 and 1790 <= response.json()["seconds_left"] <= 1800
    assert session_row(client).expire_date - timezone.now() > dt.timedelta(minutes=29)


def test_keep_alive_after_the_end_says_to_sign_in_again(nurse):
    client = signed_in(nurse)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.post("/session/keep-alive/")
    assert response.status_code == 401 and "sign in again" in response.json()["errors"][0]["message"]
