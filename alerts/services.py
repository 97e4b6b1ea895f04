"""Writes on alerts: raise or update from a trigger, recover, acknowledge, resolve, note, escalate, and
per-patient rule overrides. Every action is audited; browsers and notifiers hear about each change after
commit.

Two safety properties live here: worse is news again (a severity rise on an acknowledged alert opens it
again, restarts the escalation clock and is notified like a new alert), and recovery waits for a person (a
medium or high alert that recovers before anyone acknowledged it gets `recovered_at` and stays unresolved
until someone acknowledges or resolves it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alerts.kinds.base import Recovery, Trigger
from alerts.models import SEVERITY_RANK, Alert, AlertNote, AlertRule, RuleSnooze, Severity
from alerts.notifiers import escalation_recipients, notify
from patients.models import CareTeamMembership, Patient
from rpm import audit
from rpm.errors import WrongState
from rpm.models import AuditEvent

# Unacknowledged past this long, an alert escalates one level (and again each period after).
ESCALATE_AFTER = {
    Severity.HIGH: dt.timedelta(minutes=5),
    Severity.MEDIUM: dt.timedelta(minutes=30),
    Severity.LOW: dt.timedelta(hours=4),
}
MAX_ESCALATION_LEVEL = 3
MAX_READING_IDS = 100
PATIENT_LOCK_NAMESPACE = 0x616C  # "al": advisory-lock namespace for alert evaluation of one patient


class AlertStateError(WrongState):
    """The alert is not in a state that allows this action (e.g. acknowledging a resolved alert)."""


def lock_patient(patient_id: int) -> None:
    """Serialise alert evaluation of one patient across workers until the transaction ends."""
    lock_patients([patient_id])


def lock_patients(patient_ids: Iterable[int]) -> None:
    """lock_patient for many patients in one statement, taken in ascending order so that two workers locking
    overlapping sets never hold one each and wait for the other."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(%s, p)) FROM UNNEST(%s::int[]) AS x(p)",
                       [PATIENT_LOCK_NAMESPACE, sorted(set(patient_ids))])


def _after_commit(alert: Alert, event: str) -> None:
    transaction.on_commit(partial(notify, alert, event))


def _audit(alert: Alert, verb: str, *, by=None, **detail) -> None:
    audit.record(actor=by, action=AuditEvent.Action.ALERT, verb=f"alert.{verb}", patient=alert.patient,
                 target=alert, detail={"rule": alert.rule_id, "severity": alert.severity, **detail})


def apply_trigger(*, patient: Patient, rule: AlertRule, trigger: Trigger, now: dt.datetime,
                  metric: str = "") -> Alert | None:
    """Open an alert, or update the unresolved one (count, readings, severity up if worse). None if nothing changed.

    Call inside a transaction holding the patient's lock (lock_patient); the partial unique index
    (one unresolved alert per patient and rule) backs it up if a caller forgets.
    """
    existing = (Alert.objects.select_for_update().filter(patient=patient, rule=rule)
                .exclude(state=Alert.State.RESOLVED).first())
    if existing is None:
        latest = Alert.objects.filter(patient=patient, rule=rule, last_reading_at__isnull=False) \
            .order_by("-last_reading_at").first()
        if latest is not None and trigger.at <= latest.last_reading_at:
            return None  # an older episode arriving late: it belongs to an alert already raised and closed
        alert = Alert(patient=patient, rule=rule, metric=metric or rule.metric, severity=trigger.severity,
                      explanation=trigger.explanation, reading_ids=trigger.reading_ids[-MAX_READING_IDS:],
                      opened_at=now, last_triggered_at=now, trigger_key=trigger.key, last_reading_at=trigger.at)
        snooze = active_rule_snooze(patient_id=patient.id, rule_id=rule.id, now=now)
        if snooze is not None:  # this rule is snoozed for this patient: the new alert is born snoozed
            alert.snoozed_until, alert.snoozed_by_id, alert.snooze_reason = snooze.until, snooze.by_id, snooze.reason
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            # another writer opened it first: treat this trigger as a repeat of that one
            return apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now, metric=metric)
        _audit(alert, "open", explanation=trigger.explanation, readings=trigger.reading_ids[-MAX_READING_IDS:])
        _after_commit(alert, "opened")
        return alert

    if existing.trigger_key == trigger.key:
        return None
    raised = SEVERITY_RANK[trigger.severity] > SEVERITY_RANK[existing.severity]
    newer = existing.last_reading_at is None or trigger.at >= existing.last_reading_at
    existing.trigger_count += 1
    existing.trigger_key = trigger.key
    existing.reading_ids = list(dict.fromkeys(existing.reading_ids + trigger.reading_ids))[-MAX_READING_IDS:]
    existing.last_triggered_at = now
    event = "updated"
    if newer or raised:
        existing.explanation = trigger.explanation
    if newer:
        existing.last_reading_at = trigger.at
        existing.recovered_at, existing.recovery = None, ""  # it is happening again
    if raised:
        existing.severity = trigger.severity
        _audit(existing, "severity_raised", explanation=trigger.explanation)
        event = "worsened"
        end_snoozes_because_worse(existing, now=now, explanation=trigger.explanation)
        if existing.state == Alert.State.ACKNOWLEDGED:
            # worse is news again: back in the queue, escalation counted from now; the acknowledgement stays in
            # the notes and the audit trail
            existing.state = Alert.State.OPEN
            existing.acknowledged_at, existing.acknowledged_by = None, None
            existing.reopened_at = now
            existing.escalation_level, existing.escalated_at = 0, None
            AlertNote.objects.create(alert=existing, author=None, verb="reopen",
                                     text=f"Worse since it was acknowledged: {trigger.explanation}")
            _audit(existing, "reopen", explanation=trigger.explanation)
            event = "reopened"
    existing.save(update_fields=["trigger_count", "trigger_key", "reading_ids", "last_triggered_at", "explanation",
                                 "last_reading_at", "severity", "state", "acknowledged_at", "acknowledged_by",
                                 "reopened_at", "escalation_level", "escalated_at", "recovered_at", "recovery",
                                 "snoozed_until", "snoozed_by", "snooze_reason", "updated_at"])
    _after_commit(existing, event)
    return existing


