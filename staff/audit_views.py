"""The audit log page: every audited action, filterable, for admins only.

A patient is asked for by MRN in a POST, answered by a redirect to a URL that carries the patient's id only: an
MRN in a URL would be kept by access logs, proxies and browser history.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from rpm.models import AuditEvent
from rpm.roles import admin_required
from staff.audit_log import audit_events, known_verbs, mrn_of, patient_id_for_mrn

PAGE_SIZE = 100
NOT_IN_URL = "search by MRN with the form: an MRN in a URL ends up in logs"


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="Who (username)", required=False, max_length=150)
    action = forms.ChoiceField(choices=[("", "any action"), *AuditEvent.Action.choices], required=False)
    verb = forms.CharField(label="What (e.g. device.)", required=False, max_length=60,
                           widget=forms.TextInput(attrs={"list": "audit-verbs"}))
    patient = forms.CharField(label="Patient MRN", required=False, max_length=40)
    start = forms.DateField(label="From (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Until (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "must be on or after the start date")
        return data


def _show(request: HttpRequest, form: AuditFilterForm, events, status: int) -> HttpResponse:
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "staff/audit_log.html", {"form": form, "page": page, "query": query.urlencode(),
                                                    "verbs": known_verbs()}, status=status)


def _filter_query(request: HttpRequest, form: AuditFilterForm) -> dict[str, str] | None:
    """The GET query for a posted filter (the MRN swapped for the patient's id); None after adding an error."""
    data = form.cleaned_data
    if request.POST.get("period") == "this_month":  # "who saw this patient's data this month"
        today = timezone.now().date()
        data["start"], data["end"] = today.replace(day=1), today
    query = {name: value.isoformat() if isinstance(value, dt.date) else str(value)
             for name, value in data.items() if value and name != "patient"}
    if data.get("patient"):
        patient_id = patient_id_for_mrn(data["patient"])
        if patient_id is None:
            form.add_error("patient", "no patient has this MRN")
            return None
        query["patient_id"] = str(patient_id)
    return query


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AuditFilterForm(request.POST)
        query = _filter_query(request, form) if form.is_valid() else None
        if query is None:
            return _show(request, form, AuditEvent.objects.none(), 400)
        return redirect(f"{reverse('audit-log')}?{urlencode(query)}")
    data = request.GET.copy()
    if data.get("patient"):
        form = AuditFilterForm(data)
        form.is_valid()
        form.add_error("patient", NOT_IN_URL)
        return _show(request, form, AuditEvent.objects.none(), 400)
    patient_id = int(data["patient_id"]) if data.get("patient_id", "").isdigit() else None
    if patient_id:
        data["patient"] = mrn_of(patient_id) or ""
    form = AuditFilterForm(data or None)
    f = form.cleaned_data if form.is_valid() else {}
    events = audit_events(actor=f.get("actor"), action=f.get("action"), verb=f.get("verb"), patient_id=patient_id,
                          start=f.get("start"), end=f.get("end"))
    return _show(request, form, events.none() if form.errors else events, 400 if form.errors else 200)
