"""Writes on the patient record that change how alerts judge the patient: the NEWS2 settings a physician decides."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import CareTeamMembership, MonitoringPlan, Patient
from rpm import audit
from rpm.models import AuditEvent

# RCP NEWS2 (2017) Chart 1 notes: scale 2 only for a prescribed target saturation of 88-92 %
SCALE_2_TARGET = (88, 92)


@dataclass(frozen=True)
class News2Settings:
    spo2_scale: int
    on_supplemental_oxygen: bool
    consciousness: str
    pregnant: bool
    spo2_target_low: int | None
    spo2_target_high: int | None
    prescriber: str
    reason: str


def news2_settings_of(patient: Patient) -> dict:
    plan = MonitoringPlan.objects.filter(patient=patient).select_related("news2_set_by").first() or \
        MonitoringPlan(patient=patient)
    return {"spo2_scale": plan.spo2_scale, "on_supplemental_oxygen": plan.on_supplemental_oxygen,
            "consciousness": plan.consciousness, "pregnant": patient.pregnant,
            "spo2_target_low": plan.spo2_target_low, "spo2_target_high": plan.spo2_target_high,
            "prescriber": plan.news2_prescriber, "reason": plan.news2_reason,
            "set_by": plan.news2_set_by.username if plan.news2_set_by_id else None, "set_at": plan.news2_set_at}


def _check(settings: News2Settings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if settings.spo2_scale not in (1, 2):
        errors["spo2_scale"] = "must be 1 or 2"
    if settings.consciousness not in MonitoringPlan.Consciousness.values:
        errors["consciousness"] = f"must be one of {', '.join(MonitoringPlan.Consciousness.values)}"
    low, high = settings.spo2_target_low, settings.spo2_target_high
    if (low is None) != (high is None):
        errors["spo2_target_low"] = "give both ends of the target range, or neither"
    elif low is not None and not (50 <= low < high <= 100):
        errors["spo2_target_low"] = "the target range must be two percentages, low below high (e.g. 88-92)"
    if settings.spo2_scale == 2 and (low, high) != SCALE_2_TARGET:
        errors["spo2_scale"] = "scale 2 is only for a prescribed target saturation of 88-92 % (RCP NEWS2)"
    if (settings.spo2_scale == 2 or settings.on_supplemental_oxygen) and not settings.prescriber.strip():
        errors["prescriber"] = "name the clinician who prescribed the target or the oxygen"
    if not settings.reason.strip():
        errors["reason"] = "give the clinical reason for this change"
    return errors


@transaction.atomic
def set_news2_settings(*, patient: Patient, settings: News2Settings, by) -> MonitoringPlan:
    """A physician on the patient's care team sets scale 2, supplemental oxygen, consciousness and pregnancy,
    with the prescriber, the target range and a reason; audited with the values before and after."""
    if not CareTeamMembership.objects.filter(user=by, care_team_id=patient.care_team_id,
                                             role=CareTeamMembership.Role.PHYSICIAN).exists():
        raise PermissionDenied("only a physician on the patient's care team may change the NEWS2 settings")
    errors = _check(settings)
    if errors:
        raise ValidationError(errors)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    plan, _ = MonitoringPlan.objects.select_for_update().get_or_create(patient=patient)
    before = news2_settings_of(patient)
    plan.spo2_scale = settings.spo2_scale
    plan.on_supplemental_oxygen = settings.on_supplemental_oxygen
    plan.consciousness = settings.consciousness
    plan.spo2_target_low, plan.spo2_target_high = settings.spo2_target_low, settings.spo2_target_high
    plan.news2_prescriber, plan.news2_reason = settings.prescriber.strip(), settings.reason.strip()
    plan.news2_set_by, plan.news2_set_at = by, timezone.now()
    plan.save()
    if patient.pregnant != settings.pregnant:
        patient.pregnant = settings.pregnant
        patient.save(update_fields=["pregnant"])
    after = news2_settings_of(patient)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="patient.news2_settings", patient=patient,
                 target=plan, detail={"before": _plain(before), "after": _plain(after), "reason": plan.news2_reason})
    return plan


def _plain(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items() if k != "set_at"}
