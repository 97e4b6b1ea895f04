"""Admin pages for staff users and care teams. Writes are staff.services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients.models import CareTeam
from rpm.errors import add_to_form
from rpm.roles import ROLES, admin_required
from staff import services


class StaffForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    password = forms.CharField(label="Initial password", widget=forms.PasswordInput, min_length=10,
                               help_text="At least 10 characters; give it to the person in a safe way.")


class CareTeamForm(forms.Form):
    name = forms.CharField(label="New care team", max_length=100)


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Add nurse or physician")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = services.clinicians()


def _users_page(request: HttpRequest, form: StaffForm, status: int = 200) -> HttpResponse:
    users = list(services.staff_users())
    locked = services.locked_out_usernames()
    for user in users:
        user.role = services.role_of(user)
        user.locked_out = user.username in locked
    return render(request, "staff/users.html", {"form": form, "users": users}, status=status)


@admin_required
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_staff_user(**form.cleaned_data, by=request.user)
        except services.StaffError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Created {user.username} ({form.cleaned_data['role']}).")
            return redirect("staff-list")
    return _users_page(request, form, status=400 if form.errors else 200)


@require_POST
@admin_required
def deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    try:
        services.deactivate_user(user=user, by=request.user)
    except services.StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deactivated {user.username}; their sessions and API tokens no longer work.")
    return redirect("staff-list")


@require_POST
@admin_required
def reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    services.reactivate_user(user=user, by=request.user)
    messages.success(request, f"Reactivated {user.username}.")
    return redirect("staff-list")


@require_POST
@admin_required
def unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    services.unlock_sign_in(user=user, by=request.user)
    messages.success(request, f"Unlocked signing in for {user.username}.")
    return redirect("staff-list")


@admin_required
def care_team_list(request: HttpRequest) -> HttpResponse:
    form = CareTeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_care_team(name=form.cleaned_data["name"], by=request.user)
        except services.StaffError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Created care team {team.name}.")
            return redirect("care-team-list")
    return render(request, "staff/care_teams.html",
                  {"form": form, "teams": services.care_teams_with_members(), "member_form": MemberForm()},
                  status=400 if form.errors else 200)


@require_POST
@admin_required
def add_member(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(CareTeam, pk=team_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an active nurse or physician to add.")
        return redirect("care-team-list")
    user = form.cleaned_data["user"]
    try:
        services.add_to_care_team(user=user, care_team=team, by=request.user)
    except services.StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{user.username} is on {team.name}.")
    return redirect("care-team-list")


@require_POST
@admin_required
def remove_member(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = get_object_or_404(CareTeam, pk=team_id)
    user = get_object_or_404(User, pk=user_id)
    services.remove_from_care_team(user=user, care_team=team, by=request.user)
    messages.success(request, f"{user.username} is no longer on {team.name}.")
    return redirect("care-team-list")
