"""Reads of patient data. `patients_visible_to` is the one access policy every path uses."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from patients.models import BreakGlassAccess, CareTeamMembership, Patient


def patients_visible_to(user, *, now: dt.datetime | None = None) -> QuerySet[Patient]:
    """The patients on the user's care teams, plus any they hold open break-glass access to; nothing for anyone
    else (admins included).

    A query filter rather than a check, so a forgotten call shows nothing, not everything.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    # subqueries, not joins: no duplicate rows to take out again
    on_team = Q(care_team__in=CareTeamMembership.objects.filter(user=user).values("care_team"))
    break_glass = Q(id__in=BreakGlassAccess.objects.filter(user=user, expires_at__gt=now or timezone.now())
                    .values("patient"))
    return Patient.objects.filter(on_team | break_glass)
