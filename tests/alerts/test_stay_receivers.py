"""Pausing a patient closes their missed-data and adherence alerts with the reason; discharge closes every one."""

import datetime as dt

import pytest

from alerts.models import Alert, AlertRule
from patients.admission import discharge_patient, pause_monitoring
from rpm.models import AuditEvent

pytestmark = pytest.mark.django_db


def an_alert(patient, kind):
    rule = AlertRule.objects.create(name=f"test {kind}", kind=kind, metric="heart_rate" if kind == "threshold" else "",
                                    params={}, severity="low")
    now = dt.datetime.now(dt.UTC)
    return Alert.objects.create(patient=patient, rule=rule, severity="low", explanation="x", opened_at=now,
                                last_triggered_at=now)


def test_a_pause_resolves_missing_data_and_adherence_alerts_with_the_reason_and_keeps_vital_alerts(patient, nurse):
    missing, doses, vital = (an_alert(patient, k) for k in ("missing_data", "medication_adherence", "threshold"))

    pause_monitoring(patient=patient, by=nurse, reason="admitted to hospital")

    states = dict(Alert.objects.values_list("id", "state"))
    assert (states[missing.id], states[doses.id], states[vital.id]) == ("resolved", "resolved", "open")
    resolved = Alert.objects.get(pk=missing.pk)
    assert (resolved.resolved_by, resolved.resolution) == (nurse, "Monitoring paused: admitted to hospital")
    assert AuditEvent.objects.filter(verb="alert.resolve").count() == 2


def test_a_discharge_resolves_every_unresolved_alert(patient, physician):
    vital = an_alert(patient, "threshold")
    discharge_patient(patient=patient, by=physician, reason="programme complete")
    assert Alert.objects.get(pk=vital.pk).resolution == "Patient discharged: programme complete"
