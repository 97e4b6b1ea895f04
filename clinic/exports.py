"""Exports of a patient's readings for a range: CSV, and a FHIR R4 Bundle of the Patient and its Observations
(the FHIR API's own mapping, devices.fhir.mapping: codes and units from ../shared/clinical/codes.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator

from django.conf import settings

from devices import readings
from devices.fhir import mapping, observations
from patients.models import Patient

# OWASP "CSV Injection": a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote (OWASP's advice)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


CSV_COLUMNS = ["measured_at_utc", "measured_at_local", "metric", "value", "unit", "source", "device_serial",
               "received_at_utc"]


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
        # the value is a number (repr keeps its sign); every text cell could come from a device or a person
        writer.writerow([measured_at.astimezone(dt.UTC).isoformat(), measured_at.astimezone(tz).isoformat(),
                         neutralised(metric), repr(value), neutralised(unit), neutralised(source),
                         neutralised(serial or ""), received_at.astimezone(dt.UTC).isoformat()])
        yield flush()


def fhir_bundle(*, patient: Patient, start: dt.datetime, end: dt.datetime, base: str,
                now: dt.datetime | None = None) -> dict:
    """A FHIR R4 `collection` Bundle: the Patient (with the MRN as identifier, so a receiver can match it) and its
    Observations from the one FHIR mapping (devices.fhir), with the ids the FHIR API serves them under."""
    patient_entry = {"fullUrl": f"{base}/Patient/{patient.pk}",
                     "resource": mapping.patient_resource(patient, mrn_system=settings.FHIR_MRN_SYSTEM)}
    entries = [
        {"fullUrl": f"{base}/Observation/{entry.id}", "resource": mapping.observation(entry)}
        for entry in observations.between(patient_id=patient.pk, start=start, end=end)
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": mapping.instant(now or dt.datetime.now(dt.UTC)),
        "entry": [patient_entry, *entries],
    }
