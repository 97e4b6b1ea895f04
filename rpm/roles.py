"""Roles are Django groups: `nurse`, `physician`, `admin` (DESIGN.md contract), and `programme`: who runs the RPM
programme (billing report, population counts, worklist figures across care teams). A programme user sees
numbers, MRNs and care teams, never a chart: opening a patient goes through patients_visible_to() like anyone's,
so a programme manager who also looks after patients is given a care-team membership as a nurse or physician."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

NURSE, PHYSICIAN, ADMIN, PROGRAMME = "nurse", "physician", "admin", "programme"
ROLES = (NURSE, PHYSICIAN, ADMIN, PROGRAMME)


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_rpm_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMIN)
        user._rpm_roles = cached
    return cached


def is_admin(user) -> bool:
    return ADMIN in roles_of(user)


def is_clinician(user) -> bool:
    return bool(roles_of(user) & {NURSE, PHYSICIAN})


def is_physician(user) -> bool:
    return PHYSICIAN in roles_of(user)


def is_programme(user) -> bool:
    return PROGRAMME in roles_of(user)


def sees_programme_numbers(user) -> bool:
    """Clinicians see their teams' figures; the programme role sees every team's."""
    return bool(roles_of(user) & {NURSE, PHYSICIAN, PROGRAMME})


class IsAdminRole(BasePermission):
    message = "only admins may manage devices and staff"

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class IsClinician(BasePermission):
    message = "only nurses and physicians may see patient data"

    def has_permission(self, request, view) -> bool:
        return is_clinician(request.user)


class SeesProgrammeNumbers(BasePermission):
    message = "only nurses, physicians and the programme role see programme figures"

    def has_permission(self, request, view) -> bool:
        return sees_programme_numbers(request.user)


class IsPhysician(BasePermission):
    message = "only physicians may do this"

    def has_permission(self, request, view) -> bool:
        return is_physician(request.user)


def role_required(check, message: str):
    """Page decorator factory: sign-in first, then 403 with `message` for anyone `check(user)` refuses."""
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required(is_admin, "only admins may manage devices and staff")
programme_required = role_required(sees_programme_numbers,
                                   "only nurses, physicians and the programme role see programme figures")
