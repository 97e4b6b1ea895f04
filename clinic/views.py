"""The clinicians' pages: home (the live dashboard for nurses and physicians), the patient page and its forms
(clinical notes, threshold overrides with a back-test, NEWS2 settings)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from alerts import readiness
from alerts.selectors import facts_for, news2_status, rules_in_force
from clinic import adherence, dashboard, summary, thresholds
from devices.readings import latest_values
from patients import notes, services
from patients.models import Condition, MonitoringPlan, Patient
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.metrics import METRICS
from rpm.models import AuditEvent
from rpm.roles import is_clinician, is_physician, roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_clinician(request.user):
        return live_dashboard(request)
    patients = patients_visible_to(request.user).select_related("care_team")
    return render(request, "home.html", {"patients": patients, "roles": sorted(roles_of(request.user))})


def live_dashboard(request: HttpRequest) -> HttpResponse:
    """The nurse's live census and alert queue; the browser keeps it current over /ws/dashboard/."""
    now = timezone.now()
    tiles, alerts = dashboard.census(user=request.user, now=now), dashboard.alert_queue(user=request.user)
    audit.record_many(actor=request.user, action=AuditEvent.Action.VIEW, verb="dashboard.census",
                      patient_ids=[tile["id"] for tile in tiles])
    audit.record_many(actor=request.user, action=AuditEvent.Action.VIEW, verb="alert.list",
                      patient_ids=[alert["patient"] for alert in alerts])
    return render(request, "clinic/dashboard.html", {
        "tiles": tiles,
        "alerts": alerts,
        "cursor": now.isoformat(), "conditions": Condition.choices,
        "alerts_delayed": readiness.alerts_delayed(now=now),
        "metrics": {code: {"display": m.display, "unit": m.unit, "precision": m.precision}
                    for code, m in METRICS.items()},
    })


RANGES = [("24h", "24 h"), ("7d", "7 d"), ("30d", "30 d"), ("90d", "90 d")]


def _visible_patient(request: HttpRequest, patient_id: int) -> Patient:
    if not is_clinician(request.user):
        raise Http404
    return get_object_or_404(patients_visible_to(request.user).select_related("care_team", "plan"), pk=patient_id)


def _page_context(request: HttpRequest, patient: Patient, *, now: dt.datetime) -> dict:
    latest = latest_values([patient.id])[patient.id]
    charts = summary.charted_metrics(patient=patient, present=set(latest))
    in_force = rules_in_force([patient])[patient.id]
    rules = [thresholds.RuleRow(default=row.default, override=row.override) for row in in_force]
    facts = facts_for(patient, today=now.astimezone(patient.tz).date())
    news2 = news2_status(patient, now=now)
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
        "news2": news2["score"],
        "news2_reason": news2["reason"],
        "news2_settings": services.news2_settings_of(patient),
        "consciousness_choices": MonitoringPlan.Consciousness.choices,
        "open_alerts": summary.open_alerts(patient=patient),
        "latest": [(METRICS[m], latest[m]) for m in METRICS if m in latest],
        "weight": summary.weight_change(patient=patient, rows=in_force),
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
            "charts": [thresholds.chart_spec(metric=m, rules=rules, facts=facts) for m in charts],
        },
    }


def _render_with_errors(request: HttpRequest, patient: Patient, status: int = 400, **extra) -> HttpResponse:
    context = _page_context(request, patient, now=dt.datetime.now(dt.UTC))
    context.update(extra)
    return render(request, "clinic/patient_page.html", context, status=status)


@login_required
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _visible_patient(request, patient_id)
    now = dt.datetime.now(dt.UTC)
    context = _page_context(request, patient, now=now)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.page", patient=patient)
    return render(request, "clinic/patient_page.html", context)


@login_required
@require_POST
def add_note(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _visible_patient(request, patient_id)
    try:
        notes.add_clinical_note(patient=patient, author=request.user, text=request.POST.get("text", ""),
                                minutes=request.POST.get("minutes"))
    except notes.NoteError as error:
        return _render_with_errors(request, patient, note_errors=error.errors, note_form=request.POST)
    return redirect(f"/patients/{patient.id}/#notes")


@login_required
@require_POST
def set_threshold(request: HttpRequest, patient_id: int, rule_id: int) -> HttpResponse:
    """Save this patient's override of a rule, or (action=preview) show what it would have raised first."""
    patient = _visible_patient(request, patient_id)
    if not is_physician(request.user):
        return HttpResponseForbidden("only physicians tune a patient's thresholds")
    rule = thresholds.default_rule(patient=patient, rule_id=rule_id)
    if rule is None:
        raise Http404
    try:
        if request.POST.get("action") == "preview":
            params = thresholds.params_from_form(rule, request.POST)
            current, proposed = thresholds.preview(patient=patient, rule=rule, params=params)
            audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="alert_rule.backtest",
                         patient=patient, target=rule, detail={"params": params, "current": current.alerts,
                                                               "proposed": proposed.alerts})
            return _render_with_errors(request, patient, status=200, threshold_form=request.POST,
                                       backtest={rule.id: {"current": current, "proposed": proposed}})
        thresholds.set_override(patient=patient, rule=rule, form=request.POST, by=request.user)
    except thresholds.OverrideError as error:
        return _render_with_errors(request, patient, threshold_errors={rule.id: error.errors},
                                   threshold_form=request.POST)
    return redirect(f"/patients/{patient.id}/#thresholds")


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def set_news2_settings(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Scale 2, supplemental oxygen, consciousness and pregnancy, with the prescriber, target and a reason."""
    patient = _visible_patient(request, patient_id)
    form = request.POST
    errors: dict[str, str] = {}
    for name in ("spo2_target_low", "spo2_target_high"):
        if form.get(name, "").strip() and _int_or_none(form.get(name)) is None:
            errors[name] = "must be a whole percentage"
    if not errors:
        try:
            services.set_news2_settings(patient=patient, by=request.user, settings=services.News2Settings(
                spo2_scale=_int_or_none(form.get("spo2_scale")) or 0,
                on_supplemental_oxygen=form.get("on_supplemental_oxygen") == "on",
                consciousness=form.get("consciousness", ""), pregnant=form.get("pregnant") == "on",
                spo2_target_low=_int_or_none(form.get("spo2_target_low")),
                spo2_target_high=_int_or_none(form.get("spo2_target_high")),
                prescriber=form.get("prescriber", ""), reason=form.get("reason", "")))
        except PermissionDenied as error:
            errors["news2"] = str(error)
        except ValidationError as error:
            errors = {field: "; ".join(messages) for field, messages in error.message_dict.items()}
    if errors:
        return _render_with_errors(request, patient, status=403 if "news2" in errors else 400,
                                   news2_errors=errors, news2_form=form)
    return redirect(f"/patients/{patient.id}/#news2-settings")
