"""Writes on the device fleet: register, enrol, unenrol, retire, return to inventory, and the
device's credentials (rotate, revoke). Every change is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from devices.credentials import issue_token, revoke_tokens
from devices.models import Device, DeviceAssignment
from patients.models import Patient
from rpm import audit
from rpm.errors import WrongState
from rpm.models import AuditEvent


class DeviceStateError(WrongState):
    """The device is in a state that does not allow this change (e.g. retired)."""

    def __init__(self, message: str, field: str | None = "status"):
        super().__init__(message, field)


def register_device(*, serial: str, kind: str, manufacturer: str = "", model: str = "", firmware: str = "",
                    by=None) -> Device:
    device = Device(serial=serial, kind=kind, manufacturer=manufacturer, model=model, firmware=firmware)
    device.full_clean()
    device.save()
    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="device.register", target=device,
                 detail={"serial": serial, "kind": kind})
    return device


@transaction.atomic
def enrol_device(*, device: Device, patient: Patient, by=None, at=None) -> DeviceAssignment:
    """Assign the device to a patient, ending any current assignment so history is kept."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status == Device.Status.RETIRED:
        raise DeviceStateError("a retired device cannot be enrolled")
    if patient.status == Patient.Status.DISCHARGED:
        raise DeviceStateError("a discharged patient cannot be given a device")
    at = at or timezone.now()
    previous = DeviceAssignment.objects.filter(device=device, ended_at__isnull=True).first()
    if previous is not None:
        previous.ended_at = at
        previous.save(update_fields=["ended_at"])
    assignment = DeviceAssignment.objects.create(device=device, patient=patient, started_at=at)
    device.status = Device.Status.ACTIVE
    device.save(update_fields=["status"])
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.assign", patient=patient, target=device,
                 detail={"previous_patient": previous.patient_id if previous else None})
    return assignment


@transaction.atomic
def unenrol_device(*, device: Device, by=None, at=None) -> DeviceAssignment | None:
    """End the current assignment and return the device to inventory."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    current = DeviceAssignment.objects.filter(device=device, ended_at__isnull=True).first()
    if current is not None:
        current.ended_at = at or timezone.now()
        current.save(update_fields=["ended_at"])
    if device.status == Device.Status.ACTIVE:
        device.status = Device.Status.INVENTORY
        device.save(update_fields=["status"])
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.unassign",
                 patient=current.patient if current else None, target=device)
    return current


@transaction.atomic
def retire_device(*, device: Device, by=None) -> Device:
    """Retire for good: ends the assignment and revokes every credential, so it can never post again."""
    unenrol_device(device=device, by=by)
    device = Device.objects.select_for_update().get(pk=device.pk)
    device.status = Device.Status.RETIRED
    device.save(update_fields=["status"])
    revoke_tokens(device=device)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.retire", target=device)
    return device


@transaction.atomic
def return_to_inventory(*, device: Device, by=None) -> Device:
    """The device is back on the shelf: end its assignment and revoke its token, so the next
    patient's copy gets a fresh one. A retired device stays retired."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status == Device.Status.RETIRED:
        raise DeviceStateError("a retired device cannot return to inventory")
    unenrol_device(device=device, by=by)
    revoked = revoke_tokens(device=device)
    device.refresh_from_db()
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.return_to_inventory", target=device,
                 detail={"credentials_revoked": revoked})
    return device


@transaction.atomic
def rotate_device_token(*, device: Device, by=None) -> str:
    """A new token for the device; the old one stops working in the same transaction. Shown once."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status == Device.Status.RETIRED:
        raise DeviceStateError("a retired device cannot be given a token")
    token = issue_token(device=device, by=by)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.rotate_token", target=device,
                 detail={"prefix": token.split("_")[1]})
    return token


@transaction.atomic
def revoke_device_token(*, device: Device, by=None) -> int:
    """Stop the device's current token without issuing another (e.g. a device reported lost)."""
    revoked = revoke_tokens(device=device)
    audit.record(actor=by, action=AuditEvent.Action.CHANGE, verb="device.revoke_token", target=device,
                 detail={"credentials_revoked": revoked})
    return revoked
