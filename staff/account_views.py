"""The sign-in page (password, and the one-time code where two-factor sign-in is on) and the page that sets up
an authenticator and shows its recovery codes once. Lockout (django-axes) answers before either."""

from __future__ import annotations

import base64

from django import forms
from django.contrib.auth import user_login_failed
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_otp import login as otp_login

from rpm import audit, two_factor
from rpm.models import AuditEvent


class SignInForm(AuthenticationForm):
    otp = forms.CharField(label="One-time code", required=False, max_length=64,
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                          help_text="from your authenticator app, or a recovery code, if two-factor sign-in is on")

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and two_factor.required_for(user) and two_factor.enrolled(user):
            device = two_factor.check_code(user, cleaned.get("otp", ""))
            if device is None:
                user_login_failed.send(sender=__name__, credentials={"username": user.get_username()},
                                       request=self.request)
                raise forms.ValidationError("Enter the current one-time code from your authenticator app "
                                            "(or one of your recovery codes).", code="otp")
            user.otp_device = device  # django-otp marks the session verified at login
        return cleaned


class SignInView(LoginView):
    form_class = SignInForm


class CodeForm(forms.Form):
    code = forms.CharField(label="Code from your authenticator app", max_length=64,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator (or, already set up, confirm this session with a code)."""
    user = request.user
    enrolled = two_factor.enrolled(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if enrolled:
            device = two_factor.check_code(user, code)
            if device is not None:
                otp_login(request, device)
                return render(request, "registration/two_factor_done.html", {"codes": None})
        else:
            confirmed = two_factor.confirm_authenticator(user=user, code=code)
            if confirmed is not None:
                device, codes = confirmed
                otp_login(request, device)
                audit.record(actor=user, action=AuditEvent.Action.CHANGE, verb="two_factor.enrol", target=user)
                return render(request, "registration/two_factor_done.html", {"codes": codes})
        form.add_error("code", "That code is wrong or expired: enter the current one.")
    device = None if enrolled else two_factor.pending_authenticator(user)
    context = {"form": form, "enrolled": enrolled, "required": two_factor.required_for(user),
               "secret": device and _base32(device.bin_key), "config_url": device and device.config_url}
    return render(request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200)


def _base32(key: bytes) -> str:
    """The secret as authenticator apps take it typed in."""
    return base64.b32encode(key).decode().rstrip("=")
