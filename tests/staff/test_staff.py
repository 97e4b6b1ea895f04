"""Staff and care teams: create users with a role, put clinicians on teams, deactivate users."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from knox.models import AuthToken

from patients.models import CareTeamMembership
from rpm.models import AuditEvent
from tests.builders import PASSWORD, make_patient, make_team, make_user
from tests.conftest import errors_of, token_client

NEW_PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture
def admin_api(admin):
    return token_client(admin)


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def api_token(username: str) -> str:
    response = Client().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200
    return response.json()["token"]


def test_admin_creates_a_nurse_on_the_page_who_can_then_sign_in(admin_client):
    response = admin_client.post("/staff/", {"username": "nurse-new", "role": "nurse", "password": NEW_PASSWORD,
                                           "first_name": "Nia", "last_name": "Nurse"})
    assert response.status_code == 302
    user = User.objects.get(username="nurse-new")
    assert list(user.groups.values_list("name", flat=True)) == ["nurse"]
    assert Client().login(username="nurse-new", password=NEW_PASSWORD)


def test_creating_a_user_with_a_weak_password_shows_why_and_creates_nothing(admin_client):
    response = admin_client.post("/staff/", {"username": "weak", "role": "nurse", "password": "password123"})
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_admin_creates_a_physician_through_the_api(admin_api):
    response = admin_api.post("/api/v1/staff/", {"username": "dr-new", "role": "physician", "password": NEW_PASSWORD},
                              content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "physician"
    assert "password" not in response.json()


def test_the_api_refuses_a_taken_username_naming_the_field(admin_api):
    make_user("taken")
    response = admin_api.post("/api/v1/staff/", {"username": "taken", "role": "nurse", "password": NEW_PASSWORD},
                              content_type="application/json")
    assert response.status_code == 400
    assert "already exists" in errors_of(response)["username"]


def test_adding_a_nurse_to_a_care_team_on_the_page_lets_them_see_its_patients(admin_client):
    team = make_team("Ward Z")
    patient = make_patient(team)
    nurse = make_user("nurse-z", role="nurse")
    assert admin_client.post(f"/care-teams/{team.id}/members/", {"user": nurse.id}).status_code == 302
    assert CareTeamMembership.objects.get(user=nurse, care_team=team).role == "nurse"
    assert [p["id"] for p in signed_in("nurse-z").get("/api/v1/patients/").json()] == [patient.id]


def test_adding_a_physician_to_a_care_team_through_the_api(admin_api):
    team = make_team("Ward Y")
    doctor = make_user("dr-y", role="physician")
    response = admin_api.post(f"/api/v1/care-teams/{team.id}/members/", {"user": doctor.id},
                              content_type="application/json")
    assert response.status_code == 201
    assert CareTeamMembership.objects.get(user=doctor, care_team=team).role == "physician"


def test_an_admin_cannot_join_a_care_team(admin_api):
    team = make_team("Ward X")
    other_admin = make_user("admin2", role="admin")
    response = admin_api.post(f"/api/v1/care-teams/{team.id}/members/", {"user": other_admin.id},
                              content_type="application/json")
    assert response.status_code == 400
    assert "nurses and physicians" in errors_of(response)["user"]
    assert not CareTeamMembership.objects.exists()


def test_removing_a_member_on_the_page_hides_the_teams_patients(admin_client):
    team = make_team("Ward W")
    patient = make_patient(team)
    nurse = make_user("nurse-w", role="nurse", team=team)
    admin_client.post(f"/care-teams/{team.id}/members/{nurse.id}/remove/")
    assert patient.id not in [p["id"] for p in signed_in("nurse-w").get("/api/v1/patients/").json()]


def test_removing_a_member_through_the_api(admin_api):
    team = make_team("Ward V")
    nurse = make_user("nurse-v", role="nurse", team=team)
    assert admin_api.delete(f"/api/v1/care-teams/{team.id}/members/{nurse.id}/").status_code == 204
    assert not CareTeamMembership.objects.exists()


def test_a_care_team_is_created_on_the_page(admin_client):
    admin_client.post("/care-teams/", {"name": "Cardiology virtual ward"})
    assert "Cardiology virtual ward" in admin_client.get("/care-teams/").content.decode()


def test_a_deactivated_users_session_and_token_are_refused_at_once(admin_client, team):
    make_user("nurse-d", role="nurse", team=team)
    session = signed_in("nurse-d")
    token = api_token("nurse-d")
    token_client = Client(headers={"Authorization": f"Token {token}"})
    assert session.get("/api/v1/patients/").status_code == 200
    assert token_client.get("/api/v1/patients/").status_code == 200

    nurse = User.objects.get(username="nurse-d")
    assert admin_client.post(f"/staff/{nurse.id}/deactivate/").status_code == 302

    assert session.get("/api/v1/patients/").status_code in (401, 403)
    assert token_client.get("/api/v1/patients/").status_code in (401, 403)
    page = session.get("/")
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert not AuthToken.objects.filter(user=nurse).exists()


def test_a_deactivated_user_cannot_sign_in_again(admin_api, team):
    nurse = make_user("nurse-e", role="nurse", team=team)
    response = admin_api.post(f"/api/v1/staff/{nurse.id}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not Client().login(username="nurse-e", password=PASSWORD)
    assert Client().post("/api/v1/auth/token/", {"username": "nurse-e", "password": PASSWORD},
                         content_type="application/json").status_code == 400


def test_an_admin_cannot_deactivate_themselves(admin_client, admin):
    admin_client.post(f"/staff/{admin.id}/deactivate/")
    admin.refresh_from_db()
    assert admin.is_active


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinicians_get_403_on_staff_pages_and_api(role, db):
    clinician = make_user(f"{role}-s", role=role)
    victim = make_user("victim", role="nurse")
    page = signed_in(f"{role}-s")
    api = Client(headers={"Authorization": f"Token {AuthToken.objects.create(user=clinician)[1]}"})
    assert page.get("/staff/").status_code == 403
    assert page.get("/care-teams/").status_code == 403
    assert page.post(f"/staff/{victim.id}/deactivate/").status_code == 403
    assert api.get("/api/v1/staff/").status_code == 403
    assert api.post(f"/api/v1/staff/{victim.id}/deactivate/").status_code == 403
    victim.refresh_from_db()
    assert victim.is_active


def test_staff_changes_are_audited(admin_client, admin):
    team = make_team("Ward U")
    admin_client.post("/staff/", {"username": "nurse-u", "role": "nurse", "password": NEW_PASSWORD})
    nurse = User.objects.get(username="nurse-u")
    admin_client.post(f"/care-teams/{team.id}/members/", {"user": nurse.id})
    admin_client.post(f"/staff/{nurse.id}/deactivate/")
    verbs = set(AuditEvent.objects.filter(actor=admin).values_list("verb", flat=True))
    assert {"staff.create", "care_team.add_member", "staff.deactivate"} <= verbs
