"""Wiring's own pages: liveness and readiness."""

from django.db import connection
from django.http import HttpRequest, JsonResponse

from alerts import readiness
from rpm.errors import error_body


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers (and its database does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when alerting works end to end, else 503 naming each part that does not."""
    problems = readiness.check()
    checks = {part: problem or "ok" for part, problem in problems.items()}
    failing = [(part, problem) for part, problem in problems.items() if problem]
    if failing:
        return JsonResponse({"status": "unavailable", "checks": checks, **error_body(failing)}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
