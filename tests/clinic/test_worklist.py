"""The forward-looking outreach worklist and its "called patient" step."""

import datetime as dt

from clinic.worklist import outreach_worklist
from patients.models import CareTimeEntry
from rpm.models import AuditEvent
from tests.builders import make_team, make_user
from tests.conftest import signed_in
from tests.readings import patient_in_period

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_least_slack_comes_first(team, nurse):
    comfortable = patient_in_period(team, day_of_period=19, data_days=14, now=NOW)  # 12 days left, 2 needed
    tight = patient_in_period(team, day_of_period=26, data_days=10, now=NOW)  # 5 days left, 6 needed
    items = outreach_worklist(user=nurse, now=NOW)
    assert [(i.patient, i.outlook.data_days, i.outlook.days_left) for i in items] == [
        (tight, 10, 5), (comfortable, 14, 12)]


def test_patients_with_16_days_are_not_on_the_list(team, nurse):
    patient_in_period(team, day_of_period=20, data_days=16, now=NOW)
    assert outreach_worklist(user=nurse, now=NOW) == []


def test_called_patient_logs_an_interactive_call_and_its_minutes_in_one_step(team, nurse):
    patient = patient_in_period(team, day_of_period=10, data_days=3, now=dt.datetime.now(UTC))
    response = signed_in(nurse).post(f"/programme/worklist/{patient.id}/called/", {"minutes": "6", "note": "reminded"})
    assert response.status_code == 302
    entry = CareTimeEntry.objects.get(patient=patient)
    assert (entry.minutes, entry.interactive, entry.activity, entry.clinician) == (6, True, "call", nurse)
    assert AuditEvent.objects.filter(verb="care_time.entry", patient=patient, actor=nurse).exists()


def test_called_patient_without_minutes_is_refused_naming_minutes(team, nurse):
    patient = patient_in_period(team, day_of_period=10, data_days=3, now=dt.datetime.now(UTC))
    response = signed_in(nurse).post(f"/programme/worklist/{patient.id}/called/", {"minutes": ""})
    assert response.status_code == 400 and "minutes: must be a whole number" in response.content.decode()
    assert not CareTimeEntry.objects.exists()


def test_the_programme_role_sees_every_team_but_calls_and_opens_only_through_care_teams(team):
    other = patient_in_period(make_team("Ward B"), day_of_period=10, data_days=3, now=dt.datetime.now(UTC))
    manager = make_user("manager-w", role="programme")
    html = signed_in(manager).get("/programme/worklist/").content.decode()
    assert f'data-worklist-patient="{other.id}"' in html and f'href="/patients/{other.id}/"' not in html
    assert signed_in(manager).post(f"/programme/worklist/{other.id}/called/", {"minutes": "5"}).status_code == 404


def test_a_nurse_sees_only_her_teams_patients(team, nurse):
    patient_in_period(make_team("Ward B"), day_of_period=10, data_days=3, now=NOW)
    assert outreach_worklist(user=nurse, now=NOW) == []
