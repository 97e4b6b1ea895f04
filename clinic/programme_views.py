"""The programme's pages: the monthly billing report (and its CSV), the outreach worklist and the population
view. Clinicians see their care teams; the programme role sees every team's figures, and opens a patient only
through the usual care-team scoping (a link is shown only where the patient page would open)."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic import billing
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent
from rpm.roles import sees_programme_numbers


def programme_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not sees_programme_numbers(request.user):
            raise PermissionDenied("only nurses, physicians and the programme role see programme figures")
        return view(request, *args, **kwargs)

    return wrapper


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
    return render(request, "clinic/billing.html", {"report": report, "period": report.label})


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
