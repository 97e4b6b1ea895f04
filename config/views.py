"""The root pages that config.urls wires: home (the live dashboard for clinicians) and the liveness check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from patients.selectors import patients_visible_to
from rpm.roles import is_clinician, roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_clinician(request.user):
        return live_dashboard(request)
    patients = patients_visible_to(request.user).select_related("care_team")
    return render(request, "home.html", {"patients": patients, "roles": sorted(roles_of(request.user))})


def live_dashboard(request: HttpRequest) -> HttpResponse:
    """The nurse's live census and alert queue; the browser keeps it current over /ws/dashboard/."""
    from alerts import dashboard
    from devices.metrics import METRICS
    from patients.models import Condition

    now = timezone.now()
    return render(request, "dashboard.html", {
        "tiles": dashboard.census(user=request.user, now=now),
        "alerts": dashboard.alert_queue(user=request.user),
        "cursor": now.isoformat(), "conditions": Condition.choices,
        "metrics": {code: {"display": m.display, "unit": m.unit, "precision": m.precision}
                    for code, m in METRICS.items()},
    })


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
