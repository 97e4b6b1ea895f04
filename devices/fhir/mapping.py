"""Stored readings, patients and devices as FHIR R4 resources: the one mapping the FHIR API and the patient
page's FHIR export both use.

Observation ids are derived from the stored reading, so the same reading has the same id in every answer and
every export: a reading's own id (`123`), or for blood pressure `bp-<id>` of the panel's systolic reading (of
its diastolic when the cuff sent only that half). A blood pressure measurement is one 85354-9 panel with its
systolic and diastolic as components (codes.md), even when the device stamped the two halves a moment apart.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from devices.fhir import codes
from devices.models import Device
from devices.readings import ReadingRow
from patients.models import Patient
from rpm.metrics import METRICS, OK

# A cuff's systolic and diastolic come from one inflation: two halves stamped at most this far apart, by the
# same device for the same patient, are one measurement.
PAIR_WINDOW = dt.timedelta(seconds=60)
BP_PREFIX = "bp-"


@dataclass(frozen=True, slots=True)
class Entry:
    """What one Observation shows: a single reading, or a blood pressure panel (either half may be missing)."""

    anchor: ReadingRow
    systolic: ReadingRow | None = None
    diastolic: ReadingRow | None = None

    @property
    def is_panel(self) -> bool:
        return self.anchor.metric in codes.BP_METRICS

    @property
    def id(self) -> str:
        return f"{BP_PREFIX}{self.anchor.id}" if self.is_panel else str(self.anchor.id)


def _nearest(candidates: list[ReadingRow], times: list[dt.datetime], at: dt.datetime) -> ReadingRow | None:
    """The candidate nearest in time within the window; ties go to the earlier, then the lower id."""
    lo = bisect.bisect_left(times, at - PAIR_WINDOW)
    hi = bisect.bisect_right(times, at + PAIR_WINDOW)
    window = candidates[lo:hi]
    return min(window, key=lambda r: (abs(r.measured_at - at), r.measured_at, r.id), default=None)


def pair_blood_pressure(rows: Iterable[ReadingRow]) -> dict[int, int]:
    """{systolic id: diastolic id} for the halves that are each other's nearest (same patient and device,
    within PAIR_WINDOW). Mutual nearest: the same answer whichever reading of the pair one starts from."""
    groups: dict[tuple, dict[str, list[ReadingRow]]] = defaultdict(lambda: {codes.SYSTOLIC: [], codes.DIASTOLIC: []})
    for row in rows:
        if row.metric in codes.BP_METRICS:
            groups[(row.patient_id, row.device_id)][row.metric].append(row)
    pairs: dict[int, int] = {}
    for halves in groups.values():
        systolic = sorted(halves[codes.SYSTOLIC], key=lambda r: (r.measured_at, r.id))
        diastolic = sorted(halves[codes.DIASTOLIC], key=lambda r: (r.measured_at, r.id))
        sys_times = [r.measured_at for r in systolic]
        dia_times = [r.measured_at for r in diastolic]
        for s in systolic:
            d = _nearest(diastolic, dia_times, s.measured_at)
            if d is not None and _nearest(systolic, sys_times, d.measured_at) == s:
                pairs[s.id] = d.id
    return pairs


class Pairing:
    """Blood pressure halves paired over a set of rows: which Entry a row stands for, if any."""

    def __init__(self, rows: Iterable[ReadingRow]):
        rows = list(rows)
        self.by_id = {row.id: row for row in rows}
        self.pairs = pair_blood_pressure(rows)
        self.paired_diastolic = set(self.pairs.values())

    def entry_for(self, row: ReadingRow) -> Entry | None:
        """The Observation this row anchors; None for a diastolic half shown in its systolic's panel."""
        if row.metric == codes.SYSTOLIC:
            return Entry(row, systolic=row, diastolic=self.by_id.get(self.pairs.get(row.id)))
        if row.metric == codes.DIASTOLIC:
            return None if row.id in self.paired_diastolic else Entry(row, diastolic=row)
        return Entry(row)


def instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _quantity(value: float, metric: str) -> dict:
    m = METRICS[metric]
    return {"value": value, "unit": m.shown_unit, "system": codes.UCUM, "code": m.unit}


def _category(name: str) -> list[dict]:
    display = codes.CATEGORY_DISPLAY[name]
    return [{"coding": [{"system": codes.CATEGORY_SYSTEM, "code": name, "display": display}], "text": display}]


def _code(loinc_codes: Iterable[str]) -> dict:
    codings = [codes.coding(code) for code in loinc_codes]
    return {"coding": codings, "text": codings[0]["display"]}


