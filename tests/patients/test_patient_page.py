"""The physician's patient page: what it shows, who may see it, notes and time."""

import datetime as dt

import pytest
from django.test import Client

from alerts.models import Alert, AlertNote, AlertRule
from devices.models import Device
from patients.models import ClinicalNote, ExpectedMeasurement
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


def test_header_shows_open_alerts_with_their_explanation(client, patient):
    rule = AlertRule.objects.get(name="Systolic BP low")
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


def test_charts_carry_the_patients_threshold_bands(client, patient):
    add_readings(patient, "systolic_bp", [(dt.datetime.now(UTC), 130)])
    charts = {c["metric"]: c for c in page(client, patient).context["chart_config"]["charts"]}
    assert {"metric": "systolic_bp", "op": ">", "value": 180, "severity": "high",
            "rule": "Hypertensive crisis (systolic)"} in charts["blood_pressure"]["bands"]


def test_weight_shows_its_one_and_seven_day_change(client, patient):
    latest = dt.datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    add_readings(patient, "body_weight", [(latest - dt.timedelta(days=7, minutes=20), 80.0),
                                          (latest - dt.timedelta(days=1, minutes=-15), 81.5),
                                          (latest, 82.6)])
    weight = page(client, patient).context["weight"]
    assert (weight["change_1d"], weight["change_7d"]) == (1.1, 2.6)
    assert weight["change_1d_flag"] and weight["change_7d_flag"]


def test_adherence_calendar_shows_the_count_of_days_and_the_16_day_bar(client, patient):
    ExpectedMeasurement.objects.create(plan=patient.plan, metric="heart_rate")
    today = dt.datetime.now(UTC)
    add_readings(patient, "heart_rate", ((at, 70) for at in every(today - dt.timedelta(days=4), dt.timedelta(days=1),
                                                                  5)))
    html = page(client, patient).content.decode()
    assert "<strong data-adherence-days>5</strong> of 30 days" in html
    assert "bar is 16 days" in html


def test_alert_history_shows_who_acknowledged_and_resolved_and_the_notes(client, patient, physician):
    nurse = make_user("nurse-q", role="nurse", team=patient.care_team)
    rule = AlertRule.objects.get(name="Systolic BP low")
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
