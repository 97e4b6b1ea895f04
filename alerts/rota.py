"""Admin writes on how a care team is reached: its apprise notification channels and its on-call rota. Audited;
the channel URL (it holds secrets) is never written to the audit log."""

from __future__ import annotations

import datetime as dt

import apprise
from django.contrib.auth.models import User
from django.db import transaction

from alerts.models import NotificationChannel, OnCallShift
from patients.models import CareTeam, CareTeamMembership
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent

MAX_SHIFT = dt.timedelta(days=7)


def _member(user: User | None, team: CareTeam, field: str) -> None:
    if user is not None and not CareTeamMembership.objects.filter(user=user, care_team=team,
                                                                  user__is_active=True).exists():
        raise InvalidInput(f"{user.username} is not an active member of {team.name}", field)


@transaction.atomic
def add_channel(*, care_team: CareTeam, label: str, url: str, user: User | None = None, by=None
                ) -> NotificationChannel:
    """A team channel (no user) or a member's own; the URL must be one apprise understands."""
    label, url = (label or "").strip(), (url or "").strip()
    if not label:
        raise InvalidInput("is required", "label")
    if not url or not apprise.Apprise().add(url):
        raise InvalidInput("not a notification URL apprise understands (e.g. json://, mailto://, msteams://)",
                           "url")
    _member(user, care_team, "user")
    channel = NotificationChannel.objects.create(care_team=care_team, label=label, url=url, user=user)
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="care_team.channel_add", target=care_team,
                 detail={"channel": channel.pk, "label": label, "user": user.username if user else None,
                         "scheme": url.split("://", 1)[0]})
    return channel


@transaction.atomic
def remove_channel(*, channel: NotificationChannel, by=None) -> None:
    audit.record(actor=by, action=AuditEvent.Action.DELETE, verb="care_team.channel_remove",
                 target=channel.care_team, detail={"channel": channel.pk, "label": channel.label})
    channel.delete()


@transaction.atomic
def add_shift(*, care_team: CareTeam, user: User, starts_at: dt.datetime, ends_at: dt.datetime, by=None
              ) -> OnCallShift:
    if ends_at <= starts_at:
        raise InvalidInput("a shift ends after it starts", "ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidInput("a shift is at most 7 days", "ends_at")
    _member(user, care_team, "user")
    shift = OnCallShift.objects.create(care_team=care_team, user=user, starts_at=starts_at, ends_at=ends_at)
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="care_team.shift_add", target=care_team,
                 detail={"shift": shift.pk, "user": user.username, "starts_at": starts_at.isoformat(),
                         "ends_at": ends_at.isoformat()})
    return shift


@transaction.atomic
def remove_shift(*, shift: OnCallShift, by=None) -> None:
    audit.record(actor=by, action=AuditEvent.Action.DELETE, verb="care_team.shift_remove", target=shift.care_team,
                 detail={"shift": shift.pk, "user": shift.user.username})
    shift.delete()
