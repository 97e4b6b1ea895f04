"""Where each request came from, for the audit rows written while serving it (rpm.audit)."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from rpm import audit


class AuditOriginMiddleware:
    """Sync and async capable: a sync-only middleware would make Django run the rest of the stack through
    async_to_sync under ASGI, one more thread per request."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _enter(self, request):
        # REMOTE_ADDR is the client as the server saw it (behind a proxy, run uvicorn with --proxy-headers)
        return (audit.set_origin(ip=request.META.get("REMOTE_ADDR"),
                                 user_agent=request.META.get("HTTP_USER_AGENT", "")),
                audit.set_requester(getattr(request, "user", None)))

    def _leave(self, tokens) -> None:
        audit.reset_requester(tokens[1])
        audit.reset_origin(tokens[0])

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        tokens = self._enter(request)
        try:
            return self.get_response(request)
        finally:
            self._leave(tokens)

    async def __acall__(self, request):
        tokens = self._enter(request)
        try:
            return await self.get_response(request)
        finally:
            self._leave(tokens)
