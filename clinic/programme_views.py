"""The programme's pages: the monthly billing report (and its CSV), the outreach worklist and the population
view. Clinicians see their care teams; the programme role sees every team's figures, and opens a patient only
through the usual care-team scoping (a link is shown only where the patient page would open)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import billing, population, worklist
from patients import care_time
from patients.models import CareTeam, CareTimeEntry
from patients.selectors import patients_visible_to
from rpm import audit
from rpm import billing as rpm_billing
from rpm.errors import InvalidInput, NotFound
from rpm.models import AuditEvent
from rpm.roles import is_programme, programme_required


def _report(request: HttpRequest) -> billing.Report:
    year, month = billing.parse_period(request.GET.get("period"), now=dt.datetime.now(dt.UTC))
    return billing.billing_report(user=request.user, year=year, month=month)


@programme_required
def billing_page(request: HttpRequest) -> HttpResponse:
    try:
        report = _report(request)
    except InvalidInput as error:
        return render(request, "clinic/billing.html", {"error": error.message, "period": request.GET.get("period")},
                      status=400)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="programme.billing",
                 detail={"period": report.label, "patients": [row.patient.id for row in report.rows]})
    return render(request, "clinic/billing.html", {"report": report, "period": report.label,
                                                   "records_claims": is_programme(request.user)})


@programme_required
@require_POST
def record_outside_claim(request: HttpRequest) -> HttpResponse:
    """The programme role records another practitioner's bill for a patient's period."""
    if not is_programme(request.user):
        raise PermissionDenied("only the programme role records other practitioners' claims")
    try:
        billing.record_outside_claim(user=request.user, patient_id=request.POST.get("patient", ""),
                                     period_start=request.POST.get("period_start", ""),
                                     practitioner=request.POST.get("practitioner", ""))
    except NotFound:
        raise Http404 from None
    except InvalidInput as error:
        return HttpResponse("; ".join(f"{field}: {message}" for field, message in error.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    return redirect(f"{reverse('programme-billing')}?period={request.POST.get('period', '')}")


@programme_required
def billing_csv(request: HttpRequest) -> HttpResponse:
    try:
        report = _report(request)
    except InvalidInput as error:
        return HttpResponse(f"period: {error.message}\n", status=400, content_type="text/plain; charset=utf-8")
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, verb="programme.billing.csv",
                 detail={"period": report.label, "patients": [row.patient.id for row in report.rows]})
    response = HttpResponse(billing.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rpm-billing-{report.label}.csv"'
    return response


@programme_required
def worklist_page(request: HttpRequest) -> HttpResponse:
    items = worklist.outreach_worklist(user=request.user, now=dt.datetime.now(dt.UTC))
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="programme.worklist",
                 detail={"patients": [item.patient.id for item in items]})
    return render(request, "clinic/worklist.html", {"items": items, "bar": rpm_billing.SUPPLY_FULL_DAYS,
                                                    "errors": getattr(request, "call_errors", None)})


@programme_required
@require_POST
def called_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """"Called patient": one step logs the call as an interactive communication with its minutes (and a note)."""
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    try:
        care_time.add_entry(patient=patient, clinician=request.user, data=care_time.EntryInput(
            minutes=request.POST.get("minutes", ""), activity=CareTimeEntry.Activity.CALL, interactive=True,
            note=request.POST.get("note", "")))
    except InvalidInput as error:
        request.call_errors = {patient.id: error.errors}
        response = worklist_page(request)
        response.status_code = 400
        return response
    return redirect(f"{reverse('programme-worklist')}#worklist-{patient.id}")


@programme_required
def population_page(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "risk")
    team = request.GET.get("team", "")
    if sort not in population.SORTS or (team and not team.isdigit()):
        return render(request, "clinic/population.html", {"error": "sort or team: not one of the choices",
                                                          "sorts": list(population.SORTS)}, status=400)
    rows = population.population(user=request.user, now=dt.datetime.now(dt.UTC), team_id=int(team) if team else None,
                                 sort=sort, attention_only=request.GET.get("attention") == "on")
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="programme.population",
                 detail={"patients": [row.patient.id for row in rows], "sort": sort})
    teams = CareTeam.objects.filter(patients__in=billing.patients_for_programme(request.user)).distinct()
    return render(request, "clinic/population.html", {
        "rows": rows, "sort": sort, "sorts": list(population.SORTS), "teams": teams,
        "team": int(team) if team else None, "attention": request.GET.get("attention") == "on",
        "severities": population.SEVERITIES})
