"""Reads behind the FHIR API, all scoped by patients_visible_to(): a clinician finds their care teams'
patients, those patients' readings and the devices lent to them, and nothing else (another team's is a 404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from devices.models import Device, DeviceAssignment
from patients.models import Patient
from patients.selectors import patients_visible_to


def visible_patient_ids(user) -> list[int]:
    return list(patients_visible_to(user).values_list("id", flat=True))


def patients_page(user, *, ids: list[int] | None = None, mrns: list[str] | None = None, name: str | None = None,
                  name_mode: str = "", after_id: int | None, count: int) -> tuple[list[Patient], int | None]:
    """One page of the user's patients matching the search, by id; and the id the next page starts after."""
    patients = patients_visible_to(user)
    if ids is not None:
        patients = patients.filter(id__in=ids)
    if mrns is not None:
        patients = patients.filter(mrn__in=mrns)
    if name:
        lookup = {"exact": "exact", "contains": "icontains"}.get(name_mode, "istartswith")
        patients = patients.filter(Q(**{f"given_name__{lookup}": name}) | Q(**{f"family_name__{lookup}": name}))
    if after_id is not None:
        patients = patients.filter(id__gt=after_id)
    found = list(patients.order_by("id")[:count + 1])
    return found[:count], (found[count - 1].id if len(found) > count else None)


def devices_visible_to(user) -> QuerySet[Device]:
    """Devices lent now or before to one of the user's patients."""
    return Device.objects.filter(assignments__patient__in=patients_visible_to(user)).distinct()


def current_patients(*, device_ids: list[int], visible: list[int]) -> dict[int, int]:
    """{device id: patient id} of the devices lent now to one of the visible patients."""
    return dict(DeviceAssignment.objects.filter(device_id__in=device_ids, ended_at__isnull=True,
                                                patient_id__in=visible).values_list("device_id", "patient_id"))


def devices_page(user, *, patient_ids: list[int] | None, ids: list[int] | None, after_id: int | None,
                 count: int) -> tuple[list[Device], int | None]:
    devices = devices_visible_to(user)
    if patient_ids is not None:
        devices = Device.objects.filter(assignments__patient_id__in=patient_ids, assignments__ended_at__isnull=True,
                                        pk__in=devices.values("pk"))
    if ids is not None:
        devices = devices.filter(pk__in=ids)
    if after_id is not None:
        devices = devices.filter(pk__gt=after_id)
    found = list(devices.order_by("pk")[:count + 1])
    return found[:count], (found[count - 1].pk if len(found) > count else None)
