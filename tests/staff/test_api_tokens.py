"""API tokens (django-rest-knox): hashed at rest, expiring, listed and revoked by their owner, revoked at
sign-out."""

import datetime as dt

from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from tests.builders import PASSWORD, make_user
from tests.conftest import errors_of


def sign_in(username: str, **extra) -> dict:
    response = Client().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra},
                             content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def api(token: str) -> Client:
    return Client(headers={"Authorization": f"Token {token}"})


def test_the_token_endpoint_answers_a_token_and_its_expiry_twelve_hours_ahead(nurse):
    body = sign_in(nurse.username)
    expiry = dt.datetime.fromisoformat(body["expiry"])
    assert abs(expiry - (timezone.now() + dt.timedelta(hours=12))) < dt.timedelta(minutes=1)
    assert api(body["token"]).get("/api/v1/patients/").status_code == 200


def test_a_token_stops_working_after_it_expires(nurse):
    token = sign_in(nurse.username)["token"]
    AuthToken.objects.filter(user=nurse).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = api(token).get("/api/v1/patients/")
    assert response.status_code == 401
    assert "Invalid token" in errors_of(response)[None]


def test_a_token_stops_working_after_sign_out(nurse):
    token = sign_in(nurse.username)["token"]
    assert api(token).post("/api/v1/auth/logout/").status_code == 204
    assert api(token).get("/api/v1/patients/").status_code == 401
    assert not AuthToken.objects.filter(user=nurse).exists()


def test_sign_out_revokes_only_the_token_it_is_called_with(nurse):
    first, second = sign_in(nurse.username)["token"], sign_in(nurse.username)["token"]
    api(first).post("/api/v1/auth/logout/")
    assert api(second).get("/api/v1/patients/").status_code == 200


def test_the_token_is_stored_only_as_a_digest(nurse):
    token = sign_in(nurse.username)["token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        (digest, key_start), = cursor.fetchall()
    assert token not in digest and token != key_start and len(key_start) < len(token)


def test_the_owner_lists_their_tokens_without_the_secrets(nurse):
    tokens = [sign_in(nurse.username)["token"] for _ in range(2)]
    make_user("nurse-other")
    sign_in("nurse-other")
    listed = api(tokens[0]).get("/api/v1/auth/tokens/").json()
    assert len(listed) == 2
    assert {item["id"] for item in listed} == {t[:15] for t in tokens}
    assert all(set(item) == {"id", "created", "expiry"} for item in listed)


def test_the_owner_revokes_a_token_and_it_stops_working(nurse):
    keep, drop = sign_in(nurse.username)["token"], sign_in(nurse.username)["token"]
    assert api(keep).delete(f"/api/v1/auth/tokens/{drop[:15]}/").status_code == 204
    assert api(drop).get("/api/v1/patients/").status_code == 401
    assert api(keep).get("/api/v1/patients/").status_code == 200


def test_nobody_revokes_another_users_token(nurse):
    theirs = sign_in(nurse.username)["token"]
    make_user("nurse-mallory")
    mine = sign_in("nurse-mallory")["token"]
    response = api(mine).delete(f"/api/v1/auth/tokens/{theirs[:15]}/")
    assert response.status_code == 404
    assert "no token" in errors_of(response)["token"]
    assert api(theirs).get("/api/v1/patients/").status_code == 200


def test_a_token_request_without_a_password_names_the_field(db):
    response = Client().post("/api/v1/auth/token/", {"username": "someone"}, content_type="application/json")
    assert response.status_code == 400
    assert "password" in errors_of(response)
