"""The audit log page: every audited action, filterable, for admins only."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rpm.models import AuditEvent
from rpm.roles import admin_required
from staff.audit_log import audit_events, known_verbs

PAGE_SIZE = 100


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


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    events = audit_events(actor=f.get("actor"), action=f.get("action"), verb=f.get("verb"),
                          patient_mrn=f.get("patient"), start=f.get("start"), end=f.get("end"))
    if form.errors:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "staff/audit_log.html", {"form": form, "page": page, "query": query.urlencode(),
                                              "verbs": known_verbs()},
                  status=400 if form.errors else 200)
