"""FHIR test helpers: every answer is validated against the FHIR structures (fhir.resources' R4B models: the
package ships R5 at its top level and R4B beside it, no 4.0.1; R4B is the closest to R4 it has, and Patient,
Observation, Device, Bundle, OperationOutcome and CapabilityStatement are the R4 structures there)."""

from __future__ import annotations

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class


def fhir_body(response) -> dict:
    """The answer's JSON after checking its media type and validating it as the resource it says it is."""
    assert response["Content-Type"].startswith("application/fhir+json"), (response.status_code, response.content)
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def outcome_of(response) -> list[dict]:
    """The OperationOutcome's issues as [{expression, diagnostics}], after validating it."""
    body = fhir_body(response)
    assert body["resourceType"] == "OperationOutcome", body
    return [{"expression": (issue.get("expression") or [None])[0], "diagnostics": issue["diagnostics"]}
            for issue in body["issue"]]


def device_fhir_client(token: str) -> Client:
    return Client(headers={"Authorization": f"Device {token}"})


def post_fhir(client: Client, path: str, body: dict):
    return client.post(path, body, content_type="application/fhir+json")