def active_rule_snooze(*, patient_id: int, rule_id: int, now: dt.datetime) -> RuleSnooze | None:
    return (RuleSnooze.objects.filter(patient_id=patient_id, rule_id=rule_id, ended_at__isnull=True, until__gt=now)
            .order_by("-until").first())


def end_snoozes_because_worse(alert: Alert, *, now: dt.datetime, explanation: str) -> None:
    """A snooze is for a known, stable problem: worse ends it at once (the alert's own, and its rule's for this
    patient), so escalation and notification resume. The caller saves the alert."""
    ended = RuleSnooze.objects.filter(patient_id=alert.patient_id, rule_id=alert.rule_id, ended_at__isnull=True,
                                      until__gt=now).update(ended_at=now, ended_because="worse")
    if not alert.snoozed_at(now) and not ended:
        return
    until = alert.snoozed_until
    alert.snoozed_until, alert.snoozed_by, alert.snooze_reason = None, None, ""
    AlertNote.objects.create(alert=alert, author=None, verb="snooze_end",
                             text=f"Snooze ended early: worse. {explanation}")
    _audit(alert, "snooze_end", reason="worse", until=until.isoformat() if until else None)


def waits_for_review(alert: Alert) -> bool:
    """A medium or high alert nobody has acknowledged does not resolve itself (thresholds are not a person)."""
    return alert.state == Alert.State.OPEN and SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[Severity.MEDIUM]


def apply_recovery(*, alert: Alert, recovery: Recovery, now: dt.datetime) -> Alert | None:
    """Back to normal. Acknowledged alerts and low or info ones resolve automatically, and the resolution says
    why; an unseen medium or high one is marked recovered and waits for a person. None if nothing changed."""
    if alert.last_reading_at is None or recovery.at > alert.last_reading_at:
        alert.last_reading_at = recovery.at
    if waits_for_review(alert):
        if alert.recovered_at is not None:
            return None
        alert.recovered_at, alert.recovery = now, recovery.resolution.replace("Resolved automatically: ", "")
        alert.save(update_fields=["recovered_at", "recovery", "last_reading_at", "updated_at"])
        AlertNote.objects.create(alert=alert, author=None, verb="recover",
                                 text=f"Recovered before anyone acknowledged it; waits for review: {alert.recovery}")
        _audit(alert, "recover", recovery=alert.recovery)
        _after_commit(alert, "recovered")
        return alert
    alert.state = Alert.State.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = None
    alert.resolution = recovery.resolution
    alert.save(update_fields=["state", "resolved_at", "resolved_by", "resolution", "last_reading_at", "updated_at"])
    AlertNote.objects.create(alert=alert, author=None, verb="resolve", text=recovery.resolution)
    _audit(alert, "auto_resolve", resolution=recovery.resolution)
    _after_commit(alert, "resolved")
    return alert


def locked_alert(alert_id: int) -> Alert:
    return Alert.objects.select_for_update().select_related("patient").get(pk=alert_id)


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("patient", "rule").get(pk=alert.pk)


