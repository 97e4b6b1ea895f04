"""Response headers every dynamic answer carries (static files are answered before this, by WhiteNoise)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

# Pages and API answers carry patient data: no browser or proxy may keep a copy (HIPAA 164.312(a)(1)).
NO_STORE = "no-store"


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = NO_STORE
        return response
