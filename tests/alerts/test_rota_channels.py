"""Reaching people away from the tab: escalation goes to whoever is on call for the care team (else, as before, its
physicians), and a care team's apprise channels carry it. A real local HTTP receiver stands behind json:// URLs."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts import engine, services
from alerts.models import Alert, NotificationChannel, OnCallShift
from tests.builders import make_user
from tests.readings import store

M = dt.timedelta(minutes=1)


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 that keeps (path, JSON body) of every POST."""
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"json://127.0.0.1:{server.server_port}", received
    server.shutdown()


@pytest.fixture
def people(team):
    users = {}
    for name, role in [("nurse-oncall", "nurse"), ("nurse-off", "nurse"), ("doc-a", "physician")]:
        users[name] = make_user(name, role=role, team=team)
        users[name].email = f"{name}@example.test"
        users[name].save()
    return users


@pytest.fixture
def channels(team, people, receiver):
    base, _ = receiver
    NotificationChannel.objects.create(care_team=team, label="Ward pager", url=f"{base}/team")
    for name, user in people.items():
        NotificationChannel.objects.create(care_team=team, user=user, label=name, url=f"{base}/{name}")


def high_alert(patient, t0, capture):
    """Respiratory rate 6 /min: a high alert (default rules)."""
    with capture(execute=True):
        engine.evaluate_readings(reading_ids=store(patient, [("respiratory_rate", 6, t0)], now=t0 + M), now=t0 + M)
    return Alert.objects.get(patient=patient)


def test_the_rota_sends_an_escalation_to_the_on_call_nurse_only(ward_patient, team, people, channels, receiver, t0,
                                                                 mailoutbox, django_capture_on_commit_callbacks):
    _, received = receiver
    alert = high_alert(ward_patient, t0, django_capture_on_commit_callbacks)
    received.clear()
    mailoutbox.clear()
    at = alert.opened_at + 5 * M
    OnCallShift.objects.create(care_team=team, user=people["nurse-oncall"], starts_at=at - 60 * M, ends_at=at + M)

    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_due_alerts(now=at)

    assert [path for path, _ in received] == ["/nurse-oncall"]
    assert [m.to for m in mailoutbox] == [["nurse-oncall@example.test"]]
    alert.refresh_from_db()
    assert alert.notified == ["nurse-oncall"]
    assert "Notified: nurse-oncall" in alert.notes.get(verb="escalate").text


def test_with_nobody_on_call_an_escalation_goes_to_the_physicians(ward_patient, team, people, channels, receiver,
                                                                   t0, django_capture_on_commit_callbacks):
    _, received = receiver
    alert = high_alert(ward_patient, t0, django_capture_on_commit_callbacks)
    received.clear()
    at = alert.opened_at + 5 * M
    # a shift that ended a second ago does not count
    OnCallShift.objects.create(care_team=team, user=people["nurse-oncall"], starts_at=at - 60 * M, ends_at=at)

    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_due_alerts(now=at)

    assert [path for path, _ in received] == ["/doc-a"]
    alert.refresh_from_db()
    assert alert.notified == ["doc-a"]


def test_a_new_high_alert_reaches_the_team_channel_without_patient_data(ward_patient, team, channels, receiver, t0,
                                                                         django_capture_on_commit_callbacks):
    _, received = receiver
    high_alert(ward_patient, t0, django_capture_on_commit_callbacks)
    by_path = {path: body for path, body in received}
    assert set(by_path) == {"/team", "/nurse-oncall", "/nurse-off", "/doc-a"}
    message = by_path["/team"]["title"] + " " + by_path["/team"]["message"]
    assert "New high alert for a patient on Ward A" in message
    for private in (ward_patient.mrn, ward_patient.family_name, ward_patient.given_name):
        assert private not in message


def test_a_snoozed_alert_is_not_sent_beyond_the_dashboard(ward_patient, nurse, channels, receiver, t0,
                                                          django_capture_on_commit_callbacks):
    from alerts import workflow

    _, received = receiver
    alert = high_alert(ward_patient, t0, django_capture_on_commit_callbacks)
    received.clear()
    workflow.snooze_alert(alert=alert, by=nurse, minutes=60, reason="known, being handled", now=alert.opened_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_due_alerts(now=alert.opened_at + 10 * M) == []
    assert received == []
