"""The population view: risk order by default, sorting and filtering, scoping, and the audit."""

import datetime as dt

from alerts.models import Alert
from patients import care_time
from rpm.models import AuditEvent
from tests.builders import make_team, make_user
from tests.conftest import signed_in
from tests.readings import patient_in_period

UTC = dt.UTC


def open_alert(patient, rule, severity):
    now = dt.datetime.now(UTC)
    return Alert.objects.create(patient=patient, rule=rule, metric=rule.metric or "", severity=severity, state="open",
                                explanation="synthetic", reading_ids=[], opened_at=now, last_triggered_at=now)


def order(client, **params):
    html = client.get("/programme/population/", params)
    assert html.status_code == 200, html.content
    rows = html.context["rows"]
    return [row.patient for row in rows], rows


def test_the_default_order_puts_open_high_alerts_first_then_those_about_to_miss_their_days(team, nurse,
                                                                                        default_rules):
    comfortable = patient_in_period(team, day_of_period=5, data_days=5)
    tight = patient_in_period(team, day_of_period=26, data_days=10)
    alarming = patient_in_period(team, day_of_period=5, data_days=5)
    open_alert(alarming, default_rules["Hypertensive crisis"], "high")
    patients, rows = order(signed_in(nurse))
    assert patients == [alarming, tight, comfortable]
    assert rows[0].alerts == {"high": 1} and (rows[1].data_days, rows[1].days_left) == (10, 5)


def test_sorting_by_minutes_and_filtering_by_team(team, nurse):
    busy, quiet = (patient_in_period(team, day_of_period=5, data_days=5) for _ in range(2))
    care_time.add_entry(patient=busy, clinician=nurse, data=care_time.EntryInput(minutes=30))
    care_time.add_entry(patient=quiet, clinician=nurse, data=care_time.EntryInput(minutes=3))
    other_team = make_team("Ward B")
    make_user("nurse-both", role="nurse", team=other_team)
    patients, rows = order(signed_in(nurse), sort="minutes")
    assert patients == [quiet, busy] and [r.minutes for r in rows] == [3, 30]
    assert order(signed_in(nurse), team=str(other_team.id))[0] == []


def test_an_unknown_sort_is_a_400(nurse):
    response = signed_in(nurse).get("/programme/population/", {"sort": "secret"})
    assert response.status_code == 400 and "sort or team: not one of the choices" in response.content.decode()


def test_the_programme_role_sees_numbers_but_no_clinical_scores_or_links(team):
    patient = patient_in_period(team, day_of_period=5, data_days=3)
    manager = make_user("manager-p", role="programme")
    response = signed_in(manager).get("/programme/population/")
    row = response.context["rows"][0]
    assert (row.patient, row.data_days, row.visible, row.news2, row.pdc) == (patient, 3, False, None, None)
    assert f'href="/patients/{patient.id}/"' not in response.content.decode()
    assert AuditEvent.objects.filter(actor=manager, verb="programme.population").exists()


def test_a_nurse_sees_only_her_teams(nurse):
    patient_in_period(make_team("Ward B"), day_of_period=5, data_days=3)
    assert order(signed_in(nurse))[0] == []


def test_admins_may_not_see_the_population(admin_client):
    assert admin_client.get("/programme/population/").status_code == 403
