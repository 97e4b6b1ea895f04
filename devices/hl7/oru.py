"""HL7 v2 ORU^R01 (IHE PCD-01) messages from device gateways: OBX segments mapped to plain reading dicts for the
one `devices.ingest.ingest()`, answered with an original-mode ACK: AA (stored, or already stored), AE (an
application error: an unknown device or code, a value ingest refuses; ERR names the segment and field) or AR
(not a message we take: not ORU^R01, not HL7 v2, unparseable). Nothing is half stored: the message's readings
go in one transaction, or none of them do.

Codes and units: ../shared/clinical/codes.md (IEEE 11073 MDC in OBX-3 and OBX-6; example in
hl7v2-oru-example.txt). The device is the OBX-18 equipment identifier (a serial we registered) of the OBX or of
the device-level OBX its OBX-4 sub-id sits under, else the sending facility (MSH-4) through MLLP_FACILITY_DEVICES.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import hl7
from django.conf import settings
from django.db import transaction
from hl7.datatypes import parse_datetime
from hl7.util import generate_message_control_id

from devices.fhir import codes as fhir_codes
from devices.ingest import MAX_MESSAGE_ID_LENGTH, REJECTED, ingest
from devices.models import Device, DeviceAssignment, Reading
from devices.rejections import record_rejections
from devices.telemetry import parse_telemetry, record_telemetry

# MDC measurement codes (codes.md) -> our metric
MDC_METRICS = {
    "150456": "spo2", "149530": "heart_rate", "149546": "heart_rate", "147842": "heart_rate",
    "150021": "systolic_bp", "150022": "diastolic_bp", "150364": "body_temperature", "151562": "respiratory_rate",
    "188736": "body_weight", "160184": "blood_glucose",
}
# MDC unit codes (codes.md) -> UCUM
MDC_UNITS = {"262688": "%", "264864": "/min", "264928": "/min", "266016": "mm[Hg]", "268192": "Cel", "263875": "kg",
             "264274": "mg/dL"}
# device telemetry (devices.fhir.codes): battery and signal in %, firmware as text
MDC_TELEMETRY = {fhir_codes.MDC_BATTERY: "battery", fhir_codes.MDC_SIGNAL: "signal_strength",
                 fhir_codes.MDC_FIRMWARE: "firmware"}
RESULT_STATUSES = {"", "F", "R", "C"}  # final, results entered, corrected; X (no result) is skipped
SUPPORTED_VERSIONS = re.compile(r"2\.[3-9](\.\d+)?")
DTM = re.compile(r"\d{12}(\d{2}(\.\d{1,4})?)?[+-]\d{4}")
# HL7 table 0357 message error condition codes
DATA_TYPE_ERROR, REQUIRED_FIELD_MISSING, TABLE_VALUE_NOT_FOUND = "102", "101", "103"
UNSUPPORTED_MESSAGE_TYPE, UNSUPPORTED_VERSION, APPLICATION_ERROR = "200", "203", "207"
ERROR_TEXT = {"101": "Required field missing", "102": "Data type error", "103": "Table value not found",
              "200": "Unsupported message type", "203": "Unsupported version id", "207": "Application internal error",
              "100": "Segment sequence error"}
INGEST_FIELDS = {"value": 5, "unit": 6, "metric": 3, "measured_at": 14, "id": 1}


@dataclass(frozen=True, slots=True)
class Error:
    segment: str
    sequence: int
    field: int
    message: str
    code: str = APPLICATION_ERROR

    def err(self, escape) -> str:
        return (f"ERR||{self.segment}^{self.sequence}^{self.field}|{self.code}^{ERROR_TEXT[self.code]}^HL70357|E"
                f"||||{escape(self.message)}")


class Rejected(Exception):
    """The message is refused: AE or AR, with the errors that say why."""

    def __init__(self, code: str, errors: list[Error]):
        super().__init__("; ".join(e.message for e in errors))
        self.code = code
        self.errors = errors


@dataclass
class DeviceBatch:
    """One device's readings (with the OBX each came from) and telemetry in a message."""

    serial: str
    located_at: tuple[str, int, int]  # where the device was named, for an error about it
    readings: list[dict] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)  # OBX occurrence of each reading
    telemetry: dict[str, tuple[Any, int]] = field(default_factory=dict)


def _get(segment, field_num: int, component: int = 1, repeat: int = 1) -> str:
    try:
        return str(segment.extract_field(1, field_num, repeat, component)).strip()
    except (IndexError, ValueError):
        return ""


def _time(value: str, where: tuple[str, int, int]) -> dt.datetime:
    if not DTM.fullmatch(value):
        raise Rejected("AE", [Error(*where, f"{value!r} is not a date-time to the minute with a UTC offset "
                                           "(YYYYMMDDHHMM[SS]+ZZZZ)", DATA_TYPE_ERROR)])
    try:
        return parse_datetime(value)
    except ValueError:
        raise Rejected("AE", [Error(*where, f"{value!r} is not a valid date-time", DATA_TYPE_ERROR)]) from None


