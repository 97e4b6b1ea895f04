"""Staff API: the care team's alert queue, acknowledge and resolve; another team's alert is a 404;
the patient detail carries NEWS2."""

import datetime as dt

from alerts import engine
from alerts.models import Alert
from tests.builders import make_patient, make_team, make_user
from tests.conftest import errors_of, signed_in
from tests.readings import store

M = dt.timedelta(minutes=1)


def raise_alert(patient, t0):
    ids = store(patient, [("respiratory_rate", 6, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    return Alert.objects.get(patient=patient)


def test_the_queue_lists_the_care_teams_alerts_with_their_explanation(ward_patient, nurse, t0):
    alert = raise_alert(ward_patient, t0)
    body = signed_in(nurse).get("/api/v1/alerts/?state=open").json()
    assert [(a["id"], a["patient"], a["rule"], a["metric"], a["severity"], a["state"]) for a in body] == [
        (alert.id, ward_patient.id, alert.rule_id, "respiratory_rate", "high", "open")]
    assert body[0]["explanation"] == "Respiratory rate 6 breaths/min, at or below 8 breaths/min"
    assert body[0]["opened_at"] and body[0]["reading_ids"] == alert.reading_ids


def test_the_queue_never_shows_another_teams_alerts(ward_patient, t0):
    raise_alert(ward_patient, t0)
    outsider = make_user("nurse-b", role="nurse", team=make_team("Ward B"))
    assert signed_in(outsider).get("/api/v1/alerts/").json() == []


def test_state_filter_separates_open_from_resolved(ward_patient, nurse, t0):
    alert = raise_alert(ward_patient, t0)
    client = signed_in(nurse)
    client.post(f"/api/v1/alerts/{alert.id}/resolve/")
    assert client.get("/api/v1/alerts/?state=open").json() == []
    assert [a["id"] for a in client.get("/api/v1/alerts/?state=resolved").json()] == [alert.id]


def test_an_unknown_state_is_a_400_naming_the_field(nurse, default_rules):
    response = signed_in(nurse).get("/api/v1/alerts/?state=closed")
    assert response.status_code == 400 and "state" in errors_of(response)


def test_acknowledging_over_the_api_records_the_nurse(ward_patient, nurse, t0):
    alert = raise_alert(ward_patient, t0)
    response = signed_in(nurse).post(f"/api/v1/alerts/{alert.id}/acknowledge/")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["acknowledged_by"]) == ("acknowledged", "nurse-a")


def test_resolving_over_the_api_keeps_the_optional_note(ward_patient, nurse, t0):
    alert = raise_alert(ward_patient, t0)
    response = signed_in(nurse).post(f"/api/v1/alerts/{alert.id}/resolve/", {"note": "sensor artefact"},
                                     content_type="application/json")
    assert (response.json()["state"], response.json()["resolution"]) == ("resolved", "sensor artefact")


def test_acknowledging_a_resolved_alert_is_a_409_naming_the_state(ward_patient, nurse, t0):
    alert = raise_alert(ward_patient, t0)
    client = signed_in(nurse)
    client.post(f"/api/v1/alerts/{alert.id}/resolve/")
    response = client.post(f"/api/v1/alerts/{alert.id}/acknowledge/")
    assert response.status_code == 409 and "already resolved" in errors_of(response)["state"]


def test_another_teams_alert_is_a_404_and_unchanged(ward_patient, t0):
    alert = raise_alert(ward_patient, t0)
    outsider = make_user("nurse-b", role="nurse", team=make_team("Ward B"))
    assert signed_in(outsider).post(f"/api/v1/alerts/{alert.id}/acknowledge/").status_code == 404
    assert signed_in(outsider).post(f"/api/v1/alerts/{alert.id}/resolve/").status_code == 404
    alert.refresh_from_db()
    assert alert.state == "open"


def test_an_admin_without_a_care_team_cannot_work_alerts(ward_patient, t0):
    alert = raise_alert(ward_patient, t0)
    admin = make_user("admin-a", role="admin")
    assert signed_in(admin).post(f"/api/v1/alerts/{alert.id}/acknowledge/").status_code == 403


def test_patient_detail_shows_news2_from_the_latest_readings(team, default_rules, nurse):
    patient = make_patient(team)
    now = dt.datetime.now(dt.UTC)
    at = now - 10 * M
    store(patient, [("respiratory_rate", 22, at), ("spo2", 94, at), ("systolic_bp", 105, at), ("heart_rate", 95, at),
                    ("body_temperature", 38.4, at)], now=now)
    news2 = signed_in(nurse).get(f"/api/v1/patients/{patient.id}/").json()["news2"]
    assert (news2["score"], news2["risk"]) == (6, "medium")
    assert news2["components"] == {"respiration_rate": 2, "spo2": 1, "air_or_oxygen": 0, "systolic_bp": 1,
                                   "pulse": 1, "consciousness": 0, "temperature": 1}
    assert news2["computed_at"]


def test_patient_detail_news2_is_null_when_a_parameter_is_missing(team, default_rules, nurse):
    patient = make_patient(team)
    now = dt.datetime.now(dt.UTC)
    store(patient, [("spo2", 94, now - M)], now=now)
    assert signed_in(nurse).get(f"/api/v1/patients/{patient.id}/").json()["news2"] is None


def test_a_recovered_alert_is_listed_as_unresolved_until_someone_acts(ward_patient, nurse, t0):
    engine.evaluate_readings(reading_ids=store(ward_patient, [("blood_glucose", 48, t0)], now=t0 + M), now=t0 + M)
    engine.evaluate_readings(reading_ids=store(ward_patient, [("blood_glucose", 85, t0 + 4 * M)], now=t0 + 5 * M),
                             now=t0 + 5 * M)
    client = signed_in(nurse)
    [listed] = client.get("/api/v1/alerts/?state=unresolved").json()
    assert (listed["state"], listed["recovered_at"] is not None) == ("open", True)
    client.post(f"/api/v1/alerts/{listed['id']}/resolve/", {"note": "patient ate; fine"},
                content_type="application/json")
    assert client.get("/api/v1/alerts/?state=unresolved").json() == []
