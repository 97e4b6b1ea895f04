"""Bulk device registration from CSV: serial, kind, manufacturer, model, optional patient MRN.

Valid rows are imported and invalid ones reported with their line number and reason.
Each row is its own transaction (register, then enrol), so a row is never half-imported:
a device whose enrolment fails is not left registered either.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from devices.models import Device
from devices.selectors import enrolment_patient
from devices.services import DeviceStateError, enrol_device, register_device
from rpm import audit
from rpm.metrics import DEVICE_KINDS
from rpm.models import AuditEvent

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ("serial", "kind")
# the header may say "maker" for manufacturer and "mrn" for patient_mrn
COLUMN_ALIASES = {"maker": "manufacturer", "mrn": "patient_mrn", "patient": "patient_mrn"}
KNOWN_COLUMNS = {"serial", "kind", "manufacturer", "model", "patient_mrn"}
EXPECTED = "serial, kind, manufacturer, model, patient_mrn"
FIELD_LIMITS = {"serial": 100, "manufacturer": 100, "model": 100}


@dataclass(frozen=True)
class RowError:
    line: int
    serial: str
    reason: str


@dataclass
class ImportReport:
    created: list[Device] = field(default_factory=list)
    enrolled: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None  # the whole file was refused (encoding, header, size)

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    def as_dict(self) -> dict:
        return {
            "created": len(self.created),
            "enrolled": self.enrolled,
            "rejected": len(self.errors),
            "devices": [{"id": d.id, "serial": d.serial} for d in self.created],
            "errors": [{"line": e.line, "serial": e.serial, "reason": e.reason} for e in self.errors],
            **({"file_error": self.file_error} if self.file_error else {}),
        }


def _decode(data: bytes) -> str | RowError:
    """UTF-8 text (a leading BOM, as Excel writes, is dropped), or where the encoding breaks."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RowError(line, "", f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); "
                                  "save it as 'CSV UTF-8' and upload again")


def _header(row: list[str]) -> list[str] | str:
    names = [COLUMN_ALIASES.get(name.strip().lower(), name.strip().lower()) for name in row]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return f"the first line must be a header naming the columns {EXPECTED}; missing {', '.join(missing)}"
    unknown = [n for n in names if n not in KNOWN_COLUMNS]
    if unknown:
        return f"unknown column(s) {', '.join(repr(u) for u in unknown)}; expected {EXPECTED}"
    return names


def _check_row(values: dict[str, str], seen: dict[str, int]) -> str | None:
    serial, kind = values.get("serial", ""), values.get("kind", "")
    if not serial:
        return "serial is empty"
    for name, limit in FIELD_LIMITS.items():
        if len(values.get(name, "")) > limit:
            return f"{name} is longer than {limit} characters"
    if serial in seen:
        return f"serial {serial} appears more than once in the file (first on line {seen[serial]})"
    if not kind:
        return "kind is empty"
    if kind not in DEVICE_KINDS:
        return f"unknown kind {kind[:40]!r}; known kinds: {', '.join(DEVICE_KINDS)}"
    if Device.objects.filter(serial=serial).exists():
        return f"a device with serial {serial} is already registered"
    return None


def import_devices(*, data: bytes, by=None) -> ImportReport:
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.file_error = f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it"
        return report
    text = _decode(data)
    if isinstance(text, RowError):
        report.file_error = text.reason
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
    except csv.Error as exc:
        report.file_error = f"line 1: {exc}"
        return report
    if first is None:
        report.file_error = "the file is empty"
        return report
    columns = _header(first)
    if isinstance(columns, str):
        report.file_error = columns
        return report

    seen: dict[str, int] = {}
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.errors.append(RowError(reader.line_num, "", f"unreadable CSV: {exc}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not rows
        rows += 1
        if rows > MAX_ROWS:
            report.errors.append(RowError(line, "", f"more than {MAX_ROWS} rows; the rest were not read"))
            break
        if len(row) > len(columns):
            report.errors.append(RowError(line, row[0].strip(), f"{len(row)} values but the header has {len(columns)}"))
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(columns)}
        _import_row(report, values, line, seen, by)

    audit.record(actor=by, action=AuditEvent.Action.CREATE, verb="device.import",
                 detail={"created": len(report.created), "rejected": len(report.errors)})
    return report


def _import_row(report: ImportReport, values: dict[str, str], line: int, seen: dict[str, int], by) -> None:
    serial = values.get("serial", "")
    problem = _check_row(values, seen)
    if serial and serial not in seen:
        seen[serial] = line
    if problem:
        report.errors.append(RowError(line, serial, problem))
        return
    mrn = values.get("patient_mrn", "")
    patient = None
    if mrn:
        patient = enrolment_patient(mrn=mrn)
        if patient is None:
            report.errors.append(RowError(line, serial, f"no active patient with MRN {mrn[:40]}"))
            return
    try:
        with transaction.atomic():
            device = register_device(serial=serial, kind=values["kind"], manufacturer=values.get("manufacturer", ""),
                                     model=values.get("model", ""), by=by)
            if patient is not None:
                enrol_device(device=device, patient=patient, by=by)
    except (ValidationError, DeviceStateError, IntegrityError) as exc:
        if isinstance(exc, IntegrityError):  # registered by someone else since the check above
            reason = f"a device with serial {serial} is already registered"
        else:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        report.errors.append(RowError(line, serial, reason))
        return
    report.created.append(device)
    report.enrolled += patient is not None
