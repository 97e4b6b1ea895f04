"""Writes on a patient's stay, made by the clinicians of the patient's care team: admit, set the monitoring plan
(expected measurements, medications), pause and resume monitoring, discharge. Every change is audited, with the
clinician's reason wherever it changes what raises alerts (the plan, pausing, resuming, discharging).

While a patient is paused (in hospital, say) the scheduled missing-data and medication-adherence checks skip them
(alerts.engine); readings that still arrive are judged as usual.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from patients.models import (
    CareTeam,
    CareTeamMembership,
    Condition,
    ExpectedMeasurement,
    MedicationSchedule,
    MonitoringPlan,
    Patient,
)
from patients.signals import monitoring_paused, patient_discharged, status_changed
from rpm import audit
from rpm.errors import InvalidInput, NotAllowed, WrongState
from rpm.metrics import METRICS
from rpm.models import AuditEvent

# Dose events come from dispensers on the medication schedule, not as an expected measurement.
PLANNABLE_METRICS = [code for code in METRICS if code != "dose_taken"]
MAX_PER_DAY = 48
MAX_STALE_HOURS = 24 * 30
MAX_WINDOW_MINUTES = 12 * 60
OLDEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class Admission:
    mrn: str
    given_name: str
    family_name: str
    birth_date: dt.date | None
    sex: str
    timezone: str
    conditions: list[str]
    care_team_id: int | None


@dataclass(frozen=True)
class PlannedMeasurement:
    metric: str
    per_day: int
    due_by: dt.time
    stale_after_hours: int = 24


@dataclass(frozen=True)
class PlannedMedication:
    drug: str
    dose: str
    times: list[dt.time] = field(default_factory=list)
    window_minutes: int = 120


def care_teams_of(user) -> list[CareTeam]:
    """The teams a clinician may admit to: their own."""
    return list(CareTeam.objects.filter(memberships__user=user).distinct())


def _check_member(by, care_team_id: int) -> None:
    if not CareTeamMembership.objects.filter(user=by, care_team_id=care_team_id).exists():
        raise NotAllowed("only a nurse or physician of the patient's care team may do this")


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("give the clinical reason for this change (it changes which alerts are raised)", "reason")
    return reason


def _admission_errors(a: Admission, *, by) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not a.mrn.strip():
        errors["mrn"] = "the MRN is required"
    elif len(a.mrn.strip()) > 40:
        errors["mrn"] = "at most 40 characters"
    elif Patient.objects.filter(mrn=a.mrn.strip()).exists():
        errors["mrn"] = f"a patient with MRN {a.mrn.strip()} is already registered"
    for name in ("given_name", "family_name"):
        value = getattr(a, name).strip()
        if not value:
            errors[name] = "required"
        elif len(value) > 100:
            errors[name] = "at most 100 characters"
    if a.birth_date is None:
        errors["birth_date"] = "the date of birth is required (YYYY-MM-DD)"
    elif not dt.date(OLDEST_BIRTH_YEAR, 1, 1) <= a.birth_date <= dt.date.today():
        errors["birth_date"] = f"must be between {OLDEST_BIRTH_YEAR} and today"
    if a.sex not in Patient.Sex.values:
        errors["sex"] = f"must be one of {', '.join(Patient.Sex.values)}"
    if a.timezone not in zoneinfo.available_timezones():
        errors["timezone"] = f"{a.timezone[:64]!r} is not an IANA time zone (e.g. Europe/London)"
    unknown = [c for c in a.conditions if c not in Condition.values]
    if unknown:
        errors["conditions"] = f"unknown condition {unknown[0][:30]!r}; known: {', '.join(Condition.values)}"
    if a.care_team_id is None or not CareTeamMembership.objects.filter(user=by, care_team_id=a.care_team_id).exists():
        errors["care_team"] = "choose one of your own care teams"
    return errors


@transaction.atomic
def admit_patient(*, admission: Admission, by) -> Patient:
    """A new patient on one of the admitting clinician's care teams, with an empty monitoring plan, active."""
    errors = _admission_errors(admission, by=by)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                mrn=admission.mrn.strip(), given_name=admission.given_name.strip(),
                family_name=admission.family_name.strip(), birth_date=admission.birth_date, sex=admission.sex,
                timezone=admission.timezone, conditions=list(dict.fromkeys(admission.conditions)),
                care_team_id=admission.care_team_id, status=Patient.Status.ACTIVE)
    except IntegrityError:  # another clinician admitted the same MRN a moment ago
        raise InvalidInput(f"a patient with MRN {admission.mrn.strip()} is already registered", "mrn") from None
    MonitoringPlan.objects.create(patient=patient)
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="patient.admit", patient=patient, target=patient,
                 detail={"care_team": patient.care_team_id, "conditions": patient.conditions,
                         "timezone": patient.timezone})
    return patient


def plan_of(patient: Patient) -> dict:
    """The plan as plain values: what the audit trail keeps before and after a change, and what the form shows."""
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    if plan is None:
        return {"measurements": [], "medications": []}
    return {
        "measurements": [{"metric": e.metric, "per_day": e.per_day, "due_by": e.due_by.strftime("%H:%M"),
                          "stale_after_hours": e.stale_after_hours}
                         for e in plan.expected_measurements.order_by("metric")],
        "medications": [{"drug": m.drug, "dose": m.dose, "times": [t.strftime("%H:%M") for t in m.times],
                         "window_minutes": m.window_minutes, "starts_on": m.starts_on.isoformat()}
                        for m in plan.medications.order_by("drug", "id")],
    }


