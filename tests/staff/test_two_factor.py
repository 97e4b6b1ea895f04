"""TOTP two-factor sign-in (django-otp) for admins and physicians where RPM_REQUIRE_2FA is on, with recovery codes;
the token endpoint takes the code as `otp`."""

import re
import subprocess
import sys

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.builders import PASSWORD
from tests.conftest import BASE_DIR, errors_of


@pytest.fixture(autouse=True)
def required(settings):
    settings.RPM_REQUIRE_2FA = True


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def page_sign_in(username: str, otp: str = "") -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD, "otp": otp})
    client.answer = response
    return client


def enrol(user) -> list[str]:
    """Sign in with the password, set up the authenticator on the page; answers the recovery codes."""
    client = page_sign_in(user.username)
    assert client.get("/account/two-factor/").status_code == 200
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    done = client.post("/account/two-factor/", {"code": code_for(user)})
    assert done.status_code == 200
    return re.findall(r"data-recovery-code>(\w+)<", done.content.decode())


def spend_current_code(user) -> None:
    """A TOTP code is good once: let the next check accept the current one again (the same 30 s step), and forget
    earlier failures (django-otp refuses any code for 2^n seconds after the n-th failure)."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1, throttling_failure_count=0,
                                                throttling_failure_timestamp=None)


def test_a_physician_without_an_authenticator_is_sent_to_set_one_up(physician):
    client = page_sign_in(physician.username)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    assert client.get("/api/v1/patients/").status_code == 403
    page = client.get("/account/two-factor/").content.decode()
    assert "otpauth://totp/" in page


def test_setting_up_an_authenticator_shows_ten_recovery_codes_and_opens_the_pages(physician):
    client = page_sign_in(physician.username)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": code_for(physician)})
    assert len(re.findall(r"data-recovery-code>", response.content.decode())) == 10
    assert client.get("/api/v1/patients/").status_code == 200


def test_a_wrong_code_does_not_set_up_the_authenticator(physician):
    client = page_sign_in(physician.username)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": "000000" if code_for(physician) != "000000" else "111111"})
    assert response.status_code == 400 and "wrong or expired" in response.content.decode()
    assert client.get("/").status_code == 302


def test_an_enrolled_physician_needs_the_code_on_the_sign_in_page(physician):
    enrol(physician)
    refused = page_sign_in(physician.username)
    assert refused.answer.status_code == 200 and "one-time code" in refused.answer.content.decode()
    assert refused.get("/").status_code == 302
    spend_current_code(physician)
    signed_in = page_sign_in(physician.username, code_for(physician))
    assert signed_in.answer.status_code == 302
    assert signed_in.get("/api/v1/patients/").status_code == 200


def test_a_recovery_code_signs_in_once(physician):
    codes = enrol(physician)
    assert page_sign_in(physician.username, codes[0]).answer.status_code == 302
    assert page_sign_in(physician.username, codes[0]).answer.status_code == 200


def test_the_token_endpoint_requires_the_code_as_otp(physician):
    enrol(physician)
    url, body = "/api/v1/auth/token/", {"username": physician.username, "password": PASSWORD}
    missing = Client().post(url, body, content_type="application/json")
    assert missing.status_code == 400 and "one-time code" in errors_of(missing)["otp"]
    wrong = Client().post(url, {**body, "otp": "12345x"}, content_type="application/json")
    assert wrong.status_code == 400 and "wrong" in errors_of(wrong)["otp"]
    spend_current_code(physician)
    right = Client().post(url, {**body, "otp": code_for(physician)}, content_type="application/json")
    assert right.status_code == 200 and right.json()["token"]


def test_the_token_endpoint_refuses_a_physician_who_has_not_set_up_two_factor(physician):
    response = Client().post("/api/v1/auth/token/", {"username": physician.username, "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 400 and "/account/two-factor/" in errors_of(response)["otp"]


def test_admins_need_it_too(admin):
    assert page_sign_in(admin.username).get("/staff/").status_code == 302


def test_nurses_sign_in_without_a_second_factor(nurse):
    assert page_sign_in(nurse.username).get("/").status_code == 200


def test_with_two_factor_off_a_physician_signs_in_with_the_password(physician, settings):
    settings.RPM_REQUIRE_2FA = False
    assert page_sign_in(physician.username).get("/").status_code == 200


def require_2fa_setting(**env) -> str:
    probe = "import django; django.setup(); from django.conf import settings; print(settings.RPM_REQUIRE_2FA)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_two_factor_is_on_by_default_in_production_and_off_in_development():
    production = dict(RPM_ENV="production", SECRET_KEY="x" * 50, DATABASE_URL="postgresql://db/rpm",
                      REDIS_URL="redis://cache:6379/0")
    assert require_2fa_setting(**production) == "True"
    assert require_2fa_setting(RPM_ENV="development") == "False"
    assert require_2fa_setting(RPM_ENV="development", RPM_REQUIRE_2FA="1") == "True"
