"""The patient's stay in the app: the care teams' patient list, admission, the monitoring plan, pause, resume and
discharge. Clinicians of the patient's care team only (another team's patient is a 404); the writes are
patients.admission's, audited there."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clinic import stay_forms
from patients import admission
from patients.models import Condition, Patient
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.errors import DomainError, InvalidInput, NotAllowed, WrongState
from rpm.metrics import METRICS
from rpm.models import AuditEvent
from rpm.roles import is_clinician

STATUS_OF_ERROR = ((InvalidInput, 400), (NotAllowed, 403), (WrongState, 409))


def _status(error: DomainError) -> int:
    return next((code for cls, code in STATUS_OF_ERROR if isinstance(error, cls)), 400)


def _clinician(request: HttpRequest) -> None:
    if not is_clinician(request.user):
        raise Http404


def _visible(request: HttpRequest, patient_id: int) -> Patient:
    _clinician(request)
    return get_object_or_404(patients_visible_to(request.user).select_related("care_team"), pk=patient_id)


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    """Every patient of the user's care teams, by team; search, sort and the status filter work in the browser,
    so no name or MRN is ever in a URL."""
    _clinician(request)
    teams = admission.care_teams_of(request.user)
    patients = list(patients_visible_to(request.user).select_related("care_team").order_by("family_name",
                                                                                            "given_name"))
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.list",
                 detail={"count": len(patients)})
    by_team = [{"team": team, "patients": [p for p in patients if p.care_team_id == team.id]} for team in teams]
    return render(request, "clinic/patient_list.html", {"teams": by_team, "statuses": Patient.Status.choices})


def _admit_context(request: HttpRequest, form=None, errors=None) -> dict:
    return {"form": form or {}, "errors": errors or {}, "teams": admission.care_teams_of(request.user),
            "sexes": Patient.Sex.choices, "conditions": Condition.choices,
            "timezones": sorted(zoneinfo.available_timezones())}


@login_required
def admit(request: HttpRequest) -> HttpResponse:
    """Admit a patient to one of the user's teams, then set the plan."""
    _clinician(request)
    if request.method != "POST":
        return render(request, "clinic/admit.html", _admit_context(request))
    try:
        patient = admission.admit_patient(admission=stay_forms.admission_from(request.POST), by=request.user)
    except DomainError as error:
        return render(request, "clinic/admit.html", _admit_context(request, request.POST, error.errors),
                      status=_status(error))
    return redirect(f"/patients/{patient.id}/plan/")


def _plan_context(patient: Patient, *, form=None, errors=None, status_errors=None) -> dict:
    """The form's rows: as submitted when it comes back with errors, else the plan as it is."""
    current = admission.plan_of(patient)
    expected = {m["metric"]: m for m in current["measurements"]}
    rows = []
    for code in admission.PLANNABLE_METRICS:
        planned = expected.get(code) or {}
        if form is not None:
            planned = {"per_day": form.get(f"per_day_{code}"), "due_by": form.get(f"due_by_{code}"),
                       "stale_after_hours": form.get(f"stale_{code}")} if form.get(f"expect_{code}") else {}
        rows.append({"code": code, "display": METRICS[code].display, "expected": bool(planned),
                     "per_day": planned.get("per_day") or 1, "due_by": planned.get("due_by") or "20:00",
                     "stale_after_hours": planned.get("stale_after_hours") or 24})
    if form is not None:
        meds = [{"drug": form.get(f"med-{i}-drug", ""), "dose": form.get(f"med-{i}-dose", ""),
                 "times": form.get(f"med-{i}-times", ""), "window_minutes": form.get(f"med-{i}-window", "")}
                for i in range(stay_forms.MAX_MEDICATION_ROWS) if f"med-{i}-drug" in form]
    else:
        meds = [{**m, "times": ", ".join(m["times"])} for m in current["medications"]]
        meds += [{"drug": "", "dose": "", "times": "", "window_minutes": 120}] * stay_forms.BLANK_MEDICATION_ROWS
    return {"patient": patient, "rows": rows, "medications": meds, "reason": form.get("reason", "") if form else "",
            "errors": errors or {}, "status_errors": status_errors or {}}


@login_required
def monitoring_plan(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The plan (expected measurements, medications and dose times; NEWS2 settings are on the patient page) and
    the monitoring status: pause, resume, discharge."""
    patient = _visible(request, patient_id)
    if request.method != "POST":
        audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.plan", patient=patient)
        return render(request, "clinic/plan.html", _plan_context(patient))
    try:
        measurements, medications = stay_forms.plan_from(request.POST)
        admission.set_monitoring_plan(patient=patient, measurements=measurements, medications=medications,
                                      reason=request.POST.get("reason", ""), by=request.user)
    except DomainError as error:
        return render(request, "clinic/plan.html", _plan_context(patient, form=request.POST, errors=error.errors),
                      status=_status(error))
    return redirect(f"/patients/{patient.id}/plan/?saved=1")


STATUS_ACTIONS = {"pause": admission.pause_monitoring, "resume": admission.resume_monitoring,
                  "discharge": admission.discharge_patient}


@login_required
@require_POST
def change_status(request: HttpRequest, patient_id: int, action: str) -> HttpResponse:
    patient = _visible(request, patient_id)
    if action not in STATUS_ACTIONS:
        raise Http404
    try:
        STATUS_ACTIONS[action](patient=patient, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        return render(request, "clinic/plan.html",
                      _plan_context(patient, status_errors={"action": action, **error.errors}), status=_status(error))
    return redirect(f"/patients/{patient.id}/")
