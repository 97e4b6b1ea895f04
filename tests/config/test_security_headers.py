"""Response headers and production settings: CSP with a nonce on every page, no-store on patient data, assets
from our own static files, HTTPS settings in production, `check --deploy` clean, the device POST in the schema."""

import json
import re
import secrets
import subprocess
import sys

from django.test import Client

from tests.conftest import BASE_DIR

PRODUCTION = {"RPM_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": "postgresql://db/rpm",
              "REDIS_URL": "redis://cache:6379/0", "ALLOWED_HOSTS": "rpm.example.org"}


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", **env})


def csp_of(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_pages_carry_a_csp_that_allows_only_our_scripts_and_a_nonce(nurse_client, patient):
    for url in ("/", f"/patients/{patient.id}/"):
        policy = csp_of(nurse_client.get(url))
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["script-src"][0] == "'self'"
        assert [s for s in policy["script-src"][1:] if not s.startswith("'nonce-")] == []
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_the_sign_in_page_and_api_answers_carry_the_csp_too(nurse_client, db):
    assert "script-src" in Client().get("/login/")["Content-Security-Policy"]
    assert "script-src" in nurse_client.get("/api/v1/patients/")["Content-Security-Policy"]


def test_no_template_has_an_inline_handler_or_a_script_without_src_or_nonce():
    for path in (BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), path
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "nonce=" in tag, (path, tag)


def test_patient_data_is_never_kept_by_a_cache(nurse_client, patient, admin_client):
    for response in (nurse_client.get("/"), nurse_client.get(f"/patients/{patient.id}/"),
                     nurse_client.get("/api/v1/patients/"), nurse_client.get(f"/api/v1/patients/{patient.id}/"),
                     nurse_client.get(f"/api/v1/patients/{patient.id}/export/csv/"),
                     admin_client.get("/api/v1/devices/")):
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"


def test_swagger_ui_is_served_from_our_static_files_with_no_inline_script(nurse_client):
    page = nurse_client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "drf_spectacular_sidecar" in page
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", page))


def test_the_device_post_is_in_the_schema_with_its_bodies(nurse_client):
    schema = json.loads(nurse_client.get("/api/schema/?format=json").content)
    post = schema["paths"]["/api/v1/readings/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]
    assert {"200", "201", "400", "401", "413", "429"} <= set(post["responses"])
    assert post["security"] == [{"deviceToken": []}]
    assert schema["components"]["securitySchemes"]["deviceToken"]["in"] == "header"


def test_check_deploy_under_production_settings_has_no_warnings():
    out = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def production_setting(name: str) -> object:
    probe = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION})
    assert out.returncode == 0, out.stderr
    return eval(out.stdout)  # noqa: S307 (our own settings' repr)


def test_production_redirects_to_https_sends_hsts_and_trusts_the_proxys_header():
    assert production_setting("SECURE_SSL_REDIRECT") is True
    assert production_setting("SECURE_HSTS_SECONDS") >= 31536000
    assert production_setting("SECURE_PROXY_SSL_HEADER") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production_setting("SESSION_COOKIE_SECURE") is True
