"""The fleet's side of a patient's discharge: every device still enrolled goes back to inventory, its credential
revoked (the patient keeps no working device), in the discharge's own transaction."""

from __future__ import annotations

from django.dispatch import receiver

from devices.models import DeviceAssignment
from devices.services import return_to_inventory
from patients.models import Patient
from patients.signals import patient_discharged


@receiver(patient_discharged, dispatch_uid="devices.return_on_discharge")
def return_devices_on_discharge(sender, patient: Patient, by=None, **kwargs) -> None:
    for assignment in DeviceAssignment.objects.filter(patient=patient, ended_at__isnull=True).select_related("device"):
        return_to_inventory(device=assignment.device, by=by)
