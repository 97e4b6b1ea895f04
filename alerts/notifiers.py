"""Who hears about an alert, and how. A notifier is anything with `send(alert=, event=, recipients=)`,
named by its dotted path in settings.ALERT_NOTIFIERS (a registry, as healthchecks' TRANSPORTS): the in-app
push lives with the screens (clinic.notifiers), e-mail here; add SMS or paging by writing one and listing it.

Called after commit only. A failing notifier (Redis or the mail server down) is logged by alert id
(never patient data) and does not stop the others.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from alerts.models import Alert, Severity
from patients.models import CareTeamMembership

log = logging.getLogger(__name__)

DEFAULT_NOTIFIERS = ["alerts.notifiers.EmailNotifier"]  # config.settings.ALERT_NOTIFIERS adds the in-app push


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


def recipients_for(alert: Alert, event: str) -> list[User]:
    """Raised, worse or reopened: the patient's care team. Escalated: the care team's physicians."""
    memberships = CareTeamMembership.objects.filter(care_team_id=alert.patient.care_team_id,
                                                    user__is_active=True).select_related("user")
    if event == "escalated":
        memberships = memberships.filter(role=CareTeamMembership.Role.PHYSICIAN)
    elif event not in RAISED:
        return []
    return [m.user for m in memberships]


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
