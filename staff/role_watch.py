"""An admin cannot take a clinical role unnoticed: a care-team membership or a nurse/physician group given to a
user who is an admin (or a superuser), on any path (staff pages, Django admin, the shell), is audited and the
care team's physicians are told (alerts.notifiers.tell_team: in-app, and e-mail where configured)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from alerts.notifiers import tell_team
from patients.models import CareTeamMembership
from rpm import audit
from rpm.models import AuditEvent
from rpm.roles import ADMIN, NURSE, PHYSICIAN


def _is_admin(user: User) -> bool:
    return user.is_superuser or user.groups.filter(name=ADMIN).exists()


def _told(*, user: User, care_team_id: int, team_name: str, role: str) -> None:
    by = audit.requester()
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="staff.admin_clinical_role",
                 detail={"user": user.username, "role": role, "care_team": team_name,
                         "by_self": by is not None and by.pk == user.pk})
    who = "themselves" if by is not None and by.pk == user.pk else f"by {by.username if by else 'the system'}"
    message = (f"Admin account {user.username} was given the {role} role on {team_name} ({who}): it can now see "
               f"this team's patients. If this was not agreed, tell the security officer.")
    transaction.on_commit(lambda: tell_team(care_team_id=care_team_id, kind="admin_clinical_role", message=message,
                                            roles=(CareTeamMembership.Role.PHYSICIAN,), leave_out=user.pk))


@receiver(post_save, sender=CareTeamMembership, dispatch_uid="staff.role_watch.membership")
def _membership_saved(sender, instance: CareTeamMembership, created: bool, **kwargs) -> None:
    if created and _is_admin(instance.user):
        _told(user=instance.user, care_team_id=instance.care_team_id, team_name=instance.care_team.name,
              role=instance.role)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="staff.role_watch.groups")
def _groups_changed(sender, instance, action: str, pk_set, reverse: bool, **kwargs) -> None:
    if action != "post_add" or reverse or not isinstance(instance, User):
        return
    added = set(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    clinical = added & {NURSE, PHYSICIAN}
    names = set(instance.groups.values_list("name", flat=True))
    if not (clinical and _is_admin(instance)) and not (ADMIN in added and names & {NURSE, PHYSICIAN}):
        return
    role = ", ".join(sorted((clinical or names) & {NURSE, PHYSICIAN}))
    memberships = list(CareTeamMembership.objects.filter(user=instance).select_related("care_team"))
    if not memberships:
        audit.record(actor=audit.requester(), action=AuditEvent.Action.CHANGE, verb="staff.admin_clinical_role",
                     detail={"user": instance.username, "role": role, "care_team": None})
    for membership in memberships:
        _told(user=instance, care_team_id=membership.care_team_id, team_name=membership.care_team.name, role=role)
