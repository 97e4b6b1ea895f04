"""The person's own display units (rpm.units): glucose, weight and temperature on every screen, chart and CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rpm.errors import InvalidInput
from rpm.metrics import METRICS
from rpm.roles import is_clinician
from rpm.units import CHOICES, set_units_for, units_for


def _context(chosen: dict[str, str], errors: dict | None = None) -> dict:
    return {"rows": [{"code": code, "display": METRICS[code].display, "chosen": chosen.get(code),
                      "choices": [(u.code, u.symbol) for u in choices.values()], "error": (errors or {}).get(code)}
                     for code, choices in CHOICES.items()]}


@login_required
def display_units(request: HttpRequest) -> HttpResponse:
    if not is_clinician(request.user):
        raise Http404
    if request.method == "POST":
        chosen = {code: request.POST.get(code, "") for code in CHOICES}
        try:
            set_units_for(request.user, chosen=chosen)
        except InvalidInput as error:
            return render(request, "clinic/units.html", _context(chosen, error.errors), status=400)
        return redirect("/preferences/units/?saved=1")
    return render(request, "clinic/units.html", _context(units_for(request.user).chosen()))
