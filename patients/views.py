"""The physician's patient page and its forms (clinical notes, threshold overrides)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts.selectors import news2_for_patient
from devices.metrics import METRICS
from patients import adherence, notes, summary, thresholds
from patients.models import Patient
from patients.selectors import latest_values, patients_visible_to
from rpm import audit
from rpm.models import AuditEvent
from rpm.roles import is_clinician, is_physician

RANGES = [("24h", "24 h"), ("7d", "7 d"), ("30d", "30 d"), ("90d", "90 d")]


def _visible_patient(request: HttpRequest, patient_id: int) -> Patient:
    if not is_clinician(request.user):
        raise Http404
    return get_object_or_404(patients_visible_to(request.user).select_related("care_team", "plan"), pk=patient_id)


def _page_context(request: HttpRequest, patient: Patient, *, now: dt.datetime) -> dict:
    latest = latest_values([patient.id])[patient.id]
    charts = summary.charted_metrics(patient=patient, present=set(latest))
    rules = thresholds.rule_rows(patient=patient)
    try:
        readings_page = int(request.GET.get("page", "1"))
    except ValueError:
        readings_page = 1
    readings_metric = request.GET.get("metric") if request.GET.get("metric") in METRICS else None
    return {
        "patient": patient,
        "age": patient.age(now.astimezone(patient.tz).date()),
        "care_team": patient.care_team.memberships.select_related("user").order_by("role", "user__username"),
        "devices": summary.enrolled_devices(patient=patient),
        "news2": news2_for_patient(patient, now=now),
        "open_alerts": summary.open_alerts(patient=patient),
        "latest": [(METRICS[m], latest[m]) for m in METRICS if m in latest],
        "weight": summary.weight_change(patient=patient),
        "calendar": adherence.measurement_calendar(patient=patient, now=now),
        "medication": adherence.medication_adherence(patient=patient, now=now),
        "alert_history": summary.alert_history(patient=patient),
        "readings": summary.readings_page(patient=patient, metric=readings_metric, page=readings_page),
        "notes": notes.notes_for(patient=patient),
        "minutes_by_month": notes.minutes_by_month(patient=patient),
        "rules": rules,
        "can_tune": is_physician(request.user),
        "ranges": RANGES,
        "chart_config": {
            "patient": patient.id,
            "timezone": patient.timezone,
            "readings_url": f"/api/v1/patients/{patient.id}/readings/",
            "csv_url": f"/api/v1/patients/{patient.id}/export/csv/",
            "fhir_url": f"/api/v1/patients/{patient.id}/export/fhir/",
            "charts": [thresholds.chart_spec(metric=m, rules=rules) for m in charts],
        },
    }


@login_required
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _visible_patient(request, patient_id)
    now = dt.datetime.now(dt.UTC)
    context = _page_context(request, patient, now=now)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.page", patient=patient)
    return render(request, "patients/patient_page.html", context)


@login_required
@require_POST
def add_note(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _visible_patient(request, patient_id)
    try:
        notes.add_clinical_note(patient=patient, author=request.user, text=request.POST.get("text", ""),
                                minutes=request.POST.get("minutes"))
    except notes.NoteError as error:
        context = _page_context(request, patient, now=dt.datetime.now(dt.UTC))
        context.update(note_errors=error.errors, note_form=request.POST)
        return render(request, "patients/patient_page.html", context, status=400)
    return redirect(f"/patients/{patient.id}/#notes")


@login_required
@require_POST
def set_threshold(request: HttpRequest, patient_id: int, rule_id: int) -> HttpResponse:
    patient = _visible_patient(request, patient_id)
    if not is_physician(request.user):
        return HttpResponseForbidden("only physicians tune a patient's thresholds")
    rule = thresholds.default_rule(patient=patient, rule_id=rule_id)
    if rule is None:
        raise Http404
    try:
        thresholds.set_override(patient=patient, rule=rule, form=request.POST, by=request.user)
    except thresholds.OverrideError as error:
        context = _page_context(request, patient, now=dt.datetime.now(dt.UTC))
        context.update(threshold_errors={rule.id: error.errors}, threshold_form=request.POST)
        return render(request, "patients/patient_page.html", context, status=400)
    return redirect(f"/patients/{patient.id}/#thresholds")
