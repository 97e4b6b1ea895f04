"""Reads of patient data. `patients_visible_to` is the one access policy every path uses."""

from __future__ import annotations

from django.db.models import QuerySet

from patients.models import Patient


def patients_visible_to(user) -> QuerySet[Patient]:
    """The patients on the user's care teams; nothing for anyone else (admins included).

    A query filter rather than a check, so a forgotten call shows nothing, not everything.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    return Patient.objects.filter(care_team__memberships__user=user).distinct()
