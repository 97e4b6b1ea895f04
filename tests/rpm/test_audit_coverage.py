"""Every read of patient data is audited, per patient, on every path: the census, the alert lists, the patient
list, the dashboard's socket (connect and catch-up); and sign-in, sign-out and failed sign-in, with where from."""

import datetime as dt
import json

import pytest
from django.test import Client

from alerts.models import Alert, AlertRule
from rpm.models import AuditEvent
from tests.builders import PASSWORD, make_patient, make_team, make_user
from tests.clinic.test_consumer import connected, events, sign_in
from tests.clinic.test_consumer import store as store_reading
from tests.conftest import run_async


def seen(verb: str, **filters) -> set[int]:
    return set(AuditEvent.objects.filter(verb=verb, **filters).values_list("patient_id", flat=True))


def open_alert(patient) -> Alert:
    now = dt.datetime.now(dt.UTC)
    rule = AlertRule.objects.create(name=f"HR high {patient.pk}", kind="threshold", metric="heart_rate",
                                    params={"bands": [{"op": ">", "value": 130, "severity": "high"}]})
    return Alert.objects.create(patient=patient, rule=rule, metric="heart_rate", severity="high", state="open",
                                explanation="synthetic", opened_at=now, last_triggered_at=now)


@pytest.fixture
def ward(db):
    team = make_team("Ward C")
    return make_user("nurse-c", role="nurse", team=team), make_patient(team), make_patient(team)


def test_the_census_page_audits_each_patient_shown_and_each_alert_listed(ward):
    nurse, first, second = ward
    open_alert(second)
    client = Client()
    client.force_login(nurse)
    assert client.get("/").status_code == 200
    assert seen("dashboard.census", actor=nurse) == {first.id, second.id}
    assert seen("alert.list", actor=nurse) == {second.id}


def test_the_alert_list_api_audits_each_patient_whose_alert_it_returns(ward):
    nurse, first, second = ward
    open_alert(first)
    client = Client()
    client.force_login(nurse)
    assert len(client.get("/api/v1/alerts/").json()) == 1
    assert seen("alert.list", actor=nurse) == {first.id}


def test_the_patient_list_api_audits_each_patient(ward):
    nurse, first, second = ward
    client = Client()
    client.force_login(nurse)
    client.get("/api/v1/patients/")
    assert seen("patient.list", actor=nurse) == {first.id, second.id}


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_socket_audits_its_patients_at_connect_and_at_catch_up():
    team = make_team("Ward S")
    nurse, patient, quiet = make_user("nurse-s", role="nurse", team=team), make_patient(team), make_patient(team)
    make_patient(make_team("Ward T"))
    sign_in(nurse)
    since = dt.datetime.now(dt.UTC).isoformat()
    store_reading(patient, value=88)

    async def scenario():
        comm = await connected(nurse)
        await comm.send_to(text_data=json.dumps({"type": "resume", "since": since}))
        await events(comm)
        await comm.disconnect()

    run_async(scenario)
    assert seen("dashboard.live", actor=nurse) == {patient.id, quiet.id}
    assert seen("dashboard.catch_up", actor=nurse) == {patient.id}


def test_signing_in_and_out_is_audited_with_address_and_browser(nurse):
    client = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Synthetic/2")
    assert client.post("/login/", {"username": "nurse-a", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    rows = list(AuditEvent.objects.filter(actor=nurse, action="login").order_by("id")
                .values_list("verb", "ip", "user_agent"))
    assert rows == [("auth.sign_in", "198.51.100.4", "Synthetic/2"), ("auth.sign_out", "198.51.100.4", "Synthetic/2")]


def test_a_failed_sign_in_is_audited_with_the_username_tried(nurse):
    client = Client(REMOTE_ADDR="198.51.100.5")
    assert client.post("/login/", {"username": "nurse-a", "password": "wrong-password"}).status_code == 200
    event = AuditEvent.objects.get(verb="auth.sign_in_failed")
    assert (event.actor, event.detail, event.ip) == (None, {"username": "nurse-a"}, "198.51.100.5")
