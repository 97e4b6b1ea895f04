"""Reads for the physician's patient page: devices, weight trend, alert history and the readings table."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch

from alerts.kinds import rate_of_change
from alerts.models import Alert, AlertNote, AlertRule
from alerts.selectors import RuleInForce, active_rules, latest_reviews
from alerts.workflow import SNOOZE_MINUTES
from devices import readings
from devices.models import DeviceAssignment
from patients.models import Patient
from rpm.metrics import METRICS

READINGS_PAGE_SIZE = 25
# Shown when no weight rule is in force for the patient: the changes, without a flag.
PLAIN_WEIGHT_WINDOWS = {"direction": "rise", "windows": [{"delta": 1e9, "days": 1}, {"delta": 1e9, "days": 7}]}


def enrolled_devices(*, patient: Patient) -> list[DeviceAssignment]:
    """Current assignments with their device (last contact, battery)."""
    return list(DeviceAssignment.objects.filter(patient=patient, ended_at__isnull=True).select_related("device"))


def weight_change(*, patient: Patient, rows: list[RuleInForce]) -> dict | None:
    """Latest weight and its change over each window of the weight rule in force (heart failure: 1, 3 and 7
    days), flagged exactly where that rule fires."""
    rule = next((r for r in active_rules(rows) if r.kind == AlertRule.Kind.RATE_OF_CHANGE
                 and r.metric == "body_weight"), None)
    params = rule.params if rule is not None else PLAIN_WEIGHT_WINDOWS
    reach = max(w.get("days") or 1 for w in params["windows"]) + 1
    latest = readings.latest_plausible(patient_id=patient.id, metrics=["body_weight"],
                                       start=dt.datetime.min.replace(tzinfo=dt.UTC), end=dt.datetime.now(dt.UTC))
    if "body_weight" not in latest:
        return None
    newest = latest["body_weight"]
    series = readings.series_since(patient_id=patient.id,
                                   since={"body_weight": newest.measured_at - dt.timedelta(days=reach)},
                                   until=newest.measured_at)["body_weight"]
    changes = rate_of_change.latest_changes(series, metric="body_weight", params=params, tz=patient.tz)
    return {"value": newest.value, "measured_at": newest.measured_at, "rule": rule,
            "changes": [{"window": rate_of_change.window_text(c.window), "change": c.change,
                         "flag": rule is not None and c.meets} for c in changes]}


def alert_history(*, patient: Patient, limit: int = 100) -> list[Alert]:
    """Newest first, with the rule, who acknowledged and resolved, and the notes."""
    return list(
        patient.alerts.select_related("rule", "acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("notes", queryset=AlertNote.objects.select_related("author")))
        .order_by("-opened_at")[:limit]
    )


def open_alerts(*, patient: Patient) -> list[Alert]:
    return list(patient.alerts.exclude(state=Alert.State.RESOLVED).select_related("rule").order_by("-opened_at"))


def alert_workflow(*, patient: Patient, now: dt.datetime) -> dict:
    """The patient page's alert workflow: open alerts with owner, snooze and note thread, the last review."""
    alerts = (patient.alerts.exclude(state=Alert.State.RESOLVED).select_related("rule", "assigned_to", "snoozed_by")
              .prefetch_related(Prefetch("notes", queryset=AlertNote.objects.select_related("author")))
              .order_by("-opened_at"))
    return {"workflow_alerts": list(alerts), "last_review": latest_reviews([patient.id]).get(patient.id),
            "snooze_choices": [(m, f"{m} min" if m < 60 else f"{m // 60} h") for m in SNOOZE_MINUTES],
            "workflow_now": now}


def chart_alerts(*, patient: Patient, metrics: list[str], start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Alerts on these metrics that fired in the range, placed at their first triggering reading (patient time)."""
    alerts = list(Alert.objects.filter(patient_id=patient.pk, metric__in=metrics, last_triggered_at__gte=start,
                                       opened_at__lt=end)
                  .values("id", "metric", "severity", "state", "explanation", "opened_at", "reading_ids"))
    first_ids = [a["reading_ids"][0] for a in alerts if a["reading_ids"]]
    first = readings.times_and_values(reading_ids=first_ids)
    tz = patient.tz
    markers = []
    for a in alerts:
        at, value = first.get(a["reading_ids"][0], (a["opened_at"], None)) if a["reading_ids"] else \
            (a["opened_at"], None)
        markers.append({"id": a["id"], "metric": a["metric"], "severity": a["severity"], "state": a["state"],
                        "explanation": a["explanation"], "at": at.isoformat(), "value": value,
                        "local": at.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")})
    return markers


def readings_page(*, patient: Patient, metric: str | None, page: int,
                  page_size: int = READINGS_PAGE_SIZE) -> dict:
    """One page of readings, newest first; `has_next` without counting the whole history."""
    page = max(page, 1)
    metrics = [metric] if metric else list(METRICS)
    ids = readings.newest_ids(patient_id=patient.pk, metrics=metrics, offset=(page - 1) * page_size,
                              limit=page_size + 1)
    by_id = readings.with_devices(reading_ids=ids[:page_size])
    return {"rows": [by_id[i] for i in ids[:page_size]], "page": page, "has_next": len(ids) > page_size,
            "has_previous": page > 1, "metric": metric or "",
            "metrics": [(code, m.display) for code, m in METRICS.items()]}


def charted_metrics(*, patient: Patient, present: set[str]) -> list[str]:
    """Charts to draw, in catalogue order: metrics with readings (`present`) or expected by the plan,
    blood pressure as one chart; dose events are shown as adherence, not charted."""
    wanted = set(present)
    if hasattr(patient, "plan"):
        wanted |= set(patient.plan.expected_measurements.values_list("metric", flat=True))
    charts = []
    for code in METRICS:
        if code in ("systolic_bp", "diastolic_bp"):
            if wanted & {"systolic_bp", "diastolic_bp"} and "blood_pressure" not in charts:
                charts.append("blood_pressure")
        elif code != "dose_taken" and code in wanted:
            charts.append(code)
    return charts
