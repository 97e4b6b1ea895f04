"""The answer to a locked-out sign-in (django-axes calls it: AXES_LOCKOUT_CALLABLE), on every way in."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rpm.errors import error_body


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (f"too many failed sign-ins: signing in is locked for {minutes} minutes "
            "(an admin can unlock it sooner)")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse(error_body([(None, lockout_message())]), status=status)
    return render(request, "registration/locked_out.html", {"message": lockout_message()}, status=status)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check on every sign-in that comes with its request (the login page, the token
    endpoint, Django admin). A sign-in without one is code's own (the test client's login()), not a person's."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