@transaction.atomic
def acknowledge_alert(*, alert: Alert, by, note: str = "", now: dt.datetime | None = None) -> Alert:
    """A nurse has seen it and is acting; stops escalation."""
    alert = _locked(alert)
    if alert.state != Alert.State.OPEN:
        raise AlertStateError(f"this alert is already {alert.state}", "state")
    alert.state = Alert.State.ACKNOWLEDGED
    alert.acknowledged_at = now or timezone.now()
    alert.acknowledged_by = by
    alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "updated_at"])
    AlertNote.objects.create(alert=alert, author=by, verb="acknowledge", text=note)
    _audit(alert, "acknowledge", by=by, note=note)
    _after_commit(alert, "acknowledged")
    return alert


@transaction.atomic
def resolve_alert(*, alert: Alert, by, note: str = "", now: dt.datetime | None = None) -> Alert:
    alert = _locked(alert)
    if alert.state == Alert.State.RESOLVED:
        raise AlertStateError("this alert is already resolved", "state")
    alert.state = Alert.State.RESOLVED
    alert.resolved_at = now or timezone.now()
    alert.resolved_by = by
    alert.resolution = note or f"Resolved by {by.get_username()}."
    alert.save(update_fields=["state", "resolved_at", "resolved_by", "resolution", "updated_at"])
    AlertNote.objects.create(alert=alert, author=by, verb="resolve", text=note)
    _audit(alert, "resolve", by=by, note=note)
    _after_commit(alert, "resolved")
    return alert


@transaction.atomic
def add_note(*, alert: Alert, by, text: str) -> AlertNote:
    if not text.strip():
        raise ValidationError({"text": "a note needs some text"})
    alert = _locked(alert)
    note = AlertNote.objects.create(alert=alert, author=by, verb="note", text=text.strip())
    _audit(alert, "note", by=by, note=text.strip())
    _after_commit(alert, "updated")
    return note


def escalate_due_alerts(*, now: dt.datetime | None = None) -> list[Alert]:
    """Raise the escalation level of open (unacknowledged) alerts past their severity's time; notify physicians."""
    now = now or timezone.now()
    escalated = []
    with transaction.atomic():
        candidates = (Alert.objects.select_for_update(skip_locked=True, of=("self",))
                      .filter(state=Alert.State.OPEN, severity__in=list(ESCALATE_AFTER),
                              escalation_level__lt=MAX_ESCALATION_LEVEL)
                      .select_related("patient", "rule"))
        for alert in candidates:
            since = max(t for t in (alert.escalated_at, alert.reopened_at, alert.opened_at) if t is not None)
            if now - since < ESCALATE_AFTER[alert.severity] or alert.snoozed_at(now):
                continue
            alert.escalation_level += 1
            alert.escalated_at = now
            alert.notified = [u.username for u in escalation_recipients(alert, now=now)]
            alert.save(update_fields=["escalation_level", "escalated_at", "notified", "updated_at"])
            waited = int((now - alert.opened_at).total_seconds() // 60)
            told = f" Notified: {', '.join(alert.notified)}." if alert.notified else ""
            text = f"Escalated to level {alert.escalation_level}: unacknowledged for {waited} min.{told}"
            AlertNote.objects.create(alert=alert, author=None, verb="escalate", text=text)
            _audit(alert, "escalate", level=alert.escalation_level)
            _after_commit(alert, "escalated")
            escalated.append(alert)
    return escalated


@transaction.atomic
def override_rule(*, rule: AlertRule, patient: Patient, params: dict, reason: str, by,
                  enabled: bool = True, severity: str | None = None) -> AlertRule:
    """A physician on the patient's care team replaces a rule's parameters for this patient, with a reason.

    The override keeps the base rule's kind and metric; unresolved alerts under the base rule move to it
    so the patient keeps one alert per condition.
    """
    base = rule.overrides if rule.overrides_id else rule
    if not CareTeamMembership.objects.filter(user=by, care_team_id=patient.care_team_id,
                                             role=CareTeamMembership.Role.PHYSICIAN).exists():
        raise PermissionDenied("only a physician on the patient's care team may override a rule")
    if not (reason or "").strip():
        raise ValidationError({"reason": "give the clinical reason for changing this patient's rule"})
    override = AlertRule.objects.select_for_update().filter(patient=patient, overrides=base).first()
    before = override.params if override else base.params
    if override is None:
        override = AlertRule(patient=patient, overrides=base, scope=AlertRule.Scope.PATIENT, kind=base.kind,
                             metric=base.metric, source=base.source, name=f"{base.name} (patient override)")
    override.params = params
    override.reason = reason.strip()
    override.enabled = enabled
    override.severity = severity or base.severity
    override.created_by = by
    override.full_clean()
    override.save()
    Alert.objects.filter(patient=patient, rule=base).exclude(state=Alert.State.RESOLVED).update(rule=override)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="alert_rule.override", patient=patient,
                 target=override, detail={"base_rule": base.pk, "before": before, "after": params,
                                          "enabled": enabled, "reason": override.reason})
    return override
