"""Staff-management API routes, mounted under /api/v1/ (admins only)."""

from django.urls import path

from staff import api

urlpatterns = [
    path("staff/", api.staff_list, name="api-staff-list"),
    path("staff/<int:user_id>/deactivate/", api.staff_deactivate, name="api-staff-deactivate"),
    path("staff/<int:user_id>/unlock/", api.staff_unlock, name="api-staff-unlock"),
    path("care-teams/<int:team_id>/members/", api.care_team_members, name="api-care-team-members"),
    path("care-teams/<int:team_id>/members/<int:user_id>/", api.care_team_member,
         name="api-care-team-member"),
]
