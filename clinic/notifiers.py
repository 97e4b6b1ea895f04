"""The in-app notifier: every change of an alert goes to the dashboards of its care team (clinic.live).
Listed in settings.ALERT_NOTIFIERS beside alerts.notifiers.EmailNotifier."""

from __future__ import annotations

from django.contrib.auth.models import User

from alerts.models import Alert
from clinic import live
from patients.notices import post_notice


class InAppNotifier:
    def send(self, *, alert: Alert, event: str, recipients: list[User]) -> None:
        live.push_alert(alert, event)

    def tell(self, *, kind: str, message: str, recipients: list[User]) -> None:
        post_notice(recipients=recipients, kind=kind, message=message)
