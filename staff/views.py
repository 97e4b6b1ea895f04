"""Admin pages for staff users and care teams. Writes are staff.services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts import rota
from alerts.models import NotificationChannel, OnCallShift
from patients.models import CareTeam
from rpm.errors import DomainError, add_to_form
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
    teams = list(services.care_teams_with_members())
    channels, shifts = services.channels_by_team(), services.upcoming_shifts_by_team()
    for team in teams:
        team.channel_list, team.shift_list = channels.get(team.id, []), shifts.get(team.id, [])
    return render(request, "staff/care_teams.html",
                  {"form": form, "teams": teams, "member_form": MemberForm()},
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


class ChannelForm(forms.Form):
    label = forms.CharField(max_length=100)
    url = forms.CharField(label="Apprise URL", max_length=1000)
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False,
                                  label="Member (empty: the whole team)")


class ShiftForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), label="On call")
    starts_at = forms.DateTimeField(label="From (UTC)")
    ends_at = forms.DateTimeField(label="To (UTC)")


def _refused(request: HttpRequest, form: forms.Form, error: DomainError | None = None) -> HttpResponse:
    reasons = [f"{field}: {message}" for field, message in (error.errors.items() if error else
                                                              ((f, "; ".join(m)) for f, m in form.errors.items()))]
    messages.error(request, " ".join(reasons))
    return redirect("care-team-list")


@require_POST
@admin_required
def add_channel(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(CareTeam, pk=team_id)
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    try:
        rota.add_channel(care_team=team, by=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, form, exc)
    messages.success(request, f"Added channel {form.cleaned_data['label']} to {team.name}.")
    return redirect("care-team-list")


@require_POST
@admin_required
def remove_channel(request: HttpRequest, team_id: int, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(NotificationChannel, pk=channel_id, care_team_id=team_id)
    rota.remove_channel(channel=channel, by=request.user)
    messages.success(request, f"Removed channel {channel.label}.")
    return redirect("care-team-list")


@require_POST
@admin_required
def add_shift(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(CareTeam, pk=team_id)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    try:
        rota.add_shift(care_team=team, by=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, form, exc)
    messages.success(request, f"{form.cleaned_data['user'].username} is on call for {team.name}.")
    return redirect("care-team-list")


@require_POST
@admin_required
def remove_shift(request: HttpRequest, team_id: int, shift_id: int) -> HttpResponse:
    shift = get_object_or_404(OnCallShift, pk=shift_id, care_team_id=team_id)
    rota.remove_shift(shift=shift, by=request.user)
    messages.success(request, "Removed the shift.")
    return redirect("care-team-list")
