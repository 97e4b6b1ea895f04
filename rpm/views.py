from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from patients.selectors import patients_visible_to
from rpm.roles import roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    patients = patients_visible_to(request.user).select_related("care_team")
    return render(request, "home.html", {"patients": patients, "roles": sorted(roles_of(request.user))})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