def _message_id(control_id: str, set_id: str, code: str, when: str) -> str:
    """Stable across resends of the message (same control id, same OBX), different for a new message that reuses
    a control id after a gateway restart (its times differ)."""
    text = f"{control_id}/{set_id}/{code}/{when}"
    return text if len(text) <= MAX_MESSAGE_ID_LENGTH else "hl7:" + hashlib.sha256(text.encode()).hexdigest()


def _facility_devices() -> dict[str, str]:
    return settings.MLLP_FACILITY_DEVICES


def parse(message: hl7.Message) -> tuple[list[DeviceBatch], list[str]]:
    """The message's readings and telemetry by device, and the PID-3 identifiers; Rejected if it is not one
    we take or an OBX cannot be read."""
    msh = message.segment("MSH")
    msg_type = f"{_get(msh, 9, 1)}^{_get(msh, 9, 2)}"
    if msg_type != "ORU^R01":
        raise Rejected("AR", [Error("MSH", 1, 9, f"message type {msg_type} is not taken here; send ORU^R01",
                                    UNSUPPORTED_MESSAGE_TYPE)])
    if not SUPPORTED_VERSIONS.fullmatch(_get(msh, 12)):
        raise Rejected("AR", [Error("MSH", 1, 12, f"HL7 version {_get(msh, 12)!r} is not supported; send 2.3 to 2.9",
                                    UNSUPPORTED_VERSION)])
    control_id = _get(msh, 10)
    if not control_id:
        raise Rejected("AR", [Error("MSH", 1, 10, "the message control id is missing", REQUIRED_FIELD_MISSING)])
    try:
        obr_time = _get(message.segment("OBR"), 7)
    except KeyError:
        obr_time = ""
    try:
        pid = message.segment("PID")
        mrns = [_get(pid, 3, 1, repeat) for repeat in range(1, len(pid(3)) + 1)] if len(pid) > 3 else []
    except KeyError:
        mrns = []

    batches: dict[str, DeviceBatch] = {}
    under: dict[str, str] = {}  # OBX-4 sub-id of a device-level OBX -> serial
    named_at: dict[str, tuple[str, int, int]] = {}
    last_serial: str | None = None
    errors: list[Error] = []
    for occurrence, obx in enumerate(message.segments("OBX") if _has(message, "OBX") else [], start=1):
        sub_id = _get(obx, 4)
        serial = _get(obx, 18)
        if serial:
            under[sub_id] = serial
            last_serial = serial
            named_at.setdefault(serial, ("OBX", occurrence, 18))
        else:
            parts = sub_id.split(".")
            serial = next((under[".".join(parts[:n])] for n in range(len(parts), 0, -1)
                           if ".".join(parts[:n]) in under), None) or last_serial
        code, value = _get(obx, 3), _get(obx, 5)
        if not value or _get(obx, 11) == "X" or (code not in MDC_METRICS and code not in MDC_TELEMETRY
                                                 and _get(obx, 2) != "NM"):
            continue  # a container, a device profile, a text attribute we do not keep, or no result
        if serial is None:
            serial = _facility_devices().get(_get(msh, 4))
            if serial is None:
                errors.append(Error("OBX", occurrence, 18, "no device named: send the device serial in OBX-18 (or "
                                    "configure this sending facility)", REQUIRED_FIELD_MISSING))
                continue
        batch = batches.setdefault(serial, DeviceBatch(serial, named_at.get(serial, ("MSH", 1, 4))))
        if code in MDC_TELEMETRY:
            name = MDC_TELEMETRY[code]
            batch.telemetry[name] = (value if name == "firmware" else _number(value), occurrence)
            continue
        if code not in MDC_METRICS:
            errors.append(Error("OBX", occurrence, 3, f"observation {code} ({_get(obx, 3, 2)}) is not one this "
                                                      "server maps to a reading", TABLE_VALUE_NOT_FOUND))
            continue
        status = _get(obx, 11)
        if status not in RESULT_STATUSES:
            errors.append(Error("OBX", occurrence, 11, f"result status {status!r} is not taken; send F or R",
                                TABLE_VALUE_NOT_FOUND))
            continue
        unit_code, unit_system = _get(obx, 6), _get(obx, 6, 3)
        unit = unit_code if unit_system.upper() == "UCUM" else MDC_UNITS.get(unit_code)
        if unit is None:
            errors.append(Error("OBX", occurrence, 6, f"unit {unit_code or '(none)'} is not an MDC unit code this "
                                                      "server knows (or a UCUM unit with coding system UCUM)",
                                TABLE_VALUE_NOT_FOUND))
            continue
        when = _get(obx, 14) or obr_time
        try:
            measured_at = _time(when, ("OBX", occurrence, 14))
        except Rejected as rejected:
            errors += rejected.errors
            continue
        batch.readings.append({"id": _message_id(control_id, _get(obx, 1) or str(occurrence), code, when),
                               "metric": MDC_METRICS[code], "value": _number(value), "unit": unit,
                               "measured_at": measured_at})
        batch.origins.append(occurrence)
    if errors:
        raise Rejected("AE", errors)
    if not any(b.readings or b.telemetry for b in batches.values()):
        raise Rejected("AE", [Error("OBX", 1, 5, "the message has no observation with a value",
                                    REQUIRED_FIELD_MISSING)])
    return list(batches.values()), [m for m in mrns if m]


