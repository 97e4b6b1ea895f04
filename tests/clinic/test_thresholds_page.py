"""Threshold tuning on the patient page: default beside override, reason required, audited, and the
next reading is judged by the new threshold."""

import datetime as dt

import pytest
from django.test import Client

from alerts import engine
from alerts.models import Alert, AlertRule
from alerts.selectors import rules_in_force
from devices.ingest import ingest
from rpm.models import AuditEvent
from tests.builders import make_team, make_user

CRISIS = "Hypertensive crisis"


@pytest.fixture
def physician(team):
    return make_user("physician-t", role="physician", team=team)


@pytest.fixture
def client(physician):
    c = Client()
    c.force_login(physician)
    return c


@pytest.fixture
def crisis(default_rules):
    return default_rules[CRISIS]


def lower_crisis_to_160(client, patient, crisis, reason="Post-stroke: tighter systolic target"):
    return client.post(f"/patients/{patient.id}/thresholds/{crisis.id}/",
                       {"band-0-value": "160", "reason": reason, "enabled": ["off", "on"]})


def systolic(patient, value, now):
    outcome = ingest(patient_id=patient.id, items=[{"metric": "systolic_bp", "value": value, "unit": "mm[Hg]",
                                                    "measured_at": now}], source="manual", now=now)
    engine.evaluate_readings(reading_ids=[r.id for r in outcome.stored], now=now)


def crisis_alerts(patient):
    return Alert.objects.filter(patient=patient, rule__name__startswith=CRISIS)


def test_the_page_lists_each_rule_with_its_default(client, patient, crisis):
    html = client.get(f"/patients/{patient.id}/").content.decode()
    assert f'data-rule="{crisis.id}"' in html and "&gt; 180 mmHg (high)" in html


def test_an_override_needs_a_reason(client, patient, crisis):
    response = lower_crisis_to_160(client, patient, crisis, reason="  ")
    assert response.status_code == 400
    assert "give the clinical reason" in response.content.decode()
    assert not AlertRule.objects.filter(patient=patient, overrides=crisis).exists()


def test_an_override_is_shown_beside_the_default(client, patient, crisis):
    assert lower_crisis_to_160(client, patient, crisis).status_code == 302
    row = next(r for r in client.get(f"/patients/{patient.id}/").context["rules"] if r.default.id == crisis.id)
    assert (row.bands[0]["value"], row.bands[0]["override"]) == (180, 160)
    assert row.override.reason == "Post-stroke: tighter systolic target"


def test_an_override_is_audited_with_before_and_after(client, patient, crisis, physician):
    lower_crisis_to_160(client, patient, crisis)
    event = AuditEvent.objects.get(actor=physician, patient=patient, verb="alert_rule.override")
    assert event.detail["before"]["bands"][0]["value"] == 180
    assert event.detail["after"]["bands"][0]["value"] == 160


def test_the_override_replaces_the_default_in_the_rules_in_force(client, patient, crisis):
    lower_crisis_to_160(client, patient, crisis)
    in_force = [row.rule for row in rules_in_force([patient])[patient.id] if row.rule.name.startswith(CRISIS)]
    assert [r.params["bands"][0]["value"] for r in in_force] == [160]


def test_the_chart_bands_follow_the_override(client, patient, crisis):
    from tests.readings import add_readings

    add_readings(patient, "systolic_bp", [(dt.datetime.now(dt.UTC), 130)])
    lower_crisis_to_160(client, patient, crisis)
    charts = {c["metric"]: c for c in client.get(f"/patients/{patient.id}/").context["chart_config"]["charts"]}
    values = {b["value"] for b in charts["blood_pressure"]["bands"] if b["metric"] == "systolic_bp" and b["op"] == ">"}
    assert values == {160}


def test_without_an_override_170_raises_no_crisis_alert(patient, default_rules, now):
    systolic(patient, 170, now)
    assert not crisis_alerts(patient).exists()


def test_after_the_override_the_next_reading_of_170_raises_the_crisis_alert(client, patient, crisis, now):
    lower_crisis_to_160(client, patient, crisis)
    systolic(patient, 170, now)
    alert = crisis_alerts(patient).get()
    assert alert.rule.overrides_id == crisis.id and alert.severity == "high"


def test_a_bad_value_is_refused_naming_the_field(client, patient, crisis):
    response = client.post(f"/patients/{patient.id}/thresholds/{crisis.id}/",
                           {"band-0-value": "very high", "reason": "x"})
    assert response.status_code == 400 and "band-0-value" in response.content.decode()


def test_a_nurse_cannot_change_thresholds(patient, crisis, nurse):
    c = Client()
    c.force_login(nurse)
    assert lower_crisis_to_160(c, patient, crisis).status_code == 403
    assert not AlertRule.objects.filter(patient=patient, overrides=crisis).exists()


def test_another_teams_physician_gets_404(patient, crisis):
    c = Client()
    c.force_login(make_user("physician-far", role="physician", team=make_team("Ward F")))
    assert lower_crisis_to_160(c, patient, crisis).status_code == 404


def test_preview_shows_what_the_change_would_have_raised_on_the_last_30_days_without_saving(client, patient, crisis,
                                                                                           now):
    from tests.readings import add_readings

    day = dt.timedelta(days=1)
    add_readings(patient, "systolic_bp", [(now - 20 * day, 170), (now - 10 * day, 150), (now - 5 * day, 165),
                                          (now - 2 * day, 185)])
    response = client.post(f"/patients/{patient.id}/thresholds/{crisis.id}/",
                           {"band-0-value": "160", "action": "preview", "enabled": ["off", "on"]})
    assert response.status_code == 200
    html = response.content.decode()
    # 180: only 185 fires. 160: 170 opens, 150 is back past the margin, 165 opens again (185 is the same episode)
    assert 'data-current="1" data-proposed="2"' in html and "Not saved yet" in html
    assert not AlertRule.objects.filter(patient=patient, overrides=crisis).exists()
    assert AuditEvent.objects.filter(verb="alert_rule.backtest", patient=patient).exists()


def test_the_backtest_api_counts_alerts_with_the_engines_rule_functions(client, patient, crisis, now):
    from tests.readings import add_readings

    add_readings(patient, "systolic_bp", [(now - dt.timedelta(days=d), 170) for d in (3, 2, 1)])
    params = {**crisis.params, "bands": [{**crisis.params["bands"][0], "value": 160}, crisis.params["bands"][1]]}
    body = client.post(f"/api/v1/patients/{patient.id}/rules/{crisis.id}/backtest/", {"params": params},
                       content_type="application/json").json()
    assert (body["current"]["alerts"], body["proposed"]["alerts"]) == (0, 1)  # one episode: stays open
    assert body["proposed"]["readings"] == 3
    assert body["proposed"]["examples"][0]["explanation"] == "Systolic blood pressure 170 mmHg, above 160 mmHg"


def test_the_backtest_api_refuses_bad_params_naming_them(client, patient, crisis):
    response = client.post(f"/api/v1/patients/{patient.id}/rules/{crisis.id}/backtest/",
                           {"params": {"bands": [{"op": "~", "value": 1, "severity": "high"}]}},
                           content_type="application/json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["params.bands[0].op"]
