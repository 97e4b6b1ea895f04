"""In-app notices to staff (patients.models.Notice): written by the in-app notifier, read on the dashboard."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from patients.models import CareTeamMembership, Notice


def post_notice(*, recipients: list[User], kind: str, message: str) -> list[Notice]:
    return Notice.objects.bulk_create([Notice(recipient=user, kind=kind, message=message) for user in recipients])


def unread_notices(*, user) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user, read_at=None)


def mark_read(*, user, notice_ids: list[int]) -> int:
    return Notice.objects.filter(recipient=user, id__in=notice_ids, read_at=None).update(read_at=timezone.now())


def team_members(*, care_team_id: int, roles: tuple[str, ...] | None = None) -> list[User]:
    memberships = CareTeamMembership.objects.filter(care_team_id=care_team_id, user__is_active=True)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return [m.user for m in memberships.select_related("user")]
