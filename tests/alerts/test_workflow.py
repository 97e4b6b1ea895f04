"""The alert workflow over the staff API: assign ("mine"), snooze one alert or one rule for one patient (24 h at
most, with a reason, ended early when worse), the note thread, mark a patient reviewed; all audited and scoped to
the care team."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts import engine, services
from alerts.models import Alert, AlertNote
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team, make_user
from tests.conftest import errors_of, signed_in
from tests.readings import store

M = dt.timedelta(minutes=1)
JSON = "application/json"


def spo2_alert(patient, value, at):
    """SpO2 91 % is a medium alert on scale 1, 85 % a high one (default rules)."""
    engine.evaluate_readings(reading_ids=store(patient, [("spo2", value, at)], now=at + M), now=at + M)
    return Alert.objects.filter(patient=patient).exclude(state="resolved").get()


@pytest.fixture
def alert(ward_patient, t0):
    return spo2_alert(ward_patient, 91, t0)


@pytest.fixture
def colleague(team):
    return make_user("nurse-colleague", role="nurse", team=team)


def snooze(client, alert, minutes=60, reason="known COPD, GP aware"):
    return client.post(f"/api/v1/alerts/{alert.id}/snooze/", {"minutes": minutes, "reason": reason},
                       content_type=JSON)


def test_assigning_to_a_colleague_shows_in_their_mine_filter_and_not_in_yours(alert, nurse, colleague):
    response = signed_in(nurse).post(f"/api/v1/alerts/{alert.id}/assign/", {"assignee": colleague.id},
                                     content_type=JSON)
    assert response.status_code == 200 and response.json()["assigned_to"] == "nurse-colleague"
    assert [a["id"] for a in signed_in(colleague).get("/api/v1/alerts/?assigned=me").json()] == [alert.id]
    assert signed_in(nurse).get("/api/v1/alerts/?assigned=me").json() == []
    assert AuditEvent.objects.filter(verb="alert.assign", actor=nurse, object_id=str(alert.id)).exists()


def test_assigning_to_someone_off_the_care_team_is_a_400_and_changes_nothing(alert, nurse):
    stranger = make_user("nurse-elsewhere", role="nurse", team=make_team("Ward B"))
    response = signed_in(nurse).post(f"/api/v1/alerts/{alert.id}/assign/", {"assignee": stranger.id},
                                     content_type=JSON)
    assert response.status_code == 400 and "care team" in errors_of(response)["assignee"]
    alert.refresh_from_db()
    assert alert.assigned_to is None


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (1440, True), (1441, False)])
def test_a_snooze_lasts_from_one_minute_to_24_hours(alert, nurse, minutes, ok):
    before = timezone.now()
    response = snooze(signed_in(nurse), alert, minutes=minutes)
    alert.refresh_from_db()
    if ok:
        assert response.status_code == 200
        assert before + minutes * M <= alert.snoozed_until <= timezone.now() + minutes * M
    else:
        assert response.status_code == 400 and "minutes" in errors_of(response)
        assert alert.snoozed_until is None


def test_a_snooze_needs_a_reason(alert, nurse):
    response = snooze(signed_in(nurse), alert, reason=" ")
    assert response.status_code == 400 and "reason" in errors_of(response)


def test_a_snoozed_alert_does_not_escalate_until_the_snooze_ends(alert, nurse):
    snooze(signed_in(nurse), alert, minutes=60)
    alert.refresh_from_db()
    assert services.escalate_due_alerts(now=alert.snoozed_until - M) == []
    assert [a.id for a in services.escalate_due_alerts(now=alert.snoozed_until)] == [alert.id]


def test_a_snooze_ends_early_when_the_alert_gets_worse(alert, nurse, ward_patient, t0):
    snooze(signed_in(nurse), alert, minutes=600)
    worse = spo2_alert(ward_patient, 85, t0 + 5 * M)
    assert (worse.id, worse.severity, worse.snoozed_until, worse.snooze_reason) == (alert.id, "high", None, "")
    assert AlertNote.objects.filter(alert=alert, verb="snooze_end", text__startswith="Snooze ended early").exists()
    assert AuditEvent.objects.filter(verb="alert.snooze_end", object_id=str(alert.id),
                                     detail__reason="worse").exists()


def test_snoozing_one_rule_for_one_patient_quiets_its_next_alert_but_no_one_elses(alert, nurse, team, t0):
    other = make_patient(team, conditions=["virtual_ward"])
    response = signed_in(nurse).post("/api/v1/alerts/rule-snoozes/", {
        "patient": alert.patient_id, "rule": alert.rule_id, "minutes": 120, "reason": "oximeter on cold fingers"},
        content_type=JSON)
    assert response.status_code == 201
    alert.refresh_from_db()
    assert alert.snooze_reason == "oximeter on cold fingers"
    signed_in(nurse).post(f"/api/v1/alerts/{alert.id}/resolve/")
    again = spo2_alert(alert.patient, 91, t0 + 30 * M)
    theirs = spo2_alert(other, 91, t0 + 30 * M)
    assert again.id != alert.id and again.snoozed_until is not None
    assert theirs.snoozed_until is None
    assert AuditEvent.objects.filter(verb="alert_rule.snooze", actor=nurse, patient=alert.patient).exists()


def test_ending_a_snooze_by_hand(alert, nurse):
    client = signed_in(nurse)
    snooze(client, alert)
    assert client.post(f"/api/v1/alerts/{alert.id}/unsnooze/").json()["snoozed_until"] is None
    response = client.post(f"/api/v1/alerts/{alert.id}/unsnooze/")
    assert response.status_code == 409 and "not snoozed" in errors_of(response)["state"]


def test_the_note_thread_keeps_every_step_and_note_with_its_author(alert, nurse):
    client = signed_in(nurse)
    client.post(f"/api/v1/alerts/{alert.id}/acknowledge/")
    assert client.post(f"/api/v1/alerts/{alert.id}/notes/", {"text": "rang the patient, feels fine"},
                       content_type=JSON).status_code == 201
    thread = client.get(f"/api/v1/alerts/{alert.id}/notes/").json()
    assert [(n["verb"], n["author"], n["text"]) for n in thread][-2:] == [
        ("acknowledge", "nurse-a", ""), ("note", "nurse-a", "rang the patient, feels fine")]
    blank = client.post(f"/api/v1/alerts/{alert.id}/notes/", {"text": ""}, content_type=JSON)
    assert blank.status_code == 400 and "text" in errors_of(blank)


def test_marking_a_patient_reviewed_records_who_and_when(ward_patient, nurse):
    client = signed_in(nurse)
    created = client.post("/api/v1/alerts/reviews/", {"patient": ward_patient.id}, content_type=JSON)
    assert created.status_code == 201
    [latest] = client.get(f"/api/v1/alerts/reviews/?patient={ward_patient.id}").json()
    assert (latest["patient"], latest["by"], latest["at"]) == (ward_patient.id, "nurse-a", created.json()["at"])
    assert AuditEvent.objects.filter(verb="patient.review", actor=nurse, patient=ward_patient).exists()


def test_another_teams_alert_or_patient_is_a_404_for_every_workflow_action(alert, ward_patient):
    outsider = signed_in(make_user("nurse-b", role="nurse", team=make_team("Ward B")))
    for path, body in [("assign/", {"assignee": None}), ("snooze/", {"minutes": 5, "reason": "x"}),
                       ("unsnooze/", {}), ("notes/", {"text": "x"})]:
        assert outsider.post(f"/api/v1/alerts/{alert.id}/{path}", body, content_type=JSON).status_code == 404, path
    assert outsider.get(f"/api/v1/alerts/{alert.id}/notes/").status_code == 404
    assert outsider.post("/api/v1/alerts/reviews/", {"patient": ward_patient.id},
                         content_type=JSON).status_code == 404
    assert outsider.post("/api/v1/alerts/rule-snoozes/", {"patient": ward_patient.id, "rule": alert.rule_id,
                                                          "minutes": 5, "reason": "x"},
                         content_type=JSON).status_code == 404
    alert.refresh_from_db()
    assert (alert.assigned_to, alert.snoozed_until, alert.notes.filter(verb="note").count()) == (None, None, 0)
