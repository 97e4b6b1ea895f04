"""Reads of alerts and rules: which rules apply to a patient, who sees which alerts, NEWS2 now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from alerts import news2, rules
from alerts.models import Alert, AlertRule
from devices.models import Reading
from patients.models import MonitoringPlan, Patient
from patients.selectors import patients_visible_to


def applicable_rules(all_rules: Iterable[AlertRule], *, patient: Patient, spo2_scale: int) -> list[AlertRule]:
    """The rules that apply to this patient out of a preloaded list (the engine loads them once per batch).

    A patient's override replaces the rule it overrides; a disabled override switches that rule off.
    """
    conditions = set(patient.conditions or ())
    chosen: dict[int, AlertRule] = {}
    overrides: dict[int, AlertRule] = {}
    for rule in all_rules:
        if rule.scope == AlertRule.Scope.PATIENT:
            if rule.patient_id != patient.id:
                continue
            if rule.overrides_id is not None:
                overrides[rule.overrides_id] = rule
                continue
        elif rule.scope == AlertRule.Scope.CONDITION and rule.condition not in conditions:
            continue
        if rule.enabled:
            chosen[rule.id] = rule
    for base_id, override in overrides.items():
        if base_id in chosen:
            del chosen[base_id]
            if override.enabled:
                chosen[override.id] = override
    return [rule for rule in chosen.values() if rule.params.get("spo2_scale") in (None, spo2_scale)]


def effective_rules_for(patient: Patient) -> list[AlertRule]:
    """The rules the engine applies to this patient, overrides in place of the defaults they replace."""
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    candidates = AlertRule.objects.filter(scope__in=[AlertRule.Scope.EVERYONE, AlertRule.Scope.CONDITION]) | \
        AlertRule.objects.filter(patient=patient)
    return applicable_rules(candidates.order_by("kind", "metric", "name"), patient=patient,
                            spo2_scale=plan.spo2_scale if plan else 1)


def alerts_visible_to(user, *, state: str | None = None) -> QuerySet[Alert]:
    """Alerts of the patients on the user's care teams, newest first; 'unresolved' means open or acknowledged."""
    qs = Alert.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "rule", "acknowledged_by", "resolved_by")
    if state == "unresolved":
        qs = qs.exclude(state=Alert.State.RESOLVED)
    elif state:
        qs = qs.filter(state=state)
    return qs.order_by("-opened_at", "-id")


def latest_news2_points(*, patient_id: int, end: dt.datetime, window: dt.timedelta) -> dict[str, rules.Point | None]:
    """The latest reading of each NEWS2 parameter measured in (end - window, end]."""
    latest: dict[str, rules.Point | None] = {param: None for param in news2.READING_PARAMETERS}
    metric_to_param = {metric: param for param, metric in news2.READING_PARAMETERS.items()}
    rows = (Reading.objects.filter(patient_id=patient_id, metric__in=metric_to_param,
                                   measured_at__gt=end - window, measured_at__lte=end)
            .order_by("metric", "-measured_at", "-id").distinct("metric")
            .values_list("id", "metric", "measured_at", "value"))
    for reading_id, metric, measured_at, value in rows:
        latest[metric_to_param[metric]] = rules.Point(reading_id, measured_at, value)
    return latest


def news2_for_patient(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """NEWS2 from the latest value of each parameter within the plan's window; None when one is missing."""
    now = now or timezone.now()
    plan = MonitoringPlan.objects.filter(patient=patient).first() or MonitoringPlan(patient=patient)
    latest = latest_news2_points(patient_id=patient.id, end=now, window=dt.timedelta(minutes=plan.news2_window_minutes))
    result = rules.news2_from_latest(latest, on_oxygen=plan.on_supplemental_oxygen,
                                     alert=plan.consciousness == MonitoringPlan.Consciousness.ALERT,
                                     spo2_scale=plan.spo2_scale)
    if result is None:
        return None
    return {"score": result.total, "risk": result.risk, "components": result.components,
            "spo2_scale": plan.spo2_scale, "computed_at": now}


def proportion_of_days_covered(patient: Patient, *, now: dt.datetime | None = None, days: int = 30) -> float | None:
    """Share of the last `days` complete patient-local days with every scheduled dose taken; None without a
    medication schedule."""
    now = now or timezone.now()
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    if plan is None:
        return None
    schedules = [(m.times, m.window_minutes) for m in plan.medications.all()]
    if not schedules:
        return None
    tz = patient.tz
    local_today = now.astimezone(tz).date()
    start = dt.datetime.combine(local_today - dt.timedelta(days=days + 1), dt.time(0), tzinfo=tz)
    events = list(Reading.objects.filter(patient=patient, metric="dose_taken", value__gt=0,
                                         measured_at__gte=start).values_list("measured_at", flat=True))
    return rules.proportion_of_days_covered(schedules=schedules, dose_events=events, local_today=local_today, tz=tz,
                                            days=days)
