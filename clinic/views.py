"""The clinicians' pages: home (the live dashboard for nurses and physicians), the patient page and its forms
(clinical notes, threshold overrides with a back-test, NEWS2 settings)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from alerts import readiness
from alerts.selectors import facts_for, news2_status, rules_in_force
from clinic import adherence, dashboard, display, summary, thresholds
from clinic import break_glass as break_glass_service
from devices.readings import latest_values
from patients import care_time, notes, services
from patients.models import CareTimeEntry, Condition, MonitoringPlan, Patient
from patients.notices import mark_read, unread_notices
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.errors import DomainError, NotFound, WrongState
from rpm.metrics import METRICS
from rpm.models import AuditEvent
from rpm.roles import is_clinician, is_physician, is_programme, roles_of
from rpm.units import units_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_clinician(request.user):
        return live_dashboard(request)
    if is_programme(request.user):
        return redirect("programme-billing")
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
        "workflow": dashboard.workflow_context(user=request.user),
        "cursor": now.isoformat(), "conditions": Condition.choices,
        "alerts_delayed": readiness.alerts_delayed(now=now),
        "notices": list(unread_notices(user=request.user)[:20]),
        "metrics": {code: {"display": m.display, "unit": m.unit, "precision": m.precision}
                    for code, m in METRICS.items()},
        "units": units_for(request.user).as_json(),
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
    units = units_for(request.user)
    readings = summary.readings_page(patient=patient, metric=readings_metric, page=readings_page)
    for row in readings["rows"]:  # shown in the reader's units; the stored value stays canonical
        row.shown_value, row.shown_unit = display.value(units, row.metric, row.value), units.symbol(row.metric)
    weight = summary.weight_change(patient=patient, rows=in_force)
    if weight:
        weight["unit"] = units.symbol("body_weight")
        for change in weight["changes"]:  # a difference: the unit's scale, no offset
            change["change"] = change["change"] * units.unit("body_weight").scale
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
        "latest": [(METRICS[m], display.value(units, m, latest[m]["value"]), units.symbol(m))
                   for m in METRICS if m in latest],
        "weight": weight,
        **summary.alert_workflow(patient=patient, now=now),
        "calendar": adherence.measurement_calendar(patient=patient, now=now),
        "medication": adherence.medication_adherence(patient=patient, now=now),
        "alert_history": summary.alert_history(patient=patient),
        "readings": readings,
        "notes": notes.notes_for(patient=patient),
        "minutes_by_month": notes.minutes_by_month(patient=patient),
        "care_time": _care_time_context(request, patient, now=now),
        "rules": rules,
        "can_tune": is_physician(request.user),
        "ranges": RANGES,
        "chart_config": {
            "patient": patient.id,
            "timezone": patient.timezone,
            "readings_url": f"/api/v1/patients/{patient.id}/readings/",
            "csv_url": f"/api/v1/patients/{patient.id}/export/csv/",
            "fhir_url": f"/api/v1/patients/{patient.id}/export/fhir/",
            "charts": [display.chart_spec(thresholds.chart_spec(metric=m, rules=rules, facts=facts), units)
                       for m in charts],
        },
    }


def _care_time_context(request: HttpRequest, patient: Patient, *, now: dt.datetime) -> dict:
    """The ledger on the patient page: the user's running timer, this month's totals (all and per clinician) and
    recent entries, the user's own correctable."""
    local = now.astimezone(patient.tz)
    month = care_time.month_time(patients=[patient], year=local.year, month=local.month)[patient.id]
    names = {u.id: u.get_full_name() or u.username
             for u in User.objects.filter(id__in=list(month.by_clinician))}
    return {"running": care_time.running_timer(patient=patient, clinician=request.user),
            "month": local.date().replace(day=1), "minutes": month.minutes, "interactive": month.interactive,
            "by_clinician": sorted((names[uid], minutes, uid == request.user.id)
                                   for uid, minutes in month.by_clinician.items()),
            "entries": care_time.entries_for(patient=patient),
            "activities": CareTimeEntry.Activity.choices}


def _render_with_errors(request: HttpRequest, patient: Patient, status: int = 400, **extra) -> HttpResponse:
    context = _page_context(request, patient, now=dt.datetime.now(dt.UTC))
    context.update(extra)
    return render(request, "clinic/patient_page.html", context, status=status)


# the 404 page offers break-glass access for this message (templates/404.html)
OUTSIDE_YOUR_TEAMS = "patient-outside-your-care-teams"


@login_required
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    if is_clinician(request.user) and not patients_visible_to(request.user).filter(pk=patient_id).exists():
        raise Http404(OUTSIDE_YOUR_TEAMS)
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


def _entry_input(form) -> care_time.EntryInput:
    return care_time.EntryInput(minutes=form.get("minutes", ""), activity=form.get("activity", ""),
                                interactive=form.get("interactive") == "on", note=form.get("note", ""),
                                day=form.get("day") or None)


@login_required
@require_POST
def care_time_timer(request: HttpRequest, patient_id: int, action: str) -> HttpResponse:
    """Start or stop this clinician's care-time timer on the patient."""
    patient = _visible_patient(request, patient_id)
    try:
        if action == "start":
            care_time.start_timer(patient=patient, clinician=request.user)
        else:
            care_time.stop_timer(patient=patient, clinician=request.user,
                                 activity=request.POST.get("activity", "review"),
                                 interactive=request.POST.get("interactive") == "on",
                                 note=request.POST.get("note", ""))
    except DomainError as error:
        return _render_with_errors(request, patient, status=409 if isinstance(error, WrongState) else 400,
                                   care_time_errors=error.errors)
    return redirect(f"/patients/{patient.id}/#care-time")


@login_required
@require_POST
def care_time_entry(request: HttpRequest, patient_id: int, entry_id: int | None = None) -> HttpResponse:
    """Log time by hand, or correct one of your own entries."""
    patient = _visible_patient(request, patient_id)
    try:
        if entry_id is None:
            care_time.add_entry(patient=patient, clinician=request.user, data=_entry_input(request.POST))
        else:
            care_time.correct_entry(patient=patient, clinician=request.user, entry_id=entry_id,
                                    data=_entry_input(request.POST))
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        return _render_with_errors(request, patient, care_time_errors=error.errors, care_time_form=request.POST)
    return redirect(f"/patients/{patient.id}/#care-time")


@login_required
def break_glass(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The break-glass form: it names no patient (the clinician may not see one yet), only the number asked for."""
    if not is_clinician(request.user):
        raise PermissionDenied("only nurses and physicians may open break-glass access")
    errors: dict[str | None, str] = {}
    if request.method == "POST":
        try:
            break_glass_service.open_break_glass(user=request.user, patient_id=patient_id,
                                                 reason=request.POST.get("reason", ""))
            return redirect(f"/patients/{patient_id}/")
        except DomainError as error:
            errors = error.errors
    return render(request, "clinic/break_glass.html", {
        "patient_id": patient_id, "errors": errors, "reason": request.POST.get("reason", ""),
        "minutes": settings.BREAK_GLASS_MINUTES}, status=400 if errors else 200)


@login_required
@require_POST
def dismiss_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Mark one of your own notices read; another user's notice is left alone (and answered the same)."""
    mark_read(user=request.user, notice_ids=[notice_id])
    return redirect("home")
