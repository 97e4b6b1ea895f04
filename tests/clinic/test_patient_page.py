"""The physician's patient page: what it shows, who may see it, notes and time."""

import datetime as dt

import pytest
from django.test import Client

from alerts.models import Alert, AlertNote
from devices.models import Device
from devices.services import enrol_device
from patients.models import ClinicalNote, Patient
from rpm.models import AuditEvent
from tests.builders import make_device, make_team, make_user
from tests.readings import add_readings, every

UTC = dt.UTC


@pytest.fixture
def physician(team):
    return make_user("physician-p", role="physician", team=team)


@pytest.fixture
def client(physician):
    c = Client()
    c.force_login(physician)
    return c


def page(client, patient, **params):
    return client.get(f"/patients/{patient.id}/", params)


def test_header_shows_who_the_patient_is(client, patient, physician):
    html = page(client, patient).content.decode()
    assert patient.name in html and patient.mrn in html
    assert "Hypertension" in html and "Female" in html
    assert "physician-p (physician)" in html


def test_header_shows_enrolled_devices_with_last_contact_and_battery(client, patient):
    device, _ = make_device("blood_pressure_monitor", patient=patient)
    Device.objects.filter(pk=device.pk).update(battery_level=17, last_seen_at=dt.datetime.now(UTC))
    html = page(client, patient).content.decode()
    assert device.serial in html and "17 %" in html and "ago" in html


def test_header_shows_open_alerts_with_their_explanation(client, patient, default_rules):
    rule = default_rules["Systolic BP low"]
    now = dt.datetime.now(UTC)
    alert = Alert.objects.create(patient=patient, rule=rule, metric="systolic_bp", severity="high",
                                 explanation="Systolic 84 mmHg at or below 90", opened_at=now, last_triggered_at=now)
    response = page(client, patient)
    assert f'data-alert="{alert.id}"' in response.content.decode()
    assert "Systolic 84 mmHg at or below 90" in response.content.decode()


def test_current_news2_is_shown_when_every_parameter_was_measured(client, patient):
    now = dt.datetime.now(UTC) - dt.timedelta(minutes=5)
    for metric, value in {"respiratory_rate": 22, "spo2": 95, "systolic_bp": 120, "heart_rate": 95,
                          "body_temperature": 37.0}.items():
        add_readings(patient, metric, [(now, value)])
    response = page(client, patient)
    # RR 22 scores 2, SpO2 95 scores 1, pulse 95 scores 1
    assert response.context["news2"]["score"] == 4
    assert 'data-news2="4"' in response.content.decode()


def test_a_chart_per_metric_with_blood_pressure_as_one(client, patient):
    at = dt.datetime.now(UTC) - dt.timedelta(hours=1)
    for metric in ("systolic_bp", "diastolic_bp", "heart_rate", "body_weight"):
        add_readings(patient, metric, [(at, 80)])
    html = page(client, patient).content.decode()
    assert 'data-chart="blood_pressure"' in html
    assert 'data-chart="heart_rate"' in html and 'data-chart="body_weight"' in html
    assert 'data-chart="systolic_bp"' not in html


def test_charts_carry_the_patients_threshold_bands(client, patient, default_rules):
    add_readings(patient, "systolic_bp", [(dt.datetime.now(UTC), 130)])
    charts = {c["metric"]: c for c in page(client, patient).context["chart_config"]["charts"]}
    assert {"metric": "systolic_bp", "op": ">", "value": 180, "severity": "high",
            "rule": "Hypertensive crisis"} in charts["blood_pressure"]["bands"]
    assert {"metric": "diastolic_bp", "op": ">", "value": 120, "severity": "high",
            "rule": "Hypertensive crisis"} in charts["blood_pressure"]["bands"]


