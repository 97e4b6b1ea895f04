"""Staff and care-team management: create staff users with a role, put clinicians on care
teams, deactivate users. Every change is audited.

Reads for the staff pages live here too (`staff_users`, `care_teams_with_members`): they are
small and only the admin pages use them.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone
from knox.models import AuthToken

from patients.models import CareTeam, CareTeamMembership
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent
from rpm.roles import ADMIN, NURSE, PHYSICIAN, ROLES

CLINICAL_ROLES = (NURSE, PHYSICIAN)


class StaffError(InvalidInput):
    """A staff change that is refused; `field` names the input at fault."""


def role_of(user: User) -> str | None:
    """The user's one role group (admin wins if somehow several)."""
    names = {g.name for g in user.groups.all()}
    for role in (ADMIN, PHYSICIAN, NURSE):
        if role in names:
            return role
    return None


@transaction.atomic
def create_staff_user(*, username: str, password: str, role: str, first_name: str = "", last_name: str = "",
                      email: str = "", by=None) -> User:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}", "role")
    username = username.strip()
    if not username:
        raise StaffError("is required", "username")
    if User.objects.filter(username__iexact=username).exists():
        raise StaffError(f"a user named {username!r} already exists", "username")
    user = User(username=username, first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise StaffError(" ".join(exc.messages), "password") from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="staff.create", target=user,
                 detail={"username": user.username, "role": role})
    return user


@transaction.atomic
def add_to_care_team(*, user: User, care_team: CareTeam, by=None) -> CareTeamMembership:
    """Put a nurse or physician on a care team, in the role their group gives them."""
    role = role_of(user)
    if role not in CLINICAL_ROLES:
        raise StaffError("only nurses and physicians join care teams", "user")
    if not user.is_active:
        raise StaffError("this user is deactivated", "user")
    membership, created = CareTeamMembership.objects.get_or_create(user=user, care_team=care_team,
                                                                   defaults={"role": role})
    if created:
        audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="care_team.add_member", target=care_team,
                     detail={"user": user.username, "role": role})
    return membership


@transaction.atomic
def remove_from_care_team(*, user: User, care_team: CareTeam, by=None) -> bool:
    deleted, _ = CareTeamMembership.objects.filter(user=user, care_team=care_team).delete()
    if deleted:
        audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="care_team.remove_member", target=care_team,
                     detail={"user": user.username})
    return bool(deleted)


@transaction.atomic
def create_care_team(*, name: str, by=None) -> CareTeam:
    name = name.strip()
    if not name:
        raise StaffError("is required", "name")
    if CareTeam.objects.filter(name__iexact=name).exists():
        raise StaffError(f"a care team named {name!r} already exists", "name")
    team = CareTeam.objects.create(name=name)
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="care_team.create", target=team,
                 detail={"name": name})
    return team


def _delete_sessions_of(user: User) -> int:
    """Sessions are not indexed by user, so this reads the live ones; staff sessions are few."""
    doomed = [s.session_key for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
              if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def deactivate_user(*, user: User, by=None) -> User:
    """Sign the user out everywhere at once: inactive users fail session and token auth on the
    next request, and their sessions and API tokens are deleted so nothing lingers."""
    if by is not None and user.pk == getattr(by, "pk", None):
        raise StaffError("you cannot deactivate yourself", "user")
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens, _ = AuthToken.objects.filter(user=user).delete()
    sessions = _delete_sessions_of(user)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="staff.deactivate", target=user,
                 detail={"username": user.username, "sessions_ended": sessions, "tokens_deleted": tokens})
    return user


@transaction.atomic
def unlock_sign_in(*, user: User, by=None) -> int:
    """Lift a lockout after failed sign-ins (django-axes) for this username, sooner than its cool-off."""
    cleared = axes_reset(username=user.get_username())
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="staff.unlock", target=user,
                 detail={"username": user.username, "attempts_cleared": cleared})
    return cleared


def locked_out_usernames() -> set[str]:
    """Usernames signing in is locked for now (their failures reached the limit within the cool-off)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = (AccessAttempt.objects.filter(attempt_time__gte=since).values("username")
                .annotate(failures=Sum("failures_since_start")).filter(failures__gte=settings.AXES_FAILURE_LIMIT))
    return {row["username"] for row in failures}


@transaction.atomic
def reactivate_user(*, user: User, by=None) -> User:
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="staff.reactivate", target=user,
                 detail={"username": user.username})
    return user


def staff_users() -> QuerySet[User]:
    return (User.objects.prefetch_related("groups", "care_teams").order_by("-is_active", "username"))


def clinicians(*, active_only: bool = True) -> QuerySet[User]:
    users = User.objects.filter(groups__name__in=CLINICAL_ROLES)
    if active_only:
        users = users.filter(is_active=True)
    return users.distinct().order_by("username")


def care_teams_with_members() -> QuerySet[CareTeam]:
    return CareTeam.objects.prefetch_related(
        Prefetch("memberships", queryset=CareTeamMembership.objects.select_related("user").order_by("user__username"))
    ).order_by("name")
