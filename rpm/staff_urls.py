"""Admin pages of the project package: staff users, care teams, the audit log."""

from django.urls import path

from rpm import audit_views, staff_views

urlpatterns = [
    path("staff/", staff_views.staff_list, name="staff-list"),
    path("staff/<int:user_id>/deactivate/", staff_views.deactivate, name="staff-deactivate"),
    path("staff/<int:user_id>/reactivate/", staff_views.reactivate, name="staff-reactivate"),
    path("care-teams/", staff_views.care_team_list, name="care-team-list"),
    path("care-teams/<int:team_id>/members/", staff_views.add_member, name="care-team-add-member"),
    path("care-teams/<int:team_id>/members/<int:user_id>/remove/", staff_views.remove_member,
         name="care-team-remove-member"),
    path("audit/", audit_views.audit_log, name="audit-log"),
]