def _plan_errors(measurements: list[PlannedMeasurement], medications: list[PlannedMedication]) -> dict[str, str]:
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, m in enumerate(measurements):
        where = f"measurements.{i}"
        if m.metric not in PLANNABLE_METRICS:
            errors[f"{where}.metric"] = f"unknown metric {m.metric[:30]!r}"
        elif m.metric in seen:
            errors[f"{where}.metric"] = f"{METRICS[m.metric].display} is listed twice"
        seen.add(m.metric)
        if not 1 <= m.per_day <= MAX_PER_DAY:
            errors[f"{where}.per_day"] = f"must be between 1 and {MAX_PER_DAY} a day"
        if not 1 <= m.stale_after_hours <= MAX_STALE_HOURS:
            errors[f"{where}.stale_after_hours"] = f"must be between 1 and {MAX_STALE_HOURS} hours"
    for i, med in enumerate(medications):
        where = f"medications.{i}"
        if not med.drug.strip() or len(med.drug.strip()) > 100:
            errors[f"{where}.drug"] = "name the drug (at most 100 characters)"
        if not med.dose.strip() or len(med.dose.strip()) > 50:
            errors[f"{where}.dose"] = "give the dose (at most 50 characters)"
        if not med.times:
            errors[f"{where}.times"] = "give at least one dose time (HH:MM)"
        elif len(set(med.times)) != len(med.times):
            errors[f"{where}.times"] = "a dose time is listed twice"
        if not 1 <= med.window_minutes <= MAX_WINDOW_MINUTES:
            errors[f"{where}.window_minutes"] = f"must be between 1 and {MAX_WINDOW_MINUTES} minutes"
    return errors


@transaction.atomic
def set_monitoring_plan(*, patient: Patient, measurements: list[PlannedMeasurement],
                        medications: list[PlannedMedication], reason: str, by) -> MonitoringPlan:
    """Replace the expected measurements and the medication schedules. A schedule left as it was keeps its start
    day (its adherence history); a new or changed one counts from today, patient-local."""
    _check_member(by, patient.care_team_id)
    errors = _plan_errors(measurements, medications)
    try:
        reason = _required_reason(reason)
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInput(errors)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.status == Patient.Status.DISCHARGED:
        raise WrongState("a discharged patient has no monitoring plan to change", "status")
    plan, _ = MonitoringPlan.objects.get_or_create(patient=patient)
    before = plan_of(patient)
    wanted = {m.metric: m for m in measurements}
    plan.expected_measurements.exclude(metric__in=list(wanted)).delete()
    for m in measurements:
        ExpectedMeasurement.objects.update_or_create(plan=plan, metric=m.metric, defaults={
            "per_day": m.per_day, "due_by": m.due_by, "stale_after_hours": m.stale_after_hours})
    keep: list[int] = []
    existing = list(plan.medications.all())
    today = dt.datetime.now(patient.tz).date()
    for med in medications:
        times = sorted(med.times)
        same = next((s for s in existing if s.id not in keep and s.drug == med.drug.strip()
                     and s.dose == med.dose.strip() and sorted(s.times) == times
                     and s.window_minutes == med.window_minutes), None)
        if same is None:
            same = MedicationSchedule.objects.create(plan=plan, drug=med.drug.strip(), dose=med.dose.strip(),
                                                     times=times, window_minutes=med.window_minutes, starts_on=today)
        keep.append(same.id)
    plan.medications.exclude(id__in=keep).delete()
    plan.save(update_fields=["updated_at"])
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="patient.plan", patient=patient, target=plan,
                 detail={"before": before, "after": plan_of(patient), "reason": reason})
    return plan


def _change_status(*, patient: Patient, by, reason: str, allowed_from: tuple[str, ...], to: str,
                   verb: str) -> Patient:
    _check_member(by, patient.care_team_id)
    reason = _required_reason(reason)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.status not in allowed_from:
        raise WrongState(f"the patient is {patient.status}; this needs a patient who is "
                         f"{' or '.join(allowed_from)}", "status")
    before = patient.status
    patient.status = to
    patient.save(update_fields=["status"])
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb=verb, patient=patient, target=patient,
                 detail={"before": before, "after": to, "reason": reason})
    status_changed.send(sender=Patient, patient=patient, before=before, after=to)
    return patient


@transaction.atomic
def pause_monitoring(*, patient: Patient, by, reason: str) -> Patient:
    """No missing-data or adherence alerts until monitoring resumes (in hospital, say); shown on the tile. Those
    already open are resolved with the reason (alerts.receivers), so none escalates while the patient is away."""
    patient = _change_status(patient=patient, by=by, reason=reason, allowed_from=(Patient.Status.ACTIVE,),
                             to=Patient.Status.PAUSED, verb="patient.pause")
    monitoring_paused.send(sender=Patient, patient=patient, by=by, reason=reason.strip())
    return patient


@transaction.atomic
def resume_monitoring(*, patient: Patient, by, reason: str) -> Patient:
    return _change_status(patient=patient, by=by, reason=reason, allowed_from=(Patient.Status.PAUSED,),
                          to=Patient.Status.ACTIVE, verb="patient.resume")


@transaction.atomic
def discharge_patient(*, patient: Patient, by, reason: str) -> Patient:
    """Off the programme: no more alerts, off the census, and (through patient_discharged) every enrolled device
    returned to inventory with its credential revoked and every unresolved alert resolved with the reason, in the
    same transaction."""
    patient = _change_status(patient=patient, by=by, reason=reason,
                             allowed_from=(Patient.Status.ACTIVE, Patient.Status.PAUSED),
                             to=Patient.Status.DISCHARGED, verb="patient.discharge")
    patient_discharged.send(sender=Patient, patient=patient, by=by, reason=reason.strip())
    return patient