def test_weight_shows_each_change_the_heart_failure_rule_judges_flagged_where_it_fires(client, patient,
                                                                                      default_rules):
    Patient.objects.filter(pk=patient.pk).update(conditions=["heart_failure"], timezone="UTC")
    latest = (dt.datetime.now(UTC) - dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    add_readings(patient, "body_weight", [(latest - dt.timedelta(days=7, minutes=20), 80.0),
                                          (latest - dt.timedelta(days=1, minutes=-15), 81.5),
                                          (latest, 82.6)])
    weight = page(client, patient).context["weight"]
    assert [(c["window"], c["change"], c["flag"]) for c in weight["changes"]] == [
        ("1 day", 1.1, True), ("3 days", 1.1, False), ("7 days", 2.6, True)]


def test_weight_changes_are_not_flagged_without_a_weight_rule(client, patient, default_rules):
    latest = dt.datetime.now(UTC) - dt.timedelta(hours=1)
    add_readings(patient, "body_weight", [(latest - dt.timedelta(days=1), 80.0), (latest, 82.6)])
    weight = page(client, patient).context["weight"]
    assert weight["changes"][0]["change"] == 2.6 and not any(c["flag"] for c in weight["changes"])


def test_data_day_calendar_shows_the_count_of_days_and_the_16_day_bar(client, patient):
    today = dt.datetime.now(UTC)
    device, _ = make_device("pulse_oximeter")
    enrol_device(device=device, patient=patient, at=today - dt.timedelta(days=10))
    add_readings(patient, "heart_rate", ((at, 70) for at in every(today - dt.timedelta(days=4), dt.timedelta(days=1),
                                                                  5)), device=device)
    add_readings(patient, "heart_rate", [(today - dt.timedelta(days=6), 70)], source="manual")
    html = page(client, patient).content.decode()
    assert "<strong data-adherence-days>5</strong> of 30 days" in html
    assert "bar is 16 days" in html


def test_alert_history_shows_who_acknowledged_and_resolved_and_the_notes(client, patient, physician, default_rules):
    nurse = make_user("nurse-q", role="nurse", team=patient.care_team)
    rule = default_rules["Systolic BP low"]
    now = dt.datetime.now(UTC)
    alert = Alert.objects.create(patient=patient, rule=rule, metric="systolic_bp", severity="high", state="resolved",
                                 explanation="Systolic 88 mmHg", opened_at=now, last_triggered_at=now,
                                 acknowledged_at=now, acknowledged_by=nurse, resolved_at=now, resolved_by=physician,
                                 resolution="rechecked, 118 mmHg")
    AlertNote.objects.create(alert=alert, author=nurse, verb="note", text="called the patient")
    html = page(client, patient).content.decode()
    assert "nurse-q," in html and "physician-p," in html
    assert "rechecked, 118 mmHg" in html and "called the patient" in html


def test_readings_table_is_newest_first_with_source_and_device(client, patient):
    device, _ = make_device(patient=patient)
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    add_readings(patient, "heart_rate", [(base, 61), (base + dt.timedelta(hours=1), 62)], device=device)
    rows = page(client, patient).context["readings"]["rows"]
    assert [r.value for r in rows] == [62, 61]
    html = page(client, patient).content.decode()
    assert device.serial in html and "Seed" in html


def test_readings_table_pages_and_filters_by_metric(client, patient):
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    add_readings(patient, "heart_rate", ((at, 70) for at in every(base, dt.timedelta(minutes=1), 60)))
    add_readings(patient, "spo2", [(base + dt.timedelta(days=1), 97)])
    second = page(client, patient, metric="heart_rate", page=2).context["readings"]
    assert len(second["rows"]) == 25 and second["has_next"] and second["has_previous"]
    assert {r.metric for r in second["rows"]} == {"heart_rate"}


def test_a_note_with_minutes_is_saved_and_counted_for_its_month(client, patient, physician):
    response = client.post(f"/patients/{patient.id}/notes/", {"text": "Reviewed BP trend", "minutes": "20"})
    assert response.status_code == 302
    client.post(f"/patients/{patient.id}/notes/", {"text": "", "minutes": "15"})
    months = page(client, patient).context["minutes_by_month"]
    assert months[0]["minutes"] == 35
    assert ClinicalNote.objects.filter(patient=patient, author=physician).count() == 2


def test_an_empty_note_is_refused_with_the_reason(client, patient):
    response = client.post(f"/patients/{patient.id}/notes/", {"text": " ", "minutes": ""})
    assert response.status_code == 400
    assert "write a note or log the minutes spent" in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_minutes_are_counted_per_calendar_month_in_the_patients_zone(patient, physician):
    from patients.notes import add_clinical_note, minutes_by_month

    # 23:30 UTC on 31 January is 08:30 on 1 February in Tokyo
    patient.timezone = "Asia/Tokyo"
    patient.save()
    add_clinical_note(patient=patient, author=physician, text="call", minutes=10,
                      now=dt.datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    assert minutes_by_month(patient=patient) == [{"month": dt.date(2026, 2, 1), "minutes": 10}]


def test_opening_the_page_is_audited(client, patient, physician):
    page(client, patient)
    assert AuditEvent.objects.filter(actor=physician, patient=patient, verb="patient.page").exists()


def test_another_teams_physician_gets_404_for_the_page(patient):
    outsider = make_user("physician-out", role="physician", team=make_team("Ward Q"))
    c = Client()
    c.force_login(outsider)
    assert page(c, patient).status_code == 404
    assert c.post(f"/patients/{patient.id}/notes/", {"text": "x"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(patient):
    response = Client().get(f"/patients/{patient.id}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def alert_in(patient, rule, **fields):
    now = dt.datetime.now(UTC)
    return Alert.objects.create(patient=patient, rule=rule, metric=rule.metric, severity="high",
                                explanation="Systolic blood pressure 84 mmHg, at or below 90 mmHg", opened_at=now,
                                last_triggered_at=now, **fields)


def test_the_page_opens_for_a_patient_whose_alert_resolved_itself(client, patient, default_rules):
    now = dt.datetime.now(UTC)
    alert = alert_in(patient, default_rules["Systolic BP low"], state="resolved", resolved_at=now,
                     resolution="Resolved automatically: systolic blood pressure back at or above 95 mmHg")
    AlertNote.objects.create(alert=alert, author=None, verb="resolve", text=alert.resolution)
    response = page(client, patient)
    assert response.status_code == 200
    assert "automatically," in response.content.decode()


@pytest.mark.parametrize(("fields", "shown"), [
    ({}, ">open<"),
    ({"state": "acknowledged", "acknowledged_at": dt.datetime(2026, 11, 1, tzinfo=UTC)}, ">acknowledged<"),
    ({"recovered_at": dt.datetime(2026, 11, 1, tzinfo=UTC), "recovery": "back at 118"}, "recovered, not yet reviewed"),
    ({"reopened_at": dt.datetime(2026, 11, 1, tzinfo=UTC)}, ">open<"),
    ({"state": "resolved", "resolved_at": dt.datetime(2026, 11, 1, tzinfo=UTC)}, ">resolved<"),
])
def test_the_page_shows_every_alert_state(client, patient, default_rules, fields, shown):
    alert_in(patient, default_rules["Systolic BP low"], **fields)
    response = page(client, patient)
    assert response.status_code == 200 and shown in response.content.decode()


def test_an_implausible_reading_is_marked_in_the_table(client, patient):
    from devices.models import Reading

    add_readings(patient, "spo2", [(dt.datetime.now(UTC), 45)])
    Reading.objects.update(quality="implausible")
    html = page(client, patient).content.decode()
    assert 'data-quality="implausible"' in html and "check the patient or the device" in html


@pytest.mark.parametrize(("fields", "reason"), [({"pregnant": True}, "NEWS2 is not validated in pregnancy"),
                                                ({"birth_date": dt.date(2015, 1, 1)},
                                                 "NEWS2 is not validated under 16 years")])
def test_the_page_says_why_there_is_no_news2(client, patient, fields, reason):
    Patient.objects.filter(pk=patient.pk).update(**fields)
    html = page(client, patient).content.decode()
    assert reason in html


# --- NEWS2 settings: a physician's decision, with the prescriber, the target and a reason --------------------------

SCALE_2 = {"spo2_scale": "2", "spo2_target_low": "88", "spo2_target_high": "92", "on_supplemental_oxygen": "on",
           "consciousness": "alert", "prescriber": "Dr Resp (respiratory consultant)",
           "reason": "hypercapnic COPD, ABG 12 Nov"}


def test_a_physician_sets_scale_2_with_its_target_and_it_is_audited_and_shown(client, patient, physician):
    response = client.post(f"/patients/{patient.id}/news2-settings/", SCALE_2)
    assert response.status_code == 302
    patient.plan.refresh_from_db()
    plan = patient.plan
    assert (plan.spo2_scale, plan.spo2_target_low, plan.spo2_target_high, plan.on_supplemental_oxygen) == (
        2, 88, 92, True)
    event = AuditEvent.objects.get(verb="patient.news2_settings", actor=physician)
    assert event.detail["before"]["spo2_scale"] == 1 and event.detail["after"]["spo2_scale"] == 2
    html = page(client, patient).content.decode()
    assert "SpO2 scale 2 (target 88-92 %)" in html and "Dr Resp" in html and "hypercapnic COPD" in html


def test_scale_2_is_refused_without_the_88_to_92_target(client, patient):
    response = client.post(f"/patients/{patient.id}/news2-settings/", {**SCALE_2, "spo2_target_low": "90",
                                                                       "spo2_target_high": "94"})
    assert response.status_code == 400 and "88-92" in response.content.decode()
    patient.plan.refresh_from_db()
    assert patient.plan.spo2_scale == 1


def test_news2_settings_need_a_reason(client, patient):
    response = client.post(f"/patients/{patient.id}/news2-settings/", {**SCALE_2, "reason": ""})
    assert response.status_code == 400 and "give the clinical reason" in response.content.decode()


def test_a_nurse_cannot_change_the_news2_settings(patient, nurse):
    c = Client()
    c.force_login(nurse)
    assert c.post(f"/patients/{patient.id}/news2-settings/", SCALE_2).status_code == 403
    patient.plan.refresh_from_db()
    assert patient.plan.spo2_scale == 1


def test_the_news2_settings_api_reads_and_writes_the_same_settings(client, patient):
    body = {"spo2_scale": 2, "spo2_target_low": 88, "spo2_target_high": 92, "on_supplemental_oxygen": True,
            "prescriber": "Dr Resp", "reason": "hypercapnic COPD"}
    response = client.post(f"/api/v1/patients/{patient.id}/news2-settings/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["spo2_scale"] == 2 and response.json()["set_by"] == "physician-p"
    assert client.get(f"/api/v1/patients/{patient.id}/news2-settings/").json()["prescriber"] == "Dr Resp"


def test_news2_settings_are_not_editable_in_django_admin():
    from django.contrib import admin

    from patients.models import MonitoringPlan

    readonly = admin.site._registry[MonitoringPlan].readonly_fields
    assert {"spo2_scale", "on_supplemental_oxygen", "consciousness"} <= set(readonly)
