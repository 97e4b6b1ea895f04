"""One error body across the API, {"errors": [{"field", "message"}]}, whatever raised it: DRF's own
validation and HTTP errors, the domain errors services raise, Django's, and the device ingest's."""

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from rest_framework.exceptions import Throttled

from rpm.api_errors import exception_handler
from tests.builders import make_device, make_user
from tests.conftest import errors_of


def only_errors(response) -> dict[str | None, str]:
    """A staff API error body holds the errors and nothing else."""
    assert set(response.json()) == {"errors"}, response.json()
    return errors_of(response)


def test_a_bad_query_parameter_names_it(nurse_client):
    response = nurse_client.get("/api/v1/alerts/?state=closed")
    assert response.status_code == 400
    assert list(only_errors(response)) == ["state"]


def test_every_missing_input_is_listed(admin_client):
    response = admin_client.post("/api/v1/devices/", {}, content_type="application/json")
    assert response.status_code == 400
    assert only_errors(response) == {"serial": "This field is required.", "kind": "This field is required."}


def test_a_domain_error_from_a_service_names_its_field(admin_client):
    response = admin_client.post("/api/v1/staff/", {"username": "weak", "role": "nurse", "password": "password123"},
                                 content_type="application/json")
    assert response.status_code == 400
    assert "too common" in only_errors(response)["password"]


def test_a_domain_error_raised_by_a_view_names_its_field(nurse_client, patient):
    response = nurse_client.get(f"/api/v1/patients/{patient.id}/readings/?metric=mood")
    assert response.status_code == 400
    assert "unknown metric 'mood'" in only_errors(response)["metric"]


def test_an_error_about_no_one_field_has_a_null_field(db):
    response = Client().post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password"},
                             content_type="application/json")
    assert response.status_code == 400
    assert list(only_errors(response)) == [None]


def test_a_wrong_state_is_409_naming_it(admin_client, patient):
    device, _ = make_device()
    admin_client.post(f"/api/v1/devices/{device.id}/retire/")
    response = admin_client.post(f"/api/v1/devices/{device.id}/assign/", {"patient": patient.id},
                                 content_type="application/json")
    assert response.status_code == 409
    assert only_errors(response) == {"status": "a retired device cannot be enrolled"}


@pytest.mark.parametrize(("client_kind", "method", "path", "status"), [
    ("anonymous", "get", "/api/v1/patients/", 401),
    ("nurse", "get", "/api/v1/devices/", 403),
    ("nurse", "get", "/api/v1/patients/999999/", 404),
    ("nurse", "get", "/api/v1/no-such-endpoint/", 404),
    ("nurse", "delete", "/api/v1/patients/", 405),
])
def test_http_errors_have_the_same_body(nurse_client, client_kind, method, path, status):
    client = nurse_client if client_kind == "nurse" else Client()
    response = getattr(client, method)(path)
    assert response.status_code == status
    [(field, message)] = only_errors(response).items()
    assert field is None and message


def test_an_unsupported_media_type_has_the_same_body(admin_client):
    response = admin_client.post("/api/v1/devices/", "serial=SN-1", content_type="text/plain")
    assert response.status_code == 415
    assert list(only_errors(response)) == [None]


def test_a_throttled_request_keeps_its_retry_after_header():
    response = exception_handler(Throttled(wait=7), {})
    assert (response.status_code, response["Retry-After"]) == (429, "7")
    assert response.data["errors"][0]["field"] is None


def test_a_django_validation_error_from_a_service_names_its_fields():
    response = exception_handler(ValidationError({"reason": "give the clinical reason", "__all__": "no"}), {})
    assert response.status_code == 400
    assert response.data == {"errors": [{"field": "reason", "message": "give the clinical reason"},
                                        {"field": None, "message": "no"}]}


def test_device_ingest_request_errors_have_the_same_body_plus_their_old_keys(device_client, now):
    response = device_client.post("/api/v1/readings/", {"id": "m-1", "metric": "heart_rate", "value": 900,
                                                        "unit": "/min", "measured_at": now.isoformat()},
                                  content_type="application/json")
    assert response.status_code == 400
    # a rejected reading answers as a batch item does (DESIGN.md device contract): its errors by field
    assert "is not a possible heart rate" in response.json()["errors"]["value"]
    assert (response.json()["error"], response.json()["status"]) == ("reading rejected", "rejected")

    response = Client(headers={"Authorization": "Device rpmd_nope_nope"}).post("/api/v1/readings/", {},
                                                                               content_type="application/json")
    assert response.status_code == 401
    assert errors_of(response) == {"Authorization": "unknown or revoked device credential"}
    assert (response.json()["error"], response.json()["field"]) == ("unknown or revoked device credential",
                                                                    "Authorization")


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=1)
def test_device_rate_limit_has_the_same_body(device_client, device_token, now):
    device, _ = device_token
    counters = redis.Redis.from_url(settings.REDIS_URL)
    for key in counters.scan_iter(f"rpm:rate:device:{device.id}:*"):  # device ids repeat across test databases
        counters.delete(key)
    body = {"id": "m-1", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}
    device_client.post("/api/v1/readings/", body, content_type="application/json")
    response = device_client.post("/api/v1/readings/", body, content_type="application/json")
    assert response.status_code == 429
    [(field, message)] = errors_of(response).items()
    assert field is None and "rate limit" in message


def test_the_schema_documents_the_error_body_on_every_operation(nurse_client):
    schema = nurse_client.get("/api/schema/?format=json").json()
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ErrorItem"}
    assert schema["components"]["schemas"]["ErrorItem"]["properties"]["field"]["nullable"] is True
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        if path == "/api/v1/readings/":
            continue  # the device ingest's own contract (DESIGN.md): per-field `errors` of a refused reading
        for method, operation in operations.items():
            for code in ("400", "403", *(("404",) if "{" in path else ())):
                assert operation["responses"][code]["content"]["application/json"]["schema"] == ref, (method, path)
    acknowledge = schema["paths"]["/api/v1/alerts/{alert_id}/acknowledge/"]["post"]
    assert acknowledge["responses"]["409"]["content"]["application/json"]["schema"] == ref


def test_a_page_shows_the_message_the_api_answers(admin_client):
    make_user("taken")
    api = admin_client.post("/api/v1/staff/", {"username": "taken", "role": "nurse", "password": "a-fine-passphrase"},
                            content_type="application/json")
    page = admin_client.post("/staff/", {"username": "taken", "role": "nurse", "password": "a-fine-passphrase"})
    assert page.status_code == 400
    assert errors_of(api)["username"].replace("'", "&#x27;") in page.content.decode()
