"""Sign-in, sign-out and failed sign-in are audited, on every path that goes through django.contrib.auth
(the login page, Django admin, the token endpoint's authenticate())."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from rpm import audit
from rpm.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="rpm.audit.sign_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    audit.record(actor=user, action=AuditEvent.Action.LOGIN, verb="auth.sign_in")


@receiver(user_logged_out, dispatch_uid="rpm.audit.sign_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    audit.record(actor=user, action=AuditEvent.Action.LOGIN, verb="auth.sign_out")


@receiver(user_login_failed, dispatch_uid="rpm.audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # the username tried (never the password: Django has already masked it) says whose account was tried
    username = str(credentials.get("username", ""))[:150]
    audit.record(actor=None, action=AuditEvent.Action.LOGIN, verb="auth.sign_in_failed",
                 detail={"username": username})
