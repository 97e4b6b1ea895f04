"""Exports of a patient's readings for a range: CSV, and a FHIR R4 Bundle of Observations.

Codes and units: ../shared/clinical/codes.md (HL7 FHIR R4 vital-signs profile, LOINC, UCUM).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator

from devices import readings
from patients.models import Patient
from rpm.metrics import METRICS

CSV_COLUMNS = ["measured_at_utc", "measured_at_local", "metric", "value", "unit", "source", "device_serial",
               "received_at_utc"]
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
# FHIR R4 vital-signs profile and the per-vital profiles it defines (hl7.org/fhir/R4/observation-vitalsigns.html)
VITALSIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
PROFILES = {
    "heart_rate": "http://hl7.org/fhir/StructureDefinition/heartrate",
    "respiratory_rate": "http://hl7.org/fhir/StructureDefinition/resprate",
    "spo2": "http://hl7.org/fhir/StructureDefinition/oxygensat",
    "body_temperature": "http://hl7.org/fhir/StructureDefinition/bodytemp",
    "body_weight": "http://hl7.org/fhir/StructureDefinition/bodyweight",
    "blood_pressure": "http://hl7.org/fhir/StructureDefinition/bp",
}
# spo2: 2708-6 with 59408-5 (by pulse oximetry) as a second coding (codes.md)
SECOND_CODINGS = {"spo2": {"system": LOINC, "code": "59408-5",
                           "display": "Oxygen saturation in Arterial blood by Pulse oximetry"}}
BP_PANEL = {"system": LOINC, "code": "85354-9", "display": "Blood pressure panel with all children optional"}
BP_PARTS = ("systolic_bp", "diastolic_bp")
CATEGORIES = {"blood_glucose": ("laboratory", "Laboratory"), "steps": ("activity", "Activity")}


def readings_in_range(*, patient: Patient, start: dt.datetime, end: dt.datetime) -> Iterator[tuple]:
    """(measured_at, metric, value, unit, source, device serial, received_at) with start <= measured_at < end."""
    return (row[:7] for row in readings.in_range(patient_id=patient.pk, start=start, end=end))


def readings_csv(*, patient: Patient, start: dt.datetime, end: dt.datetime) -> Iterator[str]:
    """CSV lines, header first; times in UTC and in the patient's zone."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    tz = patient.tz

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for measured_at, metric, value, unit, source, serial, received_at in readings_in_range(
            patient=patient, start=start, end=end):
        writer.writerow([measured_at.astimezone(dt.UTC).isoformat(), measured_at.astimezone(tz).isoformat(), metric,
                         repr(value), unit, source, serial or "", received_at.astimezone(dt.UTC).isoformat()])
        yield flush()


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _observation(*, patient: Patient, at: dt.datetime, profile_key: str, code: dict, device_serial: str | None,
                 category: tuple[str, str] = ("vital-signs", "Vital Signs")) -> dict:
    profiles = [PROFILES[profile_key]] if profile_key in PROFILES else []
    observation: dict = {
        "resourceType": "Observation",
        "id": str(uuid.uuid4()),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category[0], "display": category[1]}],
                      "text": category[1]}],
        "code": code,
        "subject": {"reference": f"Patient/{patient.pk}", "display": patient.name},
        "effectiveDateTime": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    if category[0] == "vital-signs":
        observation["meta"] = {"profile": [VITALSIGNS_PROFILE, *profiles]}
    if device_serial:
        observation["device"] = {"display": device_serial}
    return observation


def _single(patient: Patient, measured_at, metric: str, value: float, unit: str, serial: str | None) -> dict:
    m = METRICS[metric]
    coding = [{"system": LOINC, "code": m.loinc, "display": m.display}]
    if metric in SECOND_CODINGS:
        coding.append(SECOND_CODINGS[metric])
    observation = _observation(
        patient=patient, at=measured_at, profile_key=metric, device_serial=serial,
        code={"coding": coding, "text": m.display},
        category=CATEGORIES.get(metric, ("vital-signs", "Vital Signs")),
    )
    observation["valueQuantity"] = _quantity(value, unit)
    return observation


def _blood_pressure(patient: Patient, measured_at, parts: dict[str, tuple[float, str]], serial: str | None) -> dict:
    """One 85354-9 panel per measurement time, systolic and diastolic as its two components."""
    observation = _observation(patient=patient, at=measured_at, profile_key="blood_pressure", device_serial=serial,
                               code={"coding": [BP_PANEL], "text": "Blood pressure"})
    components = []
    for metric in BP_PARTS:
        m = METRICS[metric]
        component: dict = {"code": {"coding": [{"system": LOINC, "code": m.loinc, "display": m.display}],
                                    "text": m.display}}
        if metric in parts:
            component["valueQuantity"] = _quantity(*parts[metric])
        else:
            # the cuff sent only one half: the panel still carries both components, one marked absent
            component["dataAbsentReason"] = {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown",
                "display": "Unknown"}]}
        components.append(component)
    observation["component"] = components
    return observation


def fhir_bundle(*, patient: Patient, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    """A FHIR R4 `collection` Bundle of Observations; readings without a LOINC code (dose events) are left out."""
    entries: list[dict] = []
    pending_bp: dict[tuple, dict[str, tuple[float, str]]] = {}

    def flush_bp() -> None:
        for (measured_at, serial), parts in pending_bp.items():
            entries.append(_blood_pressure(patient, measured_at, parts, serial))
        pending_bp.clear()

    for measured_at, metric, value, unit, _source, serial, _received in readings_in_range(
            patient=patient, start=start, end=end):
        if pending_bp and next(iter(pending_bp))[0] != measured_at:
            flush_bp()
        if metric in BP_PARTS:
            pending_bp.setdefault((measured_at, serial), {})[metric] = (value, unit)
        elif METRICS[metric].loinc:
            entries.append(_single(patient, measured_at, metric, value, unit, serial))
    flush_bp()
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries],
    }
