"""FHIR ingest: `POST /fhir/Observation` and a `transaction` or `batch` Bundle of Observations from a device, each
mapped by its LOINC code and UCUM unit to plain reading dicts for the one `devices.ingest.ingest()`.

A resource is first checked against the FHIR R4 structures (fhir.resources' R4B models, the closest to R4 that
package ships), then against our rules (known code, UCUM unit, subject and device are the sender's); ingest's
own field errors are named by the element they came from (`Observation.valueQuantity.value`). A transaction is
all or nothing; in a batch each entry stands alone, and a blood pressure panel is never half stored.
The device message id is the Observation's identifier, else a hash of its content, so a resend stores nothing new.
Telemetry: an Observation coded MDC 67996 (battery %) or 69425 (signal %), a Device entry's firmware version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from fhir.resources.R4B.device import Device as DeviceModel
from fhir.resources.R4B.observation import Observation as ObservationModel
from pydantic import ValidationError

from devices import readings
from devices.credentials import AuthenticatedDevice
from devices.fhir import codes, mapping
from devices.fhir.outcome import FhirError, Issue
from devices.ingest import CREATED, MAX_MESSAGE_ID_LENGTH, REJECTED, IngestOutcome, ingest
from devices.models import Reading
from devices.rejections import record_rejections
from devices.telemetry import Telemetry, parse_telemetry, record_telemetry
from patients.models import Patient

READING_STATUSES = {"final", "amended", "corrected", "preliminary"}
MAX_ENTRIES = 5000  # as a JSON batch (DESIGN.md)
INGEST_FIELDS = {"value": "valueQuantity.value", "unit": "valueQuantity.code", "metric": "code",
                 "measured_at": "effective", "id": "identifier"}


class Rollback(Exception):
    """Undo the transaction: something in it was refused."""


@dataclass
class Parsed:
    """What one entry carries: readings (with, per reading, the element each ingest field came from) and
    telemetry."""

    readings: list[dict] = field(default_factory=list)
    elements: list[dict[str, str]] = field(default_factory=list)
    telemetry: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (value, element)


@dataclass(frozen=True)
class Sender:
    device: AuthenticatedDevice
    serial: str
    patient_mrn: str

    @classmethod
    def of(cls, device: AuthenticatedDevice) -> Sender:
        return cls(device, device.serial, Patient.objects.values_list("mrn", flat=True).get(pk=device.patient_id))


def _expression(path: str, loc: tuple) -> str:
    out = path
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _structure(resource: dict, model, path: str) -> None:
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise FhirError(400, [Issue(str(e["msg"]), _expression(path, e["loc"]), "structure")
                              for e in exc.errors()[:20]]) from None
    except (TypeError, ValueError) as exc:  # fhir.resources raises these for a wrong resourceType
        raise FhirError(400, str(exc), f"{path}.resourceType") from None


def _message_id(base: str, part: str = "") -> str:
    text = f"{base}#{part}" if part else base
    if len(text) <= MAX_MESSAGE_ID_LENGTH:
        return text
    return "fhir:" + hashlib.sha256(text.encode()).hexdigest()


def _content_id(resource: dict) -> str:
    """A resource without an identifier: the hash of what it says, so that the same resource sent again is the
    same message."""
    keep = {k: resource.get(k) for k in ("code", "valueQuantity", "component", "effectiveDateTime",
                                          "effectiveInstant", "effectivePeriod")}
    return "fhir:" + hashlib.sha256(repr(sorted(keep.items())).encode()).hexdigest()


def _effective(resource: dict, path: str) -> tuple[Any, str]:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            return resource[key], f"{path}.{key}"
    if isinstance(resource.get("effectivePeriod"), dict) and "start" in resource["effectivePeriod"]:
        return resource["effectivePeriod"]["start"], f"{path}.effectivePeriod.start"
    raise FhirError(422, "a reading needs effectiveDateTime (when it was measured, with a time zone)",
                    f"{path}.effectiveDateTime")


def _unit(quantity: dict, path: str) -> str:
    system = quantity.get("system")
    if system is not None and system != codes.UCUM:
        raise FhirError(422, f"units must be UCUM ({codes.UCUM}); got {system!r}", f"{path}.system")
    unit = quantity.get("code") or quantity.get("unit")
    if not unit:
        raise FhirError(422, "the quantity has no UCUM unit code", f"{path}.code")
    return unit


def _refers_to(reference: str, resource_type: str, resource_id: int) -> bool:
    """`Patient/12`, or a full URL ending in it."""
    return str(reference).rstrip("/").rsplit("/", 2)[-2:] == [resource_type, str(resource_id)]


def _check_sender(resource: dict, sender: Sender, path: str) -> None:
    """The subject and device a resource names, if it names them, are the sender and its patient."""
    subject = resource.get("subject") or {}
    reference = subject.get("reference")
    identifier = subject.get("identifier") or {}
    if reference is not None and not _refers_to(reference, "Patient", sender.device.patient_id):
        raise FhirError(422, "the subject is not the patient this device is enrolled to; nothing was stored",
                        f"{path}.subject.reference")
    if identifier.get("value") is not None and identifier["value"] != sender.patient_mrn:
        raise FhirError(422, "the subject's identifier is not the MRN of the patient this device is enrolled to; "
                             "nothing was stored", f"{path}.subject.identifier")
    device = resource.get("device") or {}
    if device.get("reference") is not None and not _refers_to(device["reference"], "Device", sender.device.device_id):
        raise FhirError(422, "the device is not the one whose credential sent it", f"{path}.device.reference")
    device_identifier = (device.get("identifier") or {}).get("value")
    if device_identifier is not None and device_identifier != sender.serial:
        raise FhirError(422, "the device identifier is not the serial of the device whose credential sent it",
                        f"{path}.device.identifier")


def _codings(concept: Any) -> list[dict]:
    return [c for c in (concept or {}).get("coding", []) if isinstance(c, dict)]


def parse_observation(resource: dict, *, sender: Sender, path: str = "Observation") -> Parsed:
    _structure(resource, ObservationModel, path)
    if resource.get("status") not in READING_STATUSES:
        raise FhirError(422, f"status {resource.get('status')!r} is not a reading; send one of "
                             f"{', '.join(sorted(READING_STATUSES))}", f"{path}.status")
    _check_sender(resource, sender, path)
    codings = _codings(resource.get("code"))
    loinc = [c.get("code") for c in codings if c.get("system") == codes.LOINC]
    mdc = [c.get("code") for c in codings if c.get("system") == codes.MDC]
    parsed = Parsed()
    telemetry = next((codes.MDC_TELEMETRY[c] for c in mdc if c in codes.MDC_TELEMETRY), None)
    if telemetry is not None:
        quantity = resource.get("valueQuantity") or {}
        if "value" not in quantity:
            raise FhirError(422, "telemetry needs valueQuantity.value (percent)", f"{path}.valueQuantity.value")
        if _unit(quantity, f"{path}.valueQuantity") != "%":
            raise FhirError(422, "telemetry is in percent: valueQuantity.code '%'", f"{path}.valueQuantity.code")
        parsed.telemetry[telemetry] = (quantity["value"], f"{path}.valueQuantity.value")
        return parsed

    identifier = next((i.get("value") for i in resource.get("identifier", []) if i.get("value")), None)
    base_id = _message_id(identifier) if identifier else _content_id(resource)
    when, when_path = _effective(resource, path)
    if codes.BP_PANEL in loinc:
        for index, component in enumerate(resource.get("component", [])):
            metric = next((codes.LOINC_METRIC[c.get("code")] for c in _codings(component.get("code"))
                           if c.get("system") == codes.LOINC and codes.LOINC_METRIC.get(c.get("code"))
                           in codes.BP_METRICS), None)
            if metric is None or "valueQuantity" not in component:
                continue  # another component (mean pressure), or a half marked absent
            at = f"{path}.component[{index}]"
            _add(parsed, {"id": _message_id(base_id, metric), "metric": metric,
                          "value": component["valueQuantity"].get("value"),
                          "unit": _unit(component["valueQuantity"], f"{at}.valueQuantity"), "measured_at": when},
                 at, when_path)
        if not parsed.readings:
            raise FhirError(422, "a blood pressure panel needs a systolic (8480-6) or diastolic (8462-4) component "
                                 "with a valueQuantity", f"{path}.component")
        return parsed

    metric = next((codes.LOINC_METRIC[c] for c in loinc if c in codes.LOINC_METRIC), None)
    if metric is None:
        known = ", ".join(sorted({codes.BP_PANEL, *codes.LOINC_METRIC}))
        raise FhirError(422, f"no LOINC code this server maps to a reading (known: {known}; telemetry: MDC "
                             f"{codes.MDC_BATTERY}, {codes.MDC_SIGNAL})", f"{path}.code")
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict) or "value" not in quantity:
        raise FhirError(422, "a reading needs valueQuantity with a value and a UCUM code", f"{path}.valueQuantity")
    _add(parsed, {"id": base_id, "metric": metric, "value": quantity["value"],
                  "unit": _unit(quantity, f"{path}.valueQuantity"), "measured_at": when}, path, when_path)
    return parsed


def _add(parsed: Parsed, reading: dict, at: str, when_path: str) -> None:
    parsed.readings.append(reading)
    parsed.elements.append({**{key: f"{at}.{element}" for key, element in INGEST_FIELDS.items()},
                            "measured_at": when_path})


def parse_device(resource: dict, *, sender: Sender, path: str) -> Parsed:
    """A Device entry: the sender itself, carrying its firmware version (and nothing else we store)."""
    _structure(resource, DeviceModel, path)
    if resource.get("serialNumber") not in (None, sender.serial) or resource.get("id") not in (
            None, str(sender.device.device_id)):
        raise FhirError(422, "a Device entry may only describe the device whose credential sent the Bundle", path)
    parsed = Parsed()
    for index, version in enumerate(resource.get("version", [])):
        kind = version.get("type") or {}
        if any(c.get("code") == codes.MDC_FIRMWARE for c in _codings(kind)) or kind.get("text") == "firmware":
            parsed.telemetry["firmware"] = (version.get("value"), f"{path}.version[{index}].value")
    return parsed


def _telemetry(parsed: list[Parsed]) -> Telemetry:
    raw = {key: value for p in parsed for key, (value, _) in p.telemetry.items()}
    where = {key: path for p in parsed for key, (_, path) in p.telemetry.items()}
    telemetry, errors = parse_telemetry(**raw)
    if errors:
        raise FhirError(422, [Issue(message, where[key]) for key, message in errors.items()])
    return telemetry


@dataclass
class EntryResult:
    status: str  # "201 Created", "200 OK", or the error's status with its issues
    entry: mapping.Entry | None = None
    location: str | None = None
    issues: list[Issue] = field(default_factory=list)


def _ingest(sender: Sender, items: list[dict], now: dt.datetime) -> IngestOutcome:
    return ingest(patient_id=sender.device.patient_id, items=items, source=Reading.Source.FHIR,
                  device_id=sender.device.device_id, device_kind=sender.device.kind, now=now)


def _stored_entries(sender: Sender, parsed: list[Parsed]) -> list[mapping.Entry | None]:
    """The Observation each entry now is, as the API serves it (for a resend: the readings stored before)."""
    message_ids = [r["id"] for p in parsed for r in p.readings]
    ids = readings.ids_of_messages(device_id=sender.device.device_id, message_ids=message_ids)
    rows = {row.id: row for row in readings.rows_by_id(reading_ids=list(ids.values()),
                                                       patient_ids=[sender.device.patient_id])}
    out: list[mapping.Entry | None] = []
    for p in parsed:
        stored = {rows[ids[r["id"]]].metric: rows[ids[r["id"]]] for r in p.readings if r["id"] in ids}
        if not stored:
            out.append(None)
        elif codes.SYSTOLIC in stored or codes.DIASTOLIC in stored:
            systolic, diastolic = stored.get(codes.SYSTOLIC), stored.get(codes.DIASTOLIC)
            out.append(mapping.Entry(systolic or diastolic, systolic=systolic, diastolic=diastolic))
        else:
            out.append(mapping.Entry(next(iter(stored.values()))))
    return out


def store(*, sender: Sender, parsed: list[Parsed], atomic: bool, now: dt.datetime) -> list[EntryResult]:
    """Ingest every entry's readings in one call and record the telemetry. `atomic`: all or nothing (a
    FhirError naming each refused element); else entry by entry, an entry with a refused reading keeping none
    of its readings (its result carries the issues)."""
    spans: list[range] = []
    flat: list[dict] = []
    elements: list[dict[str, str]] = []
    for p in parsed:
        spans.append(range(len(flat), len(flat) + len(p.readings)))
        flat += p.readings
        elements += p.elements
    telemetry = _telemetry(parsed)
    refused: dict[int, list[Issue]] = {}
    while True:
        keep = [i for i in range(len(parsed)) if i not in refused]
        positions = [j for i in keep for j in spans[i]]  # item index -> index in flat
        entry_of = {j: i for i in keep for j in spans[i]}
        items = [flat[j] for j in positions]
        failed: dict[int, list[Issue]] = {}
        try:
            with transaction.atomic():
                outcome = _ingest(sender, items, now)
                for result in outcome.results:
                    if result.status == REJECTED:
                        j = positions[result.index]
                        failed.setdefault(entry_of[j], []).extend(
                            Issue(message, elements[j].get(key)) for key, message in result.errors.items())
                if failed:
                    raise Rollback
                record_telemetry(device_id=sender.device.device_id, telemetry=telemetry, at=now)
            break
        except Rollback:
            record_rejections([(sender.device.device_id, items, outcome.results)])
            if atomic:
                raise FhirError(422, [issue for i in sorted(failed) for issue in failed[i]]) from None
            refused.update(failed)
    statuses: dict[int, set[str]] = {}
    for result in outcome.results:
        statuses.setdefault(entry_of[positions[result.index]], set()).add(result.status)
    entries = _stored_entries(sender, parsed)
    out = []
    for i, p in enumerate(parsed):
        if i in refused:
            out.append(EntryResult("422 Unprocessable Entity", issues=refused[i]))
        elif not p.readings:
            out.append(EntryResult("200 OK", location=f"Device/{sender.device.device_id}"))
        else:
            entry = entries[i]
            out.append(EntryResult("201 Created" if CREATED in statuses.get(i, ()) else "200 OK", entry=entry,
                                   location=f"Observation/{entry.id}" if entry else None))
    return out


def _entry_path(index: int) -> str:
    return f"Bundle.entry[{index}].resource"


def parse_bundle(bundle: Any, *, sender: Sender) -> tuple[str, list[Parsed | FhirError]]:
    """The Bundle's type and each entry parsed (or the error that names what is wrong with it)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, "POST a Bundle of type transaction or batch here", "Bundle.resourceType")
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(400, f"Bundle.type must be transaction or batch; got {kind!r}", "Bundle.type")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise FhirError(400, "the Bundle has no entries", "Bundle.entry")
    if len(entries) > MAX_ENTRIES:
        raise FhirError(413, f"a Bundle holds at most {MAX_ENTRIES} entries; got {len(entries)}", "Bundle.entry")
    out: list[Parsed | FhirError] = []
    for index, entry in enumerate(entries):
        path = _entry_path(index)
        try:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            request = entry.get("request") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                raise FhirError(400, "each entry needs a resource", f"Bundle.entry[{index}].resource")
            rtype = resource.get("resourceType")
            method = (request or {}).get("method")
            url = str((request or {}).get("url", "")).split("?")[0].strip("/")
            if rtype == "Observation":
                if method != "POST" or url != "Observation":
                    raise FhirError(400, "an Observation entry is created with request POST Observation",
                                    f"Bundle.entry[{index}].request")
                out.append(parse_observation(resource, sender=sender, path=path))
            elif rtype == "Device":
                if method not in ("PUT", "POST") or url.split("/")[0] != "Device":
                    raise FhirError(400, "a Device entry is sent with request PUT Device/<id> or POST Device",
                                    f"Bundle.entry[{index}].request")
                out.append(parse_device(resource, sender=sender, path=path))
            else:
                raise FhirError(422, f"this server takes Observations (and the sending Device) in a Bundle, "
                                     f"not {rtype!r}", f"{path}.resourceType")
        except FhirError as error:
            out.append(error)
    return kind, out

