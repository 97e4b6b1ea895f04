"""The change-of-shift summary of one care team since a time: alerts raised, acknowledged and still open, patients
with no data, patients whose NEWS2 rose, and the notes written. Reads only; every patient in it is the user's
(patients_visible_to), and a team the user is not on is not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from alerts.models import Alert, AlertNote
from alerts.selectors import news2_status
from devices import readings
from patients.models import CareTeam, ClinicalNote, Patient
from patients.selectors import patients_visible_to
from rpm.errors import NotFound

UNRESOLVED = (Alert.State.OPEN, Alert.State.ACKNOWLEDGED)
DEFAULT_SHIFT = dt.timedelta(hours=12)
LONGEST = dt.timedelta(days=7)


@dataclass
class Handover:
    team: CareTeam
    since: dt.datetime
    now: dt.datetime
    raised: list[Alert] = field(default_factory=list)
    acknowledged: list[Alert] = field(default_factory=list)
    still_open: list[Alert] = field(default_factory=list)
    no_data: list[dict[str, Any]] = field(default_factory=list)
    news2_rose: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def patients(self) -> dict[int, Patient]:
        """Every patient the summary names, by id."""
        named = [a.patient for a in self.raised + self.acknowledged + self.still_open]
        named += [row["patient"] for row in self.no_data + self.news2_rose + self.notes]
        return {p.id: p for p in named}


def team_of(*, user, team_id: int) -> CareTeam:
    team = CareTeam.objects.filter(id=team_id, memberships__user=user).first()
    if team is None:
        raise NotFound("no such care team of yours", "team")
    return team


def handover(*, user, team: CareTeam, since: dt.datetime, now: dt.datetime) -> Handover:
    out = Handover(team=team, since=since, now=now)
    patients = list(patients_visible_to(user).filter(care_team=team).select_related("plan"))
    alerts = Alert.objects.filter(patient__in=patients).select_related("patient", "rule", "acknowledged_by")
    out.raised = list(alerts.filter(opened_at__gte=since, opened_at__lte=now).order_by("-opened_at"))
    out.acknowledged = list(alerts.filter(acknowledged_at__gte=since, acknowledged_at__lte=now)
                            .order_by("-acknowledged_at"))
    out.still_open = list(alerts.filter(state__in=UNRESOLVED).order_by("-opened_at"))
    monitored = [p for p in patients if p.status != Patient.Status.DISCHARGED]
    last = readings.last_measured(patient_ids=[p.id for p in monitored])
    out.no_data = [{"patient": p, "last": last.get(p.id)} for p in monitored if (last.get(p.id) or since) <= since]
    for p in monitored:
        before, after = news2_status(p, now=since)["score"], news2_status(p, now=now)["score"]
        if before and after and after["score"] > before["score"]:
            out.news2_rose.append({"patient": p, "before": before["score"], "after": after["score"],
                                   "risk": after["risk"]})
    clinical = ClinicalNote.objects.filter(patient__in=patients, written_at__gte=since, written_at__lte=now) \
        .exclude(text="").select_related("patient", "author")
    on_alerts = AlertNote.objects.filter(alert__patient__in=patients, at__gte=since, at__lte=now,
                                         author__isnull=False).exclude(text="").select_related("alert__patient",
                                                                                             "author")
    out.notes = sorted(
        [{"patient": n.patient, "at": n.written_at, "author": n.author, "text": n.text, "on": "patient"}
         for n in clinical]
        + [{"patient": n.alert.patient, "at": n.at, "author": n.author, "text": n.text, "on": f"alert {n.alert_id}"}
           for n in on_alerts], key=lambda row: row["at"], reverse=True)
    return out
