"""Who hears about an alert, and how. A notifier is anything with `send(alert=, event=, recipients=)`,
named by its dotted path in settings.ALERT_NOTIFIERS (a registry, as healthchecks' TRANSPORTS): the in-app
push lives with the screens (clinic.notifiers), e-mail and the care teams' apprise channels (SMS, Teams, Slack,
webhooks) here.

Escalations go to whoever is on call for the care team (alerts.models.OnCallShift), else to its physicians. A
snoozed alert reaches nobody beyond the dashboard.

Called after commit only. A failing notifier (Redis or the mail server down) is logged by alert id
(never patient data) and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

import apprise
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from alerts.models import Alert, NotificationChannel, OnCallShift, Severity
from patients.models import CareTeamMembership

log = logging.getLogger(__name__)

# config.settings.ALERT_NOTIFIERS adds the in-app push
DEFAULT_NOTIFIERS = ["alerts.notifiers.EmailNotifier", "alerts.notifiers.AppriseNotifier"]


class Notifier(Protocol):
    def send(self, *, alert: Alert, event: str, recipients: list[User]) -> None: ...


# A severity rise, and an acknowledged alert that got worse, are told like a new alert.
RAISED = ("opened", "worsened", "reopened")


class EmailNotifier:
    """High-severity alerts, when raised, worse or escalated, by Django's mail backend (console in development)."""

    events = (*RAISED, "escalated")

    def __init__(self) -> None:
        backend = settings.EMAIL_BACKEND
        if not backend or (backend.endswith(".console.EmailBackend") and settings.RPM_ENV != "development"):
            raise ImproperlyConfigured(
                "e-mail notifier not started: no mail configuration (set EMAIL_HOST, or EMAIL_BACKEND); the "
                "console backend is for development only, it would write patients' data to the logs")

    def send(self, *, alert: Alert, event: str, recipients: list[User]) -> None:
        if alert.severity != Severity.HIGH or event not in self.events:
            return
        addresses = sorted({u.email for u in recipients if u.email})
        if not addresses:
            return
        level = {"escalated": f" (escalation level {alert.escalation_level})", "worsened": " (worse)",
                 "reopened": " (worse since acknowledged)"}.get(event, "")
        send_mail(
            subject=f"[RPM] High alert{level}: {alert.rule.name} for patient {alert.patient.mrn}",
            message=f"{alert.explanation}\n\nOpened {alert.opened_at:%Y-%m-%d %H:%M} UTC. Alert #{alert.pk}.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=addresses,
        )


class AppriseNotifier:
    """High alerts, raised or worse, to the care team's shared channels; raised, worse or escalated, to the own
    channels of the people told (the on-call person for an escalation). The message names the team, not the
    patient: the dashboard, behind sign-in, says who."""

    events = (*RAISED, "escalated")

    def send(self, *, alert: Alert, event: str, recipients: list[User]) -> None:
        if alert.severity != Severity.HIGH or event not in self.events or not recipients:
            return
        team = alert.patient.care_team
        wanted = Q(user_id__in=[u.id for u in recipients])
        if event in RAISED:
            wanted |= Q(user__isnull=True)
        urls = list(NotificationChannel.objects.filter(wanted, care_team=team, enabled=True)
                    .values_list("url", flat=True))
        if not urls:
            return
        what = {"escalated": f"escalated high alert (level {alert.escalation_level})",
                "opened": "new high alert"}.get(event, "worse high alert")
        sender = apprise.Apprise()
        for url in urls:
            sender.add(url)
        body = f"{what[0].upper()}{what[1:]} for a patient on {team.name}: open the dashboard. Alert #{alert.pk}."
        if not sender.notify(title=f"RPM: {what}", body=body):
            log.warning("alert %s: an apprise channel of care team %s failed", alert.pk, team.pk)


def on_call(*, care_team_id: int, now: dt.datetime) -> list[User]:
    """The active members of the team on call now (a shift covering now); empty when nobody is."""
    shifts = OnCallShift.objects.filter(care_team_id=care_team_id, starts_at__lte=now, ends_at__gt=now,
                                        user__is_active=True, user__care_team_memberships__care_team_id=care_team_id)
    return list(User.objects.filter(id__in=shifts.values("user_id")).order_by("username"))


def escalation_recipients(alert: Alert, *, now: dt.datetime) -> list[User]:
    """Whoever is on call for the patient's care team now, else (nobody on call) its physicians."""
    team_id = alert.patient.care_team_id
    rota = on_call(care_team_id=team_id, now=now)
    if rota:
        return rota
    return [m.user for m in CareTeamMembership.objects.filter(
        care_team_id=team_id, user__is_active=True, role=CareTeamMembership.Role.PHYSICIAN).select_related("user")]


def recipients_for(alert: Alert, event: str, *, now: dt.datetime | None = None) -> list[User]:
    """Raised, worse or reopened: the patient's care team. Escalated: the people the escalation named
    (`alert.notified`, chosen by escalation_recipients when it escalated). Nobody while the alert is snoozed."""
    if alert.snoozed_at(now or timezone.now()):
        return []
    if event == "escalated":
        return list(User.objects.filter(username__in=alert.notified, is_active=True).order_by("username"))
    if event not in RAISED:
        return []
    return [m.user for m in CareTeamMembership.objects.filter(care_team_id=alert.patient.care_team_id,
                                                              user__is_active=True).select_related("user")]


_refused: set[str] = set()


def notifiers() -> list[Notifier]:
    """The configured notifiers that can run; one that refuses (no mail configuration) is left out and said so,
    once per process, and the others still run."""
    started = []
    for path in getattr(settings, "ALERT_NOTIFIERS", DEFAULT_NOTIFIERS):
        try:
            started.append(import_string(path)())
        except ImproperlyConfigured as exc:
            if path not in _refused:
                _refused.add(path)
                log.error("%s", exc)
    return started


def notify(alert: Alert, event: str) -> None:
    """Tell every notifier; call after commit."""
    try:
        recipients = recipients_for(alert, event)
    except Exception as exc:  # the database went away after commit: the browsers still get the push
        log.warning("alert %s: could not load recipients: %r", alert.pk, exc)
        recipients = []
    for notifier in notifiers():
        try:
            notifier.send(alert=alert, event=event, recipients=recipients)
        except Exception as exc:
            log.warning("alert %s: %s failed for %s: %r", alert.pk, type(notifier).__name__, event, exc)
