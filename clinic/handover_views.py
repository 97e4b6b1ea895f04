"""The handover page: one care team's change-of-shift summary since a time, printable. The URL carries only the
team id and the time (no name or MRN); each patient in the summary is audited as viewed."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from clinic import handover
from patients.admission import care_teams_of
from rpm import audit
from rpm.errors import NotFound
from rpm.models import AuditEvent
from rpm.roles import is_clinician


def _since(raw: str, *, now: dt.datetime) -> tuple[dt.datetime, str | None]:
    """`since` as YYYY-MM-DDTHH:MM in UTC (the page says so), within the last 7 days; else the last 12 hours."""
    if not raw.strip():
        return now - handover.DEFAULT_SHIFT, None
    try:
        since = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return now - handover.DEFAULT_SHIFT, f"since: {raw[:30]!r} is not a date and time (YYYY-MM-DDTHH:MM)"
    since = since.replace(tzinfo=dt.UTC) if since.tzinfo is None else since
    if not now - handover.LONGEST <= since <= now:
        return now - handover.DEFAULT_SHIFT, "since: must be within the last 7 days"
    return since, None


@login_required
def handover_page(request: HttpRequest) -> HttpResponse:
    if not is_clinician(request.user):
        raise Http404
    teams = care_teams_of(request.user)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    since, error = _since(request.GET.get("since", ""), now=now)
    team_id = request.GET.get("team", "")
    if team_id:
        if not team_id.isdigit():
            raise Http404
        try:
            team = handover.team_of(user=request.user, team_id=int(team_id))
        except NotFound:
            raise Http404 from None
    elif teams:
        team = teams[0]
    else:
        return render(request, "clinic/handover.html", {"teams": [], "summary": None})
    summary = handover.handover(user=request.user, team=team, since=since, now=now)
    for _, patient in sorted(summary.patients.items()):
        audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.handover", patient=patient,
                     detail={"team": team.id, "since": since.isoformat()})
    return render(request, "clinic/handover.html", {"teams": teams, "summary": summary, "error": error,
                                                    "since_value": since.strftime("%Y-%m-%dT%H:%M")},
                  status=400 if error else 200)
