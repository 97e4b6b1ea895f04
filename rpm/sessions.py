"""Session limits and the end of a signed-in session's live sockets.

A session ends when it has been idle for RPM_SESSION_IDLE_MINUTES (the expiry date slides on every request) or
RPM_SESSION_ABSOLUTE_HOURS after sign-in, however active (HIPAA automatic logoff, 45 CFR 164.312(a)(2)(iii)).
The session row's expire_date is the one truth: Django refuses an expired session, and the dashboard socket
re-reads it. Sign-out and deactivation also tell the open sockets at once, over the channel layer.
"""

from __future__ import annotations

import hashlib
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from rpm.errors import error_body

SIGNED_IN_AT = "rpm_signed_in_at"
END_SESSION = "session.end"  # the consumer's handler: session_end


def user_group(user_id: int) -> str:
    return f"rpm-user-{user_id}"


def session_group(session_key: str) -> str:
    """The session key is a credential: the group is named by its hash."""
    return "rpm-session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def seconds_left(*, signed_in_at: float, now: float) -> int:
    """Seconds until the session ends if the user does nothing more: the idle timeout, capped by the absolute
    limit counted from sign-in."""
    absolute_left = signed_in_at + settings.RPM_SESSION_ABSOLUTE_HOURS * 3600 - now
    return int(min(settings.RPM_SESSION_IDLE_MINUTES * 60, absolute_left))


def session_expiry(session_key: str | None):
    """When the session ends, or None if it has already ended (or never was)."""
    if not session_key:
        return None
    expiry = (Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
              .values_list("expire_date", flat=True).first())
    return expiry


class SessionLimitsMiddleware:
    """Slides a signed-in session's expiry on each request, up to the absolute limit, then signs it out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated and session.session_key:
            now = time.time()
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            left = seconds_left(signed_in_at=signed_in_at, now=now)
            if left <= 0:
                logout(request)
            else:
                session.set_expiry(left)
                request.rpm_session_seconds_left = left
        return self.get_response(request)


def close_sockets(*, user_id: int | None = None, session_key: str | None = None) -> None:
    """Tell the live sockets of a user (deactivation) or of one session (sign-out) to close now."""
    groups = ([user_group(user_id)] if user_id is not None else []) + (
        [session_group(session_key)] if session_key else [])
    layer = get_channel_layer()
    for group in groups:
        async_to_sync(layer.group_send)(group, {"type": END_SESSION})


def on_signed_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.get("_auth_user_id"):  # a page sign-in, not an API token's
        session[SIGNED_IN_AT] = time.time()


def on_signed_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        close_sockets(session_key=session_key)


def on_user_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        transaction.on_commit(lambda: close_sockets(user_id=instance.pk))


def session_timer(request: HttpRequest) -> dict:
    """Template context: seconds until this session's idle end, for the page's warning (static/js/session.js)."""
    left = getattr(request, "rpm_session_seconds_left", None)
    return {"session_seconds_left": left, "session_warning_seconds": settings.RPM_SESSION_WARNING_SECONDS}


def keep_alive(request: HttpRequest) -> HttpResponse:
    """POST from the page's "Stay signed in": the request itself slid the expiry (SessionLimitsMiddleware)."""
    if request.method != "POST":
        return JsonResponse(error_body([(None, "use POST")]), status=405)
    if not request.user.is_authenticated:
        return JsonResponse(error_body([(None, "the session has ended; sign in again")]), status=401)
    return JsonResponse({"seconds_left": request.rpm_session_seconds_left})