def _has(message: hl7.Message, segment_id: str) -> bool:
    return any(str(segment[0]) == segment_id for segment in message)


def _number(text: str) -> float | str:
    """OBX-5 of an NM observation; text that is not a number goes to ingest as is, which names it."""
    try:
        return float(text)
    except ValueError:
        return text


def store(batches: list[DeviceBatch], mrns: list[str], *, now: dt.datetime) -> None:
    """Every device's readings and telemetry in one transaction, or nothing (Rejected)."""
    devices = {d.serial: d for d in Device.objects.filter(serial__in=[b.serial for b in batches])}
    enrolled = {serial: (mrn, patient_id) for serial, mrn, patient_id in DeviceAssignment.objects.filter(
        device__in=devices.values(), ended_at__isnull=True).values_list("device__serial", "patient__mrn", "patient_id")}
    current = {serial: mrn for serial, (mrn, _) in enrolled.items()}
    patients = {serial: patient_id for serial, (_, patient_id) in enrolled.items()}
    errors = []
    for batch in batches:
        device = devices.get(batch.serial)
        if device is None:
            errors.append(Error(*batch.located_at, f"device {batch.serial} is not registered here"))
        elif device.status == Device.Status.RETIRED:
            errors.append(Error(*batch.located_at, f"device {batch.serial} is retired and may not send readings"))
        elif batch.serial not in current:
            errors.append(Error(*batch.located_at, f"device {batch.serial} is not enrolled to a patient"))
        elif mrns and current[batch.serial] not in mrns:
            # a reading on the wrong patient's chart is worse than no reading
            errors.append(Error("PID", 1, 3, f"the patient identifier does not match the patient device "
                                             f"{batch.serial} is enrolled to"))
    if errors:
        raise Rejected("AE", errors)
    refused: list[Error] = []
    refused_batch: tuple | None = None
    with transaction.atomic():
        for batch in batches:
            device = devices[batch.serial]
            telemetry, problems = parse_telemetry(**{k: v for k, (v, _) in batch.telemetry.items()})
            refused += [Error("OBX", batch.telemetry[name][1], 5, message, DATA_TYPE_ERROR)
                        for name, message in problems.items()]
            outcome = ingest(patient_id=patients[batch.serial], items=batch.readings, source=Reading.Source.HL7V2,
                             device_id=device.pk, device_kind=device.kind, now=now)
            for result in outcome.results:
                if result.status == REJECTED:
                    refused += [Error("OBX", batch.origins[result.index], INGEST_FIELDS.get(name, 5), message)
                                for name, message in result.errors.items()]
            if refused:
                transaction.set_rollback(True)
                refused_batch = (device.pk, batch.readings, outcome.results)
                break
            record_telemetry(device_id=device.pk, telemetry=telemetry, at=now)
    if refused:
        record_rejections([refused_batch] if refused_batch else [])  # for the admin's device page, after the rollback
        raise Rejected("AE", refused)


def acknowledge(message: hl7.Message | None, code: str, errors: list[Error] = ()) -> str:
    """The ACK (original mode) for a message, with an ERR segment per error; a minimal one when the message could
    not be parsed far enough to answer it."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S+0000")
    control = generate_message_control_id()
    if message is None:
        text = f"MSH|^~\\&|RPM|RPM|||{now}||ACK|{control}|P|2.6\rMSA|{code}|\r"
        escape = _escape
    else:
        ack = message.create_ack(code, message_id=control, application="RPM")
        ack.segment("MSH").assign_field(now, 7)
        if errors:
            ack.segment("MSA").assign_field(ack.escape(errors[0].message[:80]), 3)
        text = str(ack)
        escape = ack.escape
    return text + "".join(e.err(escape) + "\r" for e in errors)


def _escape(text: str) -> str:
    return text.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\").replace("&", "\\T\\").replace(
        "~", "\\R\\")


def handle(raw: bytes, *, now: dt.datetime | None = None) -> str:
    """One MLLP block in, the ACK text out."""
    try:
        text = raw.decode("utf-8")
        message = hl7.parse(text.replace("\r\n", "\r").replace("\n", "\r"))
        message.segment("MSH")
    except (UnicodeDecodeError, hl7.ParseException, ValueError, KeyError, IndexError):
        return acknowledge(None, "AR", [Error("MSH", 1, 1, "not an HL7 v2 message (UTF-8, starting with MSH)",
                                              "100")])
    try:
        batches, mrns = parse(message)
        store(batches, mrns, now=now or dt.datetime.now(dt.UTC))
    except Rejected as rejected:
        return acknowledge(message, rejected.code, rejected.errors)
    return acknowledge(message, "AA")
