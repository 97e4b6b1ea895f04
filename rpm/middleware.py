"""Where each request came from, for the audit rows written while serving it (rpm.audit)."""

from __future__ import annotations

from rpm import audit


class AuditOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR is the client as the server saw it (behind a proxy, run uvicorn with --proxy-headers)
        token = audit.set_origin(ip=request.META.get("REMOTE_ADDR"),
                                 user_agent=request.META.get("HTTP_USER_AGENT", ""))
        try:
            return self.get_response(request)
        finally:
            audit.reset_origin(token)
