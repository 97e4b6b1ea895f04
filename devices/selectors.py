"""Reads of the device fleet for admins: inventory, one device's history, patients to enrol to.

Admins are not clinicians: they see patient identifiers (MRN, name) needed to enrol a
device, never a patient's chart. Clinician access stays with patients_visible_to().
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from devices import readings as sent_readings
from devices.models import Device, DeviceAssignment, DeviceCredential, IngestRejection, Reading
from patients.models import Patient
from rpm.metrics import LOW_BATTERY_PERCENT


def _current_assignments() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=DeviceAssignment.objects.filter(ended_at__isnull=True).select_related("patient"),
        to_attr="current_assignments",
    )


def _active_credentials() -> Prefetch:
    return Prefetch("credentials", queryset=DeviceCredential.objects.filter(revoked_at__isnull=True)
                    .defer("secret_hash").order_by("-created_at"), to_attr="active_credentials")


def current_patient(device: Device) -> Patient | None:
    """The patient a device is lent to now (uses the prefetch of device_inventory() when present)."""
    assignments = getattr(device, "current_assignments", None)
    if assignments is None:
        assignments = list(device.assignments.filter(ended_at__isnull=True).select_related("patient"))
    return assignments[0].patient if assignments else None


def device_inventory(*, status: str | None = None, kind: str | None = None, offline_hours: float | None = None,
                     low_battery: bool = False, search: str | None = None,
                     now: dt.datetime | None = None) -> QuerySet[Device]:
    """Every device, filtered as the inventory page and `GET /api/v1/devices/` ask.

    "Offline" only makes sense for a device out with a patient: an active device never
    seen, or last seen more than `offline_hours` ago. Search matches the serial or the
    current patient's MRN or name.
    """
    devices = Device.objects.all()
    if status:
        devices = devices.filter(status=status)
    if kind:
        devices = devices.filter(kind=kind)
    if offline_hours is not None:
        cutoff = (now or timezone.now()) - dt.timedelta(hours=offline_hours)
        devices = devices.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff),
                                 status=Device.Status.ACTIVE)
    if low_battery:
        devices = devices.filter(battery_level__lt=LOW_BATTERY_PERCENT)
    if search and search.strip():
        term = search.strip()
        current = DeviceAssignment.objects.filter(device=OuterRef("pk"), ended_at__isnull=True)
        patient_match = Q(patient__mrn__iexact=term) | Q(patient__family_name__icontains=term) | Q(
            patient__given_name__icontains=term)
        devices = devices.filter(Q(serial__icontains=term) | Exists(current.filter(patient_match)))
    return devices.prefetch_related(_current_assignments(), _active_credentials()).order_by("serial")


def patients_for_enrolment(*, search: str | None = None, limit: int = 200) -> QuerySet[Patient]:
    """Active patients a device may be enrolled to, identifiers only (MRN and name)."""
    patients = Patient.objects.filter(status=Patient.Status.ACTIVE).only("id", "mrn", "given_name", "family_name")
    if search and search.strip():
        term = search.strip()
        patients = patients.filter(Q(mrn__icontains=term) | Q(family_name__icontains=term)
                                   | Q(given_name__icontains=term))
    return patients.order_by("family_name", "given_name")[:limit]


def enrolment_patient(*, patient_id: int | None = None, mrn: str | None = None) -> Patient | None:
    """The active patient with this id or MRN, or None."""
    patients = Patient.objects.filter(status=Patient.Status.ACTIVE)
    if patient_id is not None:
        return patients.filter(pk=patient_id).first()
    if mrn:
        return patients.filter(mrn=mrn.strip()).first()
    return None


@dataclass(frozen=True)
class DeviceHistory:
    device: Device
    patient: Patient | None
    assignments: list[DeviceAssignment]
    credentials: list[DeviceCredential]
    readings: list[Reading]
    rejections: list[IngestRejection]


def device_history(*, device_id: int, readings: int = 20, rejections: int = 20) -> DeviceHistory | None:
    """What the device page shows: who had it, its credentials (no secrets), what it sent and what was refused."""
    device = Device.objects.filter(pk=device_id).prefetch_related(_current_assignments()).first()
    if device is None:
        return None
    return DeviceHistory(
        device=device,
        patient=current_patient(device),
        assignments=list(device.assignments.select_related("patient").order_by("-started_at", "-id")),
        credentials=list(device.credentials.select_related("created_by").order_by("-created_at", "-id")
                         .defer("secret_hash")),
        readings=sent_readings.of_device(device_id=device.id, limit=readings),
        rejections=list(device.rejections.order_by("-at", "-id")[:rejections]),
    )


def active_credential(device: Device) -> DeviceCredential | None:
    """The token the device may use now (uses the prefetch of device_inventory() when present)."""
    prefetched = getattr(device, "active_credentials", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return device.credentials.filter(revoked_at__isnull=True).order_by("-created_at").first()


def episode_starts(*, patient_ids: list[int]) -> dict[int, dt.datetime]:
    """When each patient's monitoring episode began: their first device enrolment (RPM's 30-day periods and its
    once-per-episode set-up code count from it). Patients never given a device are absent."""
    rows = (DeviceAssignment.objects.filter(patient_id__in=patient_ids).values("patient_id")
            .annotate(first=Min("started_at")).values_list("patient_id", "first"))
    return dict(rows)
