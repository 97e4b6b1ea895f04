"""Admin pages: staff users, care teams, the audit log."""

from django.urls import path

from staff import audit_views, views

urlpatterns = [
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/<int:user_id>/deactivate/", views.deactivate, name="staff-deactivate"),
    path("staff/<int:user_id>/reactivate/", views.reactivate, name="staff-reactivate"),
    path("staff/<int:user_id>/unlock/", views.unlock, name="staff-unlock"),
    path("care-teams/", views.care_team_list, name="care-team-list"),
    path("care-teams/<int:team_id>/members/", views.add_member, name="care-team-add-member"),
    path("care-teams/<int:team_id>/members/<int:user_id>/remove/", views.remove_member,
         name="care-team-remove-member"),
    path("audit/", audit_views.audit_log, name="audit-log"),
]
