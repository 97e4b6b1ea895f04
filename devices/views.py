"""Admin pages for the device fleet: inventory, register, CSV import, the device page and its actions.

Every action is a POST that calls a devices.services function, then redirects back to the
device page, except issuing a token: its answer is the only place the secret ever appears.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices import services
from devices.csv_import import import_devices
from devices.forms import EnrolForm, ImportForm, InventoryFilterForm, RegisterDeviceForm, RetireForm
from devices.models import Device
from devices.selectors import (
    active_credential,
    current_patient,
    device_history,
    device_inventory,
    patients_for_enrolment,
)
from rpm import audit
from rpm.metrics import DEVICE_KIND_CATALOGUE, LOW_BATTERY_PERCENT
from rpm.models import AuditEvent
from rpm.roles import admin_required

PAGE_SIZE = 100


def _flag_health(devices, now: dt.datetime) -> None:
    """Mark what the inventory highlights: an enrolled device silent past its kind's limit (a continuous monitor
    in minutes, a spot-check device in 48 h: thresholds.md), a low battery."""
    for device in devices:
        device.patient = current_patient(device)
        device.offline = device.status == Device.Status.ACTIVE and (
            device.last_seen_at is None
            or now - device.last_seen_at >= DEVICE_KIND_CATALOGUE[device.kind].no_contact_after)
        device.low_battery = device.battery_level is not None and device.battery_level < LOW_BATTERY_PERCENT


@admin_required
def inventory(request: HttpRequest) -> HttpResponse:
    form = InventoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    devices = device_inventory(status=filters.get("status") or None, kind=filters.get("kind") or None,
                               offline_hours=filters.get("offline_hours"),
                               low_battery=filters.get("low_battery", False), search=filters.get("q"))
    page = Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page"))
    _flag_health(page.object_list, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "devices/inventory.html", {"form": form, "page": page, "query": query.urlencode(),
                                                       "low_battery_percent": LOW_BATTERY_PERCENT})


@admin_required
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.register_device(**form.cleaned_data, by=request.user)
        messages.success(request, f"Registered {device.serial}. Enrol it to a patient and issue its token.")
        return redirect("device-detail", device_id=device.id)
    return render(request, "devices/register.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
def import_csv(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_devices(data=form.cleaned_data["file"].read(), by=request.user)
    return render(request, "devices/import.html", {"form": form, "report": report},
                  status=400 if form.errors else 200)


@admin_required
def device_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    history = device_history(device_id=device_id)
    if history is None:
        raise Http404("no such device")
    # the page shows readings of the current and past patients: a view of patient data
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="device.detail", patient=history.patient,
                 target=history.device)
    return render(request, "devices/detail.html", _detail_context(history, enrol_form=EnrolForm()))


def _detail_context(history, **extra) -> dict:
    return {
        "h": history,
        "device": history.device,
        "credential": next((c for c in history.credentials if c.revoked_at is None), None),
        "retire_form": RetireForm(),
        "patients": patients_for_enrolment(),
        "retired": history.device.status == Device.Status.RETIRED,
        **extra,
    }


def _device_or_404(device_id: int) -> Device:
    return get_object_or_404(Device, pk=device_id)


@require_POST
@admin_required
def enrol(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        history = device_history(device_id=device_id)
        return render(request, "devices/detail.html", _detail_context(history, enrol_form=form), status=400)
    try:
        services.enrol_device(device=device, patient=form.cleaned_data["patient"], by=request.user)
    except services.DeviceStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Enrolled {device.serial} to {form.cleaned_data['patient']}.")
    return redirect("device-detail", device_id=device.id)


@require_POST
@admin_required
def unenrol(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    ended = services.unenrol_device(device=device, by=request.user)
    messages.success(request, f"Unenrolled {device.serial}." if ended else f"{device.serial} was not enrolled.")
    return redirect("device-detail", device_id=device.id)


@require_POST
@admin_required
def retire(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the box to confirm retiring this device; nothing was changed.")
        return redirect("device-detail", device_id=device.id)
    services.retire_device(device=device, by=request.user)
    messages.success(request, f"Retired {device.serial}. It can never send readings again.")
    return redirect("device-detail", device_id=device.id)


@require_POST
@admin_required
def return_to_inventory(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    try:
        services.return_to_inventory(device=device, by=request.user)
    except services.DeviceStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{device.serial} is back in inventory; its token was revoked.")
    return redirect("device-detail", device_id=device.id)


@require_POST
@admin_required
def rotate_token(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    had_token = active_credential(device) is not None
    try:
        token = services.rotate_device_token(device=device, by=request.user)
    except services.DeviceStateError as exc:
        messages.error(request, str(exc))
        return redirect("device-detail", device_id=device.id)
    response = render(request, "devices/token.html", {"device": device, "token": token, "rotated": had_token})
    response["Cache-Control"] = "no-store"  # the secret is in this page only
    return response


@require_POST
@admin_required
def revoke_token(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(device_id)
    revoked = services.revoke_device_token(device=device, by=request.user)
    messages.success(request, f"Revoked the token of {device.serial}." if revoked
                     else f"{device.serial} had no active token.")
    return redirect("device-detail", device_id=device.id)
