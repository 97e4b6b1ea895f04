"""Reads of patient data. `patients_visible_to` is the one access policy every path uses."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from patients.models import Patient


def patients_visible_to(user) -> QuerySet[Patient]:
    """The patients on the user's care teams; nothing for anyone else (admins included).

    A query filter rather than a check, so a forgotten call shows nothing, not everything.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    return Patient.objects.filter(care_team__memberships__user=user).distinct()


def latest_values(patient_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Latest reading of each metric for each patient: {patient_id: {metric: {value, unit, measured_at}}}."""
    if not patient_ids:
        return {}
    # One index probe per (patient, metric) through the reading_series index.
    sql = """
    SELECT p.pid, m.metric, r.value, r.unit, r.measured_at
    FROM UNNEST(%s::bigint[]) AS p(pid)
    CROSS JOIN UNNEST(%s::text[]) AS m(metric)
    CROSS JOIN LATERAL (
        SELECT value, unit, measured_at FROM devices_reading
        WHERE patient_id = p.pid AND metric = m.metric
        ORDER BY measured_at DESC LIMIT 1
    ) r
    """
    from devices.metrics import METRICS

    out: dict[int, dict[str, dict[str, Any]]] = {pid: {} for pid in patient_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(patient_ids), list(METRICS)])
        for pid, metric, value, unit, measured_at in cursor.fetchall():
            out[pid][metric] = {"value": value, "unit": unit, "measured_at": measured_at}
    return out

