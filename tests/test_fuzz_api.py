"""Schema-driven fuzzing (schemathesis) of the staff API and the device ingest against a real server: whatever
the input, no 5xx and no answer outside the OpenAPI schema. Bounded: FUZZ_EXAMPLES cases an operation (a small
pass in the suite; `make fuzz` runs more)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 6))
ADMIN_PATHS = ("/api/v1/devices", "/api/v1/staff", "/api/v1/care-teams", "/api/v1/enrolment")
# Left out: they end the very credentials the fuzzer signs in with (each has its own tests).
SKIPPED = {("POST", "/api/v1/auth/logout/"), ("POST", "/api/v1/staff/{user_id}/deactivate/"),
           ("POST", "/api/v1/devices/{device_id}/rotate-token/"), ("POST", "/api/v1/devices/{device_id}/revoke-token/"),
           ("POST", "/api/v1/devices/{device_id}/retire/")}


def bearer(user) -> str:
    return token_client(user).defaults["HTTP_AUTHORIZATION"]


@pytest.fixture
def credentials(live_server_url) -> dict[str, str]:
    team = make_team("Ward F")
    patient = make_patient(team)
    make_device(patient=patient)
    _, device_token = make_device(patient=patient)
    return {"admin": bearer(make_user("admin-f", role="admin")),
            "clinician": bearer(make_user("physician-f", role="physician", team=team)),
            "device": f"Device {device_token}"}


def authorization(path: str, credentials: dict[str, str]) -> str:
    if path == "/api/v1/readings/":
        return credentials["device"]
    return credentials["admin" if path.startswith(ADMIN_PATHS) else "clinician"]


def fuzzer(operation, *, base_url: str, headers: dict[str, str]):
    """A bounded Hypothesis test of one operation: each generated request must get no 5xx and an answer the
    schema describes."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    return fuzz


def test_no_input_gets_a_server_error_or_an_answer_outside_the_schema(live_server_url, credentials):
    schema = schemathesis.openapi.from_url(f"{live_server_url}/api/schema/?format=json")
    failures: list[str] = []
    fuzzed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        fuzz = fuzzer(operation, base_url=live_server_url,
                      headers={"Authorization": authorization(operation.path, credentials)})
        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # every operation is fuzzed; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:1500])
        fuzzed += 1
    assert fuzzed >= 25
    assert failures == [], "\n\n".join(failures)
