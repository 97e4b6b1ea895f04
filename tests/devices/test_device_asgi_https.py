"""The lean ingest path keeps Django's HTTPS rules: plain HTTP goes to Django's redirect, and a request the proxy
says is secure gets the same Strict-Transport-Security header Django adds."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application

from devices.device_asgi import DeviceReadings

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/api/v1/readings/"


def answer(method: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> dict:
    """The web process's HTTP app (config.asgi), built now: Django reads its security settings when it is built."""
    application = DeviceReadings(fallback=get_asgi_application())

    async def call():
        return await HttpCommunicator(application, method, PATH, body=body, headers=headers).get_response(timeout=30)

    response = async_to_sync(call)()
    response["headers"] = {name.lower(): value for name, value in response["headers"]}
    return response


@pytest.fixture
def https_settings(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False
    return settings


def test_a_plain_http_post_is_redirected_to_https_as_django_would(https_settings, device_token):
    _, token = device_token
    response = answer("POST", [(b"host", b"localhost"), (b"authorization", f"Device {token}".encode())], b"{}")
    assert response["status"] == 301
    assert response["headers"][b"location"] == b"https://localhost/api/v1/readings/"


def test_a_post_the_proxy_calls_secure_gets_djangos_hsts_header(https_settings, device_token):
    _, token = device_token
    headers = [(b"host", b"localhost"), (b"x-forwarded-proto", b"https"),
               (b"authorization", f"Device {token}".encode()), (b"content-type", b"application/json")]
    lean = answer("POST", headers, b"{}")["headers"]
    through_django = answer("GET", headers)["headers"]
    assert lean[b"strict-transport-security"] == b"max-age=3600; includeSubDomains"
    assert lean[b"strict-transport-security"] == through_django[b"strict-transport-security"]
