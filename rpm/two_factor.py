"""TOTP two-factor sign-in (django-otp): who must use it, enrolment with recovery codes, and checking a code.

Required for admins and physicians when RPM_REQUIRE_2FA is on (the default in production). A user who must and
has no authenticator yet is sent to set one up before anything else (TwoFactorRequiredMiddleware).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rpm.errors import error_body
from rpm.roles import ADMIN, PHYSICIAN, roles_of

RECOVERY_CODES = 10
SETUP_PATH = "/account/two-factor/"
# reachable before the second factor: setting it up, signing out, the static assets
OPEN_PATHS = (SETUP_PATH, "/logout/", "/static/", "/login/", "/healthz/")


def required_for(user) -> bool:
    return settings.RPM_REQUIRE_2FA and bool(roles_of(user) & {ADMIN, PHYSICIAN})


def enrolled(user) -> bool:
    return user_has_device(user, confirmed=True)


def check_code(user, code: str):
    """The device whose one-time or recovery code this is (a recovery code is used up), else None."""
    code = (code or "").strip().replace(" ", "")
    return match_token(user, code) if code else None


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed until its first code is entered)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def confirm_authenticator(*, user, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with its first code; answers it and fresh recovery codes, shown once."""
    device = pending_authenticator(user)
    if not device.verify_token((code or "").strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return device, codes


class TwoFactorRequiredMiddleware:
    """A signed-in user who must use two-factor sign-in and has not (this session) sees nothing else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and required_for(user) and not user.is_verified()
                and not request.path.startswith(OPEN_PATHS)):
            if request.path.startswith("/api/"):
                return JsonResponse(error_body([(None, "two-factor sign-in is required for your role: "
                                                       f"set it up at {SETUP_PATH}")]), status=403)
            return redirect(SETUP_PATH)
        return self.get_response(request)