def observation(entry: Entry) -> dict:
    """One Observation (FHIR R4 vital-signs profile where the metric is a vital sign)."""
    row = entry.anchor
    metric = "blood_pressure" if entry.is_panel else row.metric
    category = codes.VITAL_SIGNS if entry.is_panel else codes.category_of(row.metric)
    resource: dict = {"resourceType": "Observation", "id": entry.id}
    if category == codes.VITAL_SIGNS:
        resource["meta"] = {"profile": [codes.VITALSIGNS_PROFILE, *([codes.PROFILES[metric]]
                                                                    if metric in codes.PROFILES else [])]}
    resource.update({
        "status": "final",
        "category": _category(category),
        "code": _code([codes.BP_PANEL] if entry.is_panel else codes.observation_codes(row.metric, row.device_kind)),
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "effectiveDateTime": instant(row.measured_at),
        "issued": instant(row.received_at),
    })
    if entry.is_panel:
        resource["component"] = [_component(metric, half) for metric, half in
                                 ((codes.SYSTOLIC, entry.systolic), (codes.DIASTOLIC, entry.diastolic))]
    else:
        resource["valueQuantity"] = _quantity(row.value, row.metric)
    if row.device_id is not None:
        resource["device"] = {"reference": f"Device/{row.device_id}", "display": row.device_serial}
    flagged = [half for half in (entry.systolic, entry.diastolic, None if entry.is_panel else row)
               if half is not None and half.quality != OK]
    if flagged:
        # thresholds.md: outside the plausible range, kept but "check the patient or the device"
        resource["note"] = [{"text": f"{METRICS[r.metric].display} outside the plausible range: "
                                     "check the patient or the device"} for r in flagged]
    return resource


def _component(metric: str, half: ReadingRow | None) -> dict:
    component: dict = {"code": _code(codes.METRIC_CODES[metric])}
    if half is not None:
        component["valueQuantity"] = _quantity(half.value, metric)
    else:
        # the cuff sent only one half: the panel still carries both components, one marked absent
        component["dataAbsentReason"] = {"coding": [{"system": codes.DATA_ABSENT_SYSTEM, "code": "unknown",
                                                     "display": "Unknown"}]}
    return component


def mrn_identifier(mrn: str, system: str) -> dict:
    return {"use": "usual", "type": {"coding": [{"system": codes.IDENTIFIER_TYPE_SYSTEM, "code": "MR",
                                                 "display": "Medical record number"}], "text": "MRN"},
            "system": system, "value": mrn}


def patient_resource(patient: Patient, *, mrn_system: str) -> dict:
    """The Patient, with the MRN as its identifier so that a receiver can match it."""
    return {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [mrn_identifier(patient.mrn, mrn_system)],
        "active": patient.status != Patient.Status.DISCHARGED,
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
    }


def device_resource(device: Device, *, patient_id: int | None) -> dict:
    """The Device; `patient_id` is the patient it is lent to now, when the reader may see that patient."""
    resource: dict = {
        "resourceType": "Device",
        "id": str(device.pk),
        "identifier": [{"system": codes.DEVICE_SERIAL_SYSTEM, "value": device.serial}],
        "status": "inactive" if device.status == Device.Status.RETIRED else "active",
        "serialNumber": device.serial,
        "type": {"coding": [{"system": codes.DEVICE_KIND_SYSTEM, "code": device.kind,
                             "display": device.get_kind_display()}], "text": device.get_kind_display()},
    }
    if device.manufacturer:
        resource["manufacturer"] = device.manufacturer
    if device.model:
        resource["modelNumber"] = device.model
    if device.firmware:
        resource["version"] = [{"type": {"coding": [{"system": codes.MDC, "code": codes.MDC_FIRMWARE,
                                                     "display": codes.MDC_DISPLAY[codes.MDC_FIRMWARE]}],
                                         "text": "firmware"}, "value": device.firmware}]
    properties = [(codes.MDC_BATTERY, "battery", device.battery_level),
                  (codes.MDC_SIGNAL, "signal strength", device.signal_strength)]
    resource["property"] = [
        {"type": {"coding": [{"system": codes.MDC, "code": code, "display": codes.MDC_DISPLAY[code]}], "text": text},
         "valueQuantity": [{"value": value, "unit": "%", "system": codes.UCUM, "code": "%"}]}
        for code, text, value in properties if value is not None
    ]
    if not resource["property"]:
        del resource["property"]
    if patient_id is not None:
        resource["patient"] = {"reference": f"Patient/{patient_id}"}
    return resource
