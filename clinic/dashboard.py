"""Reads behind the live nurse dashboard: the census tiles, the alert queue and the catch-up.

Every read starts from `patients_visible_to(user)`: the dashboard never sees a patient
outside the user's care teams.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from alerts.kinds import device_health
from alerts.models import SEVERITY_RANK, Alert, AlertRule
from alerts.selectors import RuleInForce, active_rules, display_bands, facts_for, news2_status, rules_in_force
from clinic.live import alert_event, reading_event
from devices import readings
from devices.models import DeviceAssignment
from patients.models import Condition, Patient
from patients.selectors import patients_visible_to
from rpm import sessions
from rpm.metrics import METRICS

CATCH_UP_WINDOW = dt.timedelta(hours=1)
CATCH_UP_LIMIT = 5000
# Readings are pushed a moment after `received_at` (the transaction commits in between): resume a little earlier
# and let the browser drop what it already has (events carry ids).
CATCH_UP_OVERLAP = dt.timedelta(seconds=10)
SPARKLINE_WINDOW = dt.timedelta(hours=24)
SPARKLINE_BUCKET_MINUTES = 15
DEFAULT_STALE_AFTER_HOURS = 24
# Dose events belong to the adherence view, not to a vitals tile.
NOT_ON_TILES = {"dose_taken"}
UNRESOLVED = (Alert.State.OPEN, Alert.State.ACKNOWLEDGED)


def live_scope(*, user) -> tuple[set[int], set[int]]:
    """(care team ids, patient ids) the user may see: the dashboard's channel-layer groups and its filter."""
    rows = list(patients_visible_to(user).values_list("id", "care_team_id"))
    return {team for _, team in rows}, {pid for pid, _ in rows}


def visible_patient_ids(*, user) -> set[int]:
    return set(patients_visible_to(user).values_list("id", flat=True))


def still_signed_in(*, user, session_key: str | None) -> bool:
    """The socket's session still exists, has not expired, and its user is still active."""
    from django.contrib.auth import get_user_model

    if sessions.session_expiry(session_key) is None:
        return False
    return get_user_model().objects.filter(id=user.id, is_active=True).exists()


def trend(latest: float, previous: float | None, *, precision: int) -> str:
    """'up', 'down' or 'steady': a change smaller than the metric's display step is noise."""
    if previous is None:
        return "steady"
    step = 10 ** -precision
    if latest - previous >= step:
        return "up"
    if previous - latest >= step:
        return "down"
    return "steady"


