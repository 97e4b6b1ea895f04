"""Acknowledge, resolve, note, escalate (controllable clock), notify, and per-patient overrides."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts import engine, services
from alerts.models import Alert, AlertNote
from rpm.models import AuditEvent
from tests.alerts.conftest import rule_names_in_force
from tests.builders import make_user
from tests.readings import store

M = dt.timedelta(minutes=1)


@pytest.fixture
def alert(ward_patient, t0):
    """A high alert (respiratory rate 6) opened at t0 + 1 min."""
    ids = store(ward_patient, [("respiratory_rate", 6, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    return Alert.objects.get(patient=ward_patient)


@pytest.fixture
def physician(team):
    user = make_user("doc-a", role="physician", team=team)
    user.email = "doc-a@example.test"
    user.save()
    return user


def test_acknowledging_records_who_and_when_and_is_audited(alert, nurse, t0):
    services.acknowledge_alert(alert=alert, by=nurse, note="calling the patient", now=t0 + 2 * M)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", nurse, t0 + 2 * M)
    assert AlertNote.objects.get(alert=alert, verb="acknowledge").text == "calling the patient"
    assert AuditEvent.objects.filter(verb="alert.acknowledge", actor=nurse, object_id=str(alert.pk)).exists()


def test_an_acknowledged_alert_cannot_be_acknowledged_again(alert, nurse):
    services.acknowledge_alert(alert=alert, by=nurse)
    with pytest.raises(services.AlertStateError):
        services.acknowledge_alert(alert=alert, by=nurse)


def test_resolving_without_a_note_says_who_resolved_it(alert, nurse, t0):
    services.resolve_alert(alert=alert, by=nurse, now=t0 + 3 * M)
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.resolved_at) == ("resolved", nurse, t0 + 3 * M)
    assert alert.resolution == "Resolved by nurse-a."


def test_resolving_with_a_note_keeps_the_note_as_the_resolution(alert, nurse):
    services.resolve_alert(alert=alert, by=nurse, note="probe fell off; repositioned")
    alert.refresh_from_db()
    assert alert.resolution == "probe fell off; repositioned"
    assert AuditEvent.objects.filter(verb="alert.resolve", actor=nurse).exists()


def test_an_acknowledged_alert_can_then_be_resolved(alert, nurse, t0):
    services.acknowledge_alert(alert=alert, by=nurse, now=t0 + 2 * M)
    services.resolve_alert(alert=alert, by=nurse, note="settled", now=t0 + 9 * M)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by, alert.resolved_by, alert.resolved_at) == (
        "resolved", nurse, nurse, t0 + 9 * M)
    assert list(alert.notes.values_list("verb", flat=True)) == ["acknowledge", "resolve"]


def test_a_resolved_alert_cannot_be_resolved_again(alert, nurse):
    services.resolve_alert(alert=alert, by=nurse)
    with pytest.raises(services.AlertStateError):
        services.resolve_alert(alert=alert, by=nurse)


def test_notes_are_kept_with_their_author_and_audited(alert, nurse):
    services.add_note(alert=alert, by=nurse, text="GP informed")
    assert list(alert.notes.filter(verb="note").values_list("author__username", "text")) == [("nurse-a", "GP informed")]
    assert AuditEvent.objects.filter(verb="alert.note", actor=nurse).exists()


def test_a_blank_note_is_refused(alert, nurse):
    with pytest.raises(ValidationError):
        services.add_note(alert=alert, by=nurse, text="  ")


def test_a_high_alert_escalates_at_exactly_five_minutes_unacknowledged(alert, t0):
    opened = alert.opened_at
    assert services.escalate_due_alerts(now=opened + 5 * M - dt.timedelta(seconds=1)) == []
    assert [a.pk for a in services.escalate_due_alerts(now=opened + 5 * M)] == [alert.pk]
    alert.refresh_from_db()
    assert (alert.escalation_level, alert.escalated_at) == (1, opened + 5 * M)
    assert AuditEvent.objects.filter(verb="alert.escalate", object_id=str(alert.pk)).exists()


def test_escalation_repeats_each_period_until_acknowledged(alert, nurse):
    opened = alert.opened_at
    services.escalate_due_alerts(now=opened + 5 * M)
    assert services.escalate_due_alerts(now=opened + 9 * M) == []
    services.escalate_due_alerts(now=opened + 10 * M)
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    services.acknowledge_alert(alert=alert, by=nurse)
    assert services.escalate_due_alerts(now=opened + 60 * M) == []


def test_escalation_stops_at_level_3(alert):
    opened = alert.opened_at
    for minutes in (5, 10, 15, 20, 25, 60):
        services.escalate_due_alerts(now=opened + minutes * M)
    alert.refresh_from_db()
    assert alert.escalation_level == services.MAX_ESCALATION_LEVEL == 3


def test_a_low_alert_waits_four_hours_before_escalating(team, default_rules, t0):
    from tests.builders import make_patient

    patient = make_patient(team, conditions=["hypertension"])
    day = dt.timedelta(days=1)
    ids = store(patient, [("systolic_bp", 150, t0 - 2 * day), ("systolic_bp", 150, t0 - day),
                          ("systolic_bp", 150, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    alert = Alert.objects.get()
    assert alert.severity == "low"
    assert services.escalate_due_alerts(now=alert.opened_at + 4 * 60 * M - M) == []
    assert len(services.escalate_due_alerts(now=alert.opened_at + 4 * 60 * M)) == 1


def test_a_medium_alert_waits_thirty_minutes_before_escalating(ward_patient, t0):
    ids = store(ward_patient, [("body_temperature", 38.5, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    opened = Alert.objects.get().opened_at
    assert services.escalate_due_alerts(now=opened + 29 * M) == []
    assert len(services.escalate_due_alerts(now=opened + 30 * M)) == 1


def test_escalating_a_high_alert_emails_the_care_team_physicians(alert, physician, nurse, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    nurse.email = "nurse-a@example.test"
    nurse.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_due_alerts(now=alert.opened_at + 5 * M)
    assert [m.to for m in mailoutbox] == [["doc-a@example.test"]]
    assert "escalation level 1" in mailoutbox[0].subject
    assert alert.explanation in mailoutbox[0].body


def test_a_new_high_alert_emails_the_care_team(ward_patient, physician, t0, mailoutbox,
                                               django_capture_on_commit_callbacks):
    ids = store(ward_patient, [("systolic_bp", 85, t0)], now=t0 + M)
    with django_capture_on_commit_callbacks(execute=True):
        engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    assert len(mailoutbox) == 1 and "doc-a@example.test" in mailoutbox[0].to


def test_an_acknowledged_alert_that_gets_worse_emails_the_care_team_again(ward_patient, physician, nurse, t0,
                                                                           mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    ids = store(ward_patient, [("spo2", 91, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    services.acknowledge_alert(alert=Alert.objects.get(), by=nurse)
    ids = store(ward_patient, [("spo2", 85, t0 + 5 * M)], now=t0 + 6 * M)
    with django_capture_on_commit_callbacks(execute=True):
        engine.evaluate_readings(reading_ids=ids, now=t0 + 6 * M)
    assert len(mailoutbox) == 1 and "worse since acknowledged" in mailoutbox[0].subject


def test_a_medium_alert_sends_no_email(ward_patient, physician, t0, mailoutbox, django_capture_on_commit_callbacks):
    ids = store(ward_patient, [("body_temperature", 38.5, t0)], now=t0 + M)
    with django_capture_on_commit_callbacks(execute=True):
        engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    assert mailoutbox == []


# --- per-patient overrides ---------------------------------------------------------------------------

SPO2_90 = {"bands": [{"op": "<", "value": 90, "severity": "medium"}], "spo2_scale": 1, "resolve_margin": 1}


def test_a_physician_override_replaces_the_default_for_that_patient_only(ward_patient, default_rules, physician):
    base = default_rules["SpO2 low"]
    override = services.override_rule(rule=base, patient=ward_patient, params=SPO2_90,
                                      reason="chronic lung disease, usual saturation 90-91 %", by=physician)
    names = rule_names_in_force(ward_patient)
    assert override.name in names and base.name not in names
    assert override.created_by == physician and override.reason.startswith("chronic lung disease")


def test_the_override_is_used_by_the_engine(ward_patient, default_rules, physician, t0):
    services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90,
                           reason="usual saturation 90-91 %", by=physician)
    ids = store(ward_patient, [("spo2", 91, t0)], now=t0 + M)
    engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    assert not Alert.objects.exists()
    engine.evaluate_readings(reading_ids=store(ward_patient, [("spo2", 89, t0 + M)], now=t0 + 2 * M), now=t0 + 2 * M)
    assert Alert.objects.get().rule.name == "SpO2 low (patient override)"


def test_an_override_moves_the_patients_open_alert_onto_it(ward_patient, default_rules, physician, t0):
    engine.evaluate_readings(reading_ids=store(ward_patient, [("spo2", 91, t0)], now=t0 + M), now=t0 + M)
    override = services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90,
                                      reason="usual saturation 90-91 %", by=physician)
    alert = Alert.objects.get()
    assert alert.rule == override
    engine.evaluate_readings(reading_ids=store(ward_patient, [("spo2", 85, t0 + M)], now=t0 + 2 * M), now=t0 + 2 * M)
    assert Alert.objects.get().trigger_count == 2  # the same alert, updated: not a second one


def test_an_override_is_audited_with_before_after_and_reason(ward_patient, default_rules, physician):
    services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90,
                           reason="usual saturation 90-91 %", by=physician)
    event = AuditEvent.objects.get(verb="alert_rule.override")
    assert (event.actor, event.patient) == (physician, ward_patient)
    assert event.detail["before"] == default_rules["SpO2 low"].params
    assert event.detail["after"] == SPO2_90
    assert event.detail["reason"] == "usual saturation 90-91 %"


def test_a_nurse_cannot_override_a_rule(ward_patient, default_rules, nurse):
    with pytest.raises(PermissionDenied):
        services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90,
                               reason="x", by=nurse)


def test_an_override_needs_a_reason(ward_patient, default_rules, physician):
    with pytest.raises(ValidationError) as error:
        services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90, reason=" ",
                               by=physician)
    assert "reason" in error.value.message_dict


def test_override_params_are_validated_on_save(ward_patient, default_rules, physician):
    bad = {"bands": [{"op": "<", "value": 90, "severity": "medium"}]}  # persistence without a duration
    with pytest.raises(ValidationError) as error:
        services.override_rule(rule=default_rules["Hyperglycaemia"], patient=ward_patient, params=bad, reason="r",
                               by=physician)
    assert "for_minutes" in str(error.value.message_dict["params"])


def test_an_override_of_a_safety_net_band_needs_a_physician_and_a_reason(ward_patient, default_rules, nurse):
    crisis = default_rules["Hypertensive crisis"]
    with pytest.raises(PermissionDenied):
        services.override_rule(rule=crisis, patient=ward_patient, params=crisis.params, reason="known", by=nurse)


def test_overriding_again_updates_the_same_override(ward_patient, default_rules, physician):
    first = services.override_rule(rule=default_rules["SpO2 low"], patient=ward_patient, params=SPO2_90,
                                   reason="a", by=physician)
    second = services.override_rule(rule=first, patient=ward_patient, params=SPO2_90, reason="b", by=physician)
    assert first.pk == second.pk and second.reason == "b"


def test_a_disabled_override_switches_the_rule_off_for_that_patient(ward_patient, default_rules, physician):
    services.override_rule(rule=default_rules["Device battery low"], patient=ward_patient,
                           params={"check": "battery", "below": 20}, reason="no device", by=physician, enabled=False)
    assert "Device battery low" not in {name.split(" (")[0] for name in rule_names_in_force(ward_patient)}
