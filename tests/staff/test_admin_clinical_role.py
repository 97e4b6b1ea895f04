"""An admin who gives themselves a clinical role (a care-team membership in Django admin, or a nurse/physician
group) is audited, and the care team's physicians are told in-app."""

import pytest
from django.contrib.auth.models import Group

from patients.models import CareTeamMembership, Notice
from rpm.models import AuditEvent
from tests.builders import make_user
from tests.conftest import signed_in


@pytest.fixture
def staff_admin(db):
    user = make_user("admin-eve", role="admin")
    user.is_staff = True
    user.save()
    return user


def test_an_admin_adding_themselves_to_a_care_team_in_django_admin_is_audited_and_physicians_are_told(
        staff_admin, team, physician, nurse, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(staff_admin).post(f"/django-admin/patients/careteam/{team.pk}/change/", {
            "name": team.name, "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-user": staff_admin.pk, "memberships-0-role": "physician"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CareTeamMembership.objects.filter(user=staff_admin, care_team=team).exists()
    event = AuditEvent.objects.get(verb="staff.admin_clinical_role")
    assert event.actor == staff_admin
    assert event.detail == {"user": "admin-eve", "role": "physician", "care_team": team.name, "by_self": True}
    told = Notice.objects.filter(kind="admin_clinical_role")
    assert [n.recipient for n in told] == [physician]  # the physicians, not the nurses
    assert "Admin account admin-eve was given the physician role on Ward A (themselves)" in told.get().message
    assert "admin-eve was given the physician role" in signed_in(physician).get("/").content.decode()


def test_a_clinical_group_given_to_an_admin_on_a_team_is_audited_and_told(
        staff_admin, team, physician, django_capture_on_commit_callbacks):
    CareTeamMembership.objects.create(user=staff_admin, care_team=team, role="nurse")
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        staff_admin.groups.add(Group.objects.get_or_create(name="nurse")[0])
    assert AuditEvent.objects.filter(verb="staff.admin_clinical_role", detail__role="nurse").count() == 2
    assert Notice.objects.filter(kind="admin_clinical_role", recipient=physician).exists()


def test_a_nurse_joining_a_team_tells_nobody(team, physician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_user("nurse-new", role="nurse", team=team)
    assert not AuditEvent.objects.filter(verb="staff.admin_clinical_role").exists()
    assert not Notice.objects.exists()
