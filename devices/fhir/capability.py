"""The server's CapabilityStatement (GET /fhir/metadata): what it reads, searches and accepts."""

from __future__ import annotations


def _param(name: str, kind: str, doc: str) -> dict:
    return {"name": name, "type": kind, "documentation": doc}


COUNT = _param("_count", "number", "page size, 1-1000 (default 50); Bundle.link next carries the rest")


def capability_statement(*, base: str, date: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "RPM dashboard",
        "kind": "instance",
        "software": {"name": "RPM dashboard"},
        "implementation": {"description": "Remote patient monitoring: readings as FHIR R4 Observations", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Staff read with their session or 'Authorization: Token <key>' and see only their care "
                             "teams' patients; devices write with 'Authorization: Device <token>'.",
            "security": {"description": "Session or token authentication; care-team scoping; every read audited"},
            "resource": [
                {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [_param("identifier", "token", "the MRN ([system|]value)"),
                                 _param("name", "string", "given or family name (:contains, :exact)"),
                                 _param("_id", "token", "the id"), COUNT]},
                {"type": "Observation", "profile": "http://hl7.org/fhir/StructureDefinition/vitalsigns",
                 "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "create"}],
                 "searchParam": [_param("patient", "reference", "Patient/<id>, comma-separated"),
                                 _param("subject", "reference", "as patient"),
                                 _param("code", "token", "LOINC code ([http://loinc.org|]8867-4), comma-separated"),
                                 _param("category", "token", "vital-signs, laboratory or activity"),
                                 _param("date", "date", "effective time with eq, gt, lt, ge, le; repeat to AND"),
                                 _param("_sort", "string", "date or -date (default: newest first)"), COUNT]},
                {"type": "Device", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [_param("patient", "reference", "devices lent now to Patient/<id>"),
                                 _param("_id", "token", "the id"), COUNT]},
            ],
            "interaction": [{"code": "transaction", "documentation": "Observations (and the sending Device's "
                                                                     "telemetry), all or nothing"},
                            {"code": "batch", "documentation": "Observations, each entry on its own"}],
        }],
    }
