"""The clinicians' alert workflow: assign an alert to a colleague on the team, snooze one alert or one rule for
one patient (at most a day, with a reason; worse ends it: alerts.services.end_snoozes_because_worse), end a snooze,
mark a patient reviewed. Each action is audited and pushed to the dashboards after commit; the callers have
already scoped the alert or patient with alerts_visible_to / patients_visible_to."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertNote, AlertRule, PatientReview, RuleSnooze
from alerts.selectors import rules_in_force
from alerts.services import AlertStateError, _after_commit, _audit, _locked
from alerts.signals import patient_reviewed
from patients.models import CareTeamMembership, Patient
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent

# A snooze hides an alert from escalation and paging: long enough for a known, stable problem over a shift and a
# night, never longer than a day (issue 13).
MAX_SNOOZE = dt.timedelta(hours=24)
MAX_SNOOZE_MINUTES = int(MAX_SNOOZE.total_seconds() // 60)
# the choices the screens offer (static/clinic/js/alert-workflow.js SNOOZE_CHOICES too); the API takes any minute
SNOOZE_MINUTES = (15, 30, 60, 120, 240, 480, 720, 1440)


def _unresolved(alert: Alert) -> None:
    if alert.state == Alert.State.RESOLVED:
        raise AlertStateError("this alert is already resolved", "state")


def _who(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _snooze_end(*, minutes, reason: str, now: dt.datetime) -> tuple[dt.datetime, str]:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_SNOOZE_MINUTES:
        raise InvalidInput(f"snooze for 1 to {MAX_SNOOZE_MINUTES} minutes (24 h at most)", "minutes")
    if not (reason or "").strip():
        raise InvalidInput("say why this alert may wait", "reason")
    return now + dt.timedelta(minutes=minutes), reason.strip()


@transaction.atomic
def assign_alert(*, alert: Alert, assignee: User | None, by: User, now: dt.datetime | None = None) -> Alert:
    """Give the alert to a member of the patient's care team (the caller included), or to nobody."""
    alert = _locked(alert)
    _unresolved(alert)
    if assignee is not None and not CareTeamMembership.objects.filter(
            user=assignee, user__is_active=True, care_team_id=alert.patient.care_team_id).exists():
        raise InvalidInput("assign to a member of the patient's care team", "assignee")
    alert.assigned_to, alert.assigned_at = assignee, (now or timezone.now()) if assignee else None
    alert.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
    text = f"Assigned to {_who(assignee)}." if assignee else "Unassigned."
    AlertNote.objects.create(alert=alert, author=by, verb="assign", text=text)
    _audit(alert, "assign", by=by, assignee=assignee.pk if assignee else None)
    _after_commit(alert, "updated")
    return alert


@transaction.atomic
def snooze_alert(*, alert: Alert, by: User, minutes: int, reason: str, now: dt.datetime | None = None) -> Alert:
    """This one alert: no escalation and no paging until the time given, unless it gets worse."""
    now = now or timezone.now()
    until, reason = _snooze_end(minutes=minutes, reason=reason, now=now)
    alert = _locked(alert)
    _unresolved(alert)
    alert.snoozed_until, alert.snoozed_by, alert.snooze_reason = until, by, reason
    alert.save(update_fields=["snoozed_until", "snoozed_by", "snooze_reason", "updated_at"])
    AlertNote.objects.create(alert=alert, author=by, verb="snooze",
                             text=f"Snoozed until {until:%Y-%m-%d %H:%M} UTC: {reason}")
    _audit(alert, "snooze", by=by, until=until.isoformat(), reason=reason)
    _after_commit(alert, "updated")
    return alert


@transaction.atomic
def snooze_rule(*, patient: Patient, rule: AlertRule, by: User, minutes: int, reason: str,
                now: dt.datetime | None = None) -> RuleSnooze:
    """One rule in force for one patient: its current alert and any it raises before the time given."""
    now = now or timezone.now()
    until, reason = _snooze_end(minutes=minutes, reason=reason, now=now)
    if rule.id not in {row.rule.id for row in rules_in_force([patient])[patient.id]}:
        raise InvalidInput("this rule is not in force for this patient", "rule")
    RuleSnooze.objects.filter(patient=patient, rule=rule, ended_at__isnull=True, until__gt=now).update(
        ended_at=now, ended_because="replaced")
    snooze = RuleSnooze.objects.create(patient=patient, rule=rule, until=until, reason=reason, by=by)
    audit.record(actor=by, action=AuditEvent.Action.ALERT, verb="alert_rule.snooze", patient=patient, target=rule,
                 detail={"until": until.isoformat(), "reason": reason})
    current = Alert.objects.filter(patient=patient, rule=rule).exclude(state=Alert.State.RESOLVED).first()
    if current is not None:
        current = _locked(current)
        current.snoozed_until, current.snoozed_by, current.snooze_reason = until, by, reason
        current.save(update_fields=["snoozed_until", "snoozed_by", "snooze_reason", "updated_at"])
        AlertNote.objects.create(alert=current, author=by, verb="snooze",
                                 text=f"Rule snoozed for this patient until {until:%Y-%m-%d %H:%M} UTC: {reason}")
        _after_commit(current, "updated")
    return snooze


@transaction.atomic
def end_snooze(*, alert: Alert, by: User, now: dt.datetime | None = None) -> Alert:
    """Wake the alert now (and its rule's snooze for this patient): escalation and paging resume."""
    now = now or timezone.now()
    alert = _locked(alert)
    _unresolved(alert)
    RuleSnooze.objects.filter(patient_id=alert.patient_id, rule_id=alert.rule_id, ended_at__isnull=True,
                              until__gt=now).update(ended_at=now, ended_because=f"ended by {by.get_username()}")
    if not alert.snoozed_at(now):
        raise AlertStateError("this alert is not snoozed", "state")
    alert.snoozed_until, alert.snoozed_by, alert.snooze_reason = None, None, ""
    alert.save(update_fields=["snoozed_until", "snoozed_by", "snooze_reason", "updated_at"])
    AlertNote.objects.create(alert=alert, author=by, verb="snooze_end", text="Snooze ended.")
    _audit(alert, "snooze_end", by=by, reason="ended")
    _after_commit(alert, "updated")
    return alert


@transaction.atomic
def mark_reviewed(*, patient: Patient, by: User, note: str = "", now: dt.datetime | None = None) -> PatientReview:
    """A clinician has reviewed this patient's alerts and data; the care team's dashboards are told after commit
    (a failed push only delays it to their next load)."""
    review = PatientReview.objects.create(patient=patient, by=by, at=now or timezone.now(), note=(note or "").strip())
    audit.record(actor=by, action=AuditEvent.Action.ALERT, verb="patient.review", patient=patient, target=review,
                 detail={"note": review.note})
    transaction.on_commit(partial(patient_reviewed.send_robust, sender=PatientReview, review=review))
    return review

