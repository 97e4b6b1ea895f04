"""API tokens of staff users (django-rest-knox): issued at sign-in with the password (and the one-time code
where two-factor sign-in is required), stored as digests, expiring, listed and revoked by their owner."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate, user_logged_in, user_login_failed
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from knox.models import AuthToken

from rpm import two_factor
from rpm.errors import InvalidInput, NotFound

CREDENTIALS_REFUSED = "unable to sign in with these credentials"


def sign_in_for_token(*, request: HttpRequest, username: str, password: str, otp: str = "") -> tuple[str, dt.datetime]:
    """A new token (and its expiry) for the user these credentials name. A wrong password or one-time code
    counts as a failed sign-in (django-axes locks the user and the address out after repeated ones)."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise InvalidInput(CREDENTIALS_REFUSED)
    if two_factor.required_for(user):
        if not two_factor.enrolled(user):
            raise InvalidInput("two-factor sign-in is required for your role: set up an authenticator at "
                               f"{two_factor.SETUP_PATH} first", "otp")
        if not otp:
            raise InvalidInput("the one-time code from your authenticator app (or a recovery code) is required",
                               "otp")
        if two_factor.check_code(user, otp) is None:
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
            raise InvalidInput("the one-time code is wrong, expired or already used", "otp")
    instance, key = AuthToken.objects.create(user=user)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return key, instance.expiry


def tokens_of(user: User) -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(user=user).order_by("-created")


def revoke_token(*, user: User, token_id: str) -> None:
    """Revoke one of the user's own tokens by its id (the first characters of the key, never the secret)."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_id).delete()
    if not deleted:
        raise NotFound(f"you have no token {token_id!r}", "token")


def revoke_all_tokens(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
