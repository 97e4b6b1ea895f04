"""Lockout after repeated failed sign-ins (django-axes), per username and per address, on the login page, the token
endpoint and Django admin; an admin can lift it."""

import pytest
from django.test import Client

from rpm.models import AuditEvent
from tests.builders import PASSWORD, make_user
from tests.conftest import errors_of, token_client

LIMIT = 5


def login_page(username: str, password: str, client: Client | None = None):
    return (client or Client()).post("/login/", {"username": username, "password": password})


def token_endpoint(username: str, password: str):
    return Client().post("/api/v1/auth/token/", {"username": username, "password": password},
                         content_type="application/json")


def test_the_sixth_sign_in_on_the_page_is_refused_even_with_the_right_password(nurse):
    for _ in range(LIMIT - 1):
        assert login_page(nurse.username, "wrong-password-1").status_code == 200  # the form again, with an error
    assert login_page(nurse.username, "wrong-password-1").status_code == 429
    client = Client()
    response = login_page(nurse.username, PASSWORD, client)
    assert response.status_code == 429
    assert "too many failed sign-ins" in response.content.decode().lower()
    assert client.get("/").status_code == 302  # not signed in


def test_fewer_failures_than_the_limit_do_not_lock(nurse):
    for _ in range(LIMIT - 1):
        login_page(nurse.username, "wrong-password-1")
    assert login_page(nurse.username, PASSWORD).status_code == 302


def test_the_sixth_token_request_is_refused_even_with_the_right_password(nurse):
    for _ in range(LIMIT):
        assert token_endpoint(nurse.username, "wrong-password-1").status_code in (400, 429)
    response = token_endpoint(nurse.username, PASSWORD)
    assert response.status_code == 429
    assert "too many failed sign-ins" in errors_of(response)[None]
    assert "token" not in response.json()


def test_django_admin_sign_in_locks_out_too(db):
    boss = make_user("root-emergency", role=None)
    boss.is_staff = boss.is_superuser = True
    boss.save()
    for _ in range(LIMIT):
        Client().post("/django-admin/login/", {"username": boss.username, "password": "wrong-password-1"})
    response = Client().post("/django-admin/login/", {"username": boss.username, "password": PASSWORD})
    assert response.status_code == 429


def test_failures_from_one_address_against_many_users_lock_that_address(db):
    victims = [make_user(f"nurse-{n}") for n in range(LIMIT)]
    for victim in victims:
        login_page(victim.username, "wrong-password-1")
    bystander = make_user("nurse-bystander")
    assert login_page(bystander.username, PASSWORD).status_code == 429


def test_an_admin_unlocks_a_locked_out_user_who_can_then_sign_in(nurse, admin, admin_client):
    for _ in range(LIMIT):
        token_endpoint(nurse.username, "wrong-password-1")
    assert "locked out" in admin_client.get("/staff/").content.decode()
    assert admin_client.post(f"/staff/{nurse.id}/unlock/").status_code == 302
    assert token_endpoint(nurse.username, PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(verb="staff.unlock", actor=admin, object_id=str(nurse.id)).exists()


def test_the_unlock_api_lifts_a_lockout(nurse, admin):
    for _ in range(LIMIT):
        token_endpoint(nurse.username, "wrong-password-1")
    assert token_client(admin).post(f"/api/v1/staff/{nurse.id}/unlock/").status_code == 200
    assert login_page(nurse.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinicians_cannot_unlock(role, nurse):
    clinician = make_user(f"{role}-u", role=role)
    assert token_client(clinician).post(f"/api/v1/staff/{nurse.id}/unlock/").status_code == 403