def stale_hours(measured_at: dt.datetime | None, *, stale_after_hours: int, now: dt.datetime) -> int | None:
    """Whole hours without a reading once past the expected window, else None (not stale)."""
    if measured_at is None:
        return stale_after_hours
    age = now - measured_at
    if age <= dt.timedelta(hours=stale_after_hours):
        return None
    return int(age.total_seconds() // 3600)


def _news2(patients: list[Patient], now: dt.datetime) -> dict[int, dict[str, Any]]:
    """NEWS2 as the alert engine scores it, or why there is none (not validated for this patient, a parameter
    not measured within the plan's window)."""
    out = {}
    for patient in patients:
        status = news2_status(patient, now=now)
        score = status["score"]
        out[patient.id] = {"news2": score and {"score": score["score"], "risk": score["risk"]},
                           "news2_reason": status["reason"]}
    return out


def news2_scores(*, user, patient_ids: set[int], now: dt.datetime) -> dict[int, dict[str, Any] | None]:
    """Current NEWS2 of these patients, those the user may see only (the dashboard refreshes tiles with it)."""
    found = _news2(list(patients_visible_to(user).filter(id__in=patient_ids).select_related("plan")), now)
    return {pid: entry["news2"] for pid, entry in found.items()}


def _devices(patients: list[Patient], rows: dict[int, list[RuleInForce]], now: dt.datetime
             ) -> dict[int, list[dict[str, Any]]]:
    """Each patient's enrolled devices, flagged offline or low on battery by the device-health rules in force
    for that patient (the same rules, and limits, the engine alerts on)."""
    out: dict[int, list[dict[str, Any]]] = {p.id: [] for p in patients}
    current = (DeviceAssignment.objects.filter(patient_id__in=list(out), ended_at__isnull=True)
               .select_related("device").order_by("device__serial"))
    health = {pid: [r for r in active_rules(patient_rows) if r.kind == AlertRule.Kind.DEVICE_HEALTH]
              for pid, patient_rows in rows.items()}
    for assignment in current:
        device = assignment.device

        def flagged(check: str, device=device, assignment=assignment) -> bool:
            return any(device_health.problem(params=r.params, kind=device.kind, label="", now=now,
                                             last_seen_at=device.last_seen_at, since=assignment.started_at,
                                             battery=device.battery_level)
                       for r in health[assignment.patient_id] if r.params.get("check") == check)

        out[assignment.patient_id].append({
            "id": device.id, "serial": device.serial, "kind": device.kind,
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
            "offline": flagged("no_contact"), "battery": device.battery_level, "low_battery": flagged("battery"),
        })
    return out


def census(*, user, now: dt.datetime, patient_ids: set[int] | None = None) -> list[dict[str, Any]]:
    """One tile per visible patient (active or paused), in name order; the browser sorts and filters."""
    visible = patients_visible_to(user).exclude(status=Patient.Status.DISCHARGED)
    if patient_ids is not None:
        visible = visible.filter(id__in=patient_ids)
    patients = list(visible.select_related("care_team", "plan").prefetch_related("plan__expected_measurements"))
    ids = [p.id for p in patients]
    if not ids:
        return []
    tile_metrics = [m for m in METRICS if m not in NOT_ON_TILES]
    latest = readings.latest_two(patient_ids=ids, metrics=tile_metrics)
    sparks = readings.bucket_means(patient_ids=ids, metrics=tile_metrics, start=now - SPARKLINE_WINDOW,
                                   end=now + dt.timedelta(minutes=5), minutes=SPARKLINE_BUCKET_MINUTES)
    rows = rules_in_force(patients)
    news2 = _news2(patients, now)
    devices = _devices(patients, rows, now)
    labels = dict(Condition.choices)
    tiles = []
    for patient in patients:
        plan = getattr(patient, "plan", None)
        bands = display_bands(rows[patient.id], facts_for(patient, today=now.astimezone(patient.tz).date()))
        expected = {e.metric: e.stale_after_hours for e in plan.expected_measurements.all()} if plan else {}
        shown = [m for m in METRICS if m not in NOT_ON_TILES and (m in expected or (patient.id, m) in latest)]
        metrics = {}
        for code in shown:
            meta = METRICS[code]
            values = latest.get((patient.id, code), [])
            value, measured_at = values[0] if values else (None, None)
            window = expected.get(code, DEFAULT_STALE_AFTER_HOURS)
            metrics[code] = {
                "display": meta.display, "unit": meta.unit, "precision": meta.precision,
                "value": value, "measured_at": measured_at.isoformat() if measured_at else None,
                "trend": trend(value, values[1][0] if len(values) > 1 else None, precision=meta.precision)
                if values else None,
                "stale_after_hours": window,
                "stale_hours": stale_hours(measured_at, stale_after_hours=window, now=now),
                "spark": sparks.get((patient.id, code), []),
                "bands": bands.get(code, []),
            }
        tiles.append({
            "id": patient.id, "name": patient.name, "family_name": patient.family_name, "mrn": patient.mrn,
            "age": patient.age(now.date()), "status": patient.status, "care_team": patient.care_team.name,
            "conditions": [{"code": c, "label": labels.get(c, c)} for c in patient.conditions],
            "metrics": metrics, **news2[patient.id], "devices": devices[patient.id],
        })
    return tiles


def _queue(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    rank = Case(*[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()], output_field=IntegerField())
    return alerts.select_related("patient", "acknowledged_by").annotate(rank=rank).order_by(
        F("recovered_at").asc(nulls_first=True), "-rank", "-opened_at")


def alert_queue(*, user, limit: int = 500) -> list[dict[str, Any]]:
    """Open and acknowledged alerts of visible patients: the active ones most severe then newest first, then
    those that recovered before anyone saw them ("recovered, not yet reviewed")."""
    alerts = Alert.objects.filter(patient__in=patients_visible_to(user), state__in=UNRESOLVED)
    return [alert_event(a, "current") for a in _queue(alerts)[:limit]]


def missed_events(*, user, since: dt.datetime, now: dt.datetime) -> list[dict[str, Any]] | None:
    """What a reconnecting dashboard missed since its cursor: readings, then alert changes.

    None when the cursor is older than the catch-up window: the browser reloads the census instead.
    """
    if since < now - CATCH_UP_WINDOW:
        return None
    start = since - CATCH_UP_OVERLAP
    visible = list(visible_patient_ids(user=user))
    # a backfill measured more than an hour before the cursor is history, not news: the next census shows it
    rows = readings.received_since(patient_ids=visible, since=start, measured_after=start - CATCH_UP_WINDOW,
                                   limit=CATCH_UP_LIMIT)
    events = [reading_event(reading_id=i, patient_id=p, metric=m, value=v, measured_at=t, at=r, quality=q)
              for i, p, m, v, t, r, q in rows]
    changed = Alert.objects.filter(patient_id__in=visible, updated_at__gt=start)
    events += [alert_event(a, "changed") for a in _queue(changed)[:CATCH_UP_LIMIT]]
    return events
