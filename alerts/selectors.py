"""Reads of alerts and rules: the rules in force for patients (one truth for the engine and every screen),
what a rule depends on about a patient, who sees which alerts, NEWS2 now."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from alerts import news2
from alerts.kinds import KINDS
from alerts.kinds import early_warning_score as news2_kind
from alerts.kinds.base import PatientFacts
from alerts.models import Alert, AlertNote, AlertRule, PatientReview
from devices import readings
from patients import doses
from patients.models import MonitoringPlan, Patient
from patients.selectors import patients_visible_to


@dataclass(frozen=True)
class RuleInForce:
    """A default rule (everyone, a condition, or one patient) and this patient's override of it, if any."""

    default: AlertRule
    override: AlertRule | None = None

    @property
    def rule(self) -> AlertRule:
        return self.override or self.default

    @property
    def active(self) -> bool:
        return self.rule.enabled


def plan_of(patient: Patient) -> MonitoringPlan:
    try:
        return patient.plan
    except MonitoringPlan.DoesNotExist:
        return MonitoringPlan(patient=patient)


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_ALERT_FIELDS = ["id", "rule_id", "patient_id", "metric", "state", "severity", "last_reading_at", "opened_at",
                 "recovered_at"]
_ALERT_TIMES = {"last_reading_at", "opened_at", "recovered_at"}


def patient_for_evaluation(patient_id: int) -> tuple[Patient, dict[int, Alert]]:
    """The patient, their monitoring plan and their unresolved alerts by rule (the fields the engine reads) in one
    plain query. Call holding the patient's lock; lock an alert (alerts.services.locked_alert) before changing it."""
    found = patients_for_evaluation([patient_id])
    if patient_id not in found:
        raise Patient.DoesNotExist(patient_id)
    return found[patient_id]


def patients_for_evaluation(patient_ids: Sequence[int]) -> dict[int, tuple[Patient, dict[int, Alert]]]:
    """`patient_for_evaluation` for many patients in one plain query: it runs for every evaluation, where the ORM's
    query building cost more than the query (measured: 1.9 ms against 0.5 ms) and every round trip counts."""
    patient_columns, plan_columns = _columns(Patient), _columns(MonitoringPlan)
    alert_json = ", ".join(f"a.{c}" for c in _ALERT_FIELDS)
    sql = (f"SELECT {', '.join(f'p.{c}' for c in patient_columns)}, {', '.join(f'm.{c}' for c in plan_columns)}, "
           f"(SELECT coalesce(json_agg(json_build_array({alert_json})), '[]') FROM alerts_alert a "
           f"WHERE a.patient_id = p.id AND a.state <> %s) "
           "FROM patients_patient p LEFT JOIN patients_monitoringplan m ON m.patient_id = p.id WHERE p.id = ANY(%s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [Alert.State.RESOLVED, list(patient_ids)])
        rows = cursor.fetchall()
    found = {}
    for row in rows:
        patient = Patient.from_db(connection.alias, patient_columns, row[:len(patient_columns)])
        plan_row = row[len(patient_columns):-1]
        plan = MonitoringPlan.from_db(connection.alias, plan_columns, plan_row) if plan_row[0] is not None \
            else MonitoringPlan(patient=patient)
        MonitoringPlan.patient.field.remote_field.set_cached_value(patient, plan)  # patient.plan, no query
        alerts = {}
        for values in row[-1] if isinstance(row[-1], list) else json.loads(row[-1]):
            fields = dict(zip(_ALERT_FIELDS, values, strict=True))
            for name in _ALERT_TIMES:
                fields[name] = dt.datetime.fromisoformat(fields[name]) if fields[name] else None
            alerts[fields["rule_id"]] = Alert.from_db(connection.alias, _ALERT_FIELDS, list(fields.values()))
        found[patient.id] = (patient, alerts)
    return found


def facts_for(patient: Patient, *, today: dt.date | None = None) -> PatientFacts:
    """What a physician decided about the patient that rules depend on (NEWS2 scale, oxygen, consciousness)."""
    plan = plan_of(patient)
    today = today or timezone.now().astimezone(patient.tz).date()
    return PatientFacts(
        tz=patient.tz, spo2_scale=plan.spo2_scale, on_oxygen=plan.on_supplemental_oxygen,
        consciousness_alert=plan.consciousness == MonitoringPlan.Consciousness.ALERT,
        news2_window=dt.timedelta(minutes=plan.news2_window_minutes),
        news2_invalid=news2.not_valid_because(age=patient.age(today), pregnant=patient.pregnant),
    )


# Rules change rarely and are read for every evaluation: each process keeps them, reloading when this stamp of
# the table moves (a save bumps updated_at, a delete the count). Measured by bench/alerts.py: loading them per
# task cost about 4 ms of a 10 ms evaluation.
_STAMP_SQL = "SELECT count(*), max(updated_at), coalesce(sum(id), 0) FROM alerts_alertrule"
# Another process's change is seen within this; this process's own changes at once (forget_rules on save).
RULES_RECHECK_SECONDS = 1.0
_loaded: tuple[tuple | None, list[AlertRule], dict[int, list[AlertRule]]] = (None, [], {})
_checked_at = 0.0
_reload_lock = threading.Lock()


def forget_rules(**kwargs) -> None:
    """Connected to AlertRule saves and deletes: the next read reloads."""
    global _checked_at
    _checked_at = 0.0


def _all_rules() -> tuple[list[AlertRule], dict[int, list[AlertRule]]]:
    global _loaded, _checked_at
    loaded = _loaded
    if loaded[0] is not None and time.monotonic() - _checked_at < RULES_RECHECK_SECONDS:
        return loaded[1], loaded[2]
    with _reload_lock:  # threads of one process (daphne, a test's workers) check and load once
        with connection.cursor() as cursor:
            cursor.execute(_STAMP_SQL)
            stamp = cursor.fetchone()
        if stamp != _loaded[0]:
            rules = list(AlertRule.objects.select_related("created_by").order_by("kind", "metric", "name", "id"))
            by_patient: dict[int, list[AlertRule]] = {}
            for rule in rules:
                if rule.patient_id is not None:
                    by_patient.setdefault(rule.patient_id, []).append(rule)
            _loaded = (stamp, [r for r in rules if r.patient_id is None], by_patient)
        _checked_at = time.monotonic()
        return _loaded[1], _loaded[2]


def candidate_rules(patient_ids: Iterable[int], *, kinds: Iterable[str] | None = None) -> list[AlertRule]:
    """Every rule that may apply to these patients: the defaults and their own rules, in a stable order."""
    defaults, by_patient = _all_rules()
    rules = defaults + [r for pid in dict.fromkeys(patient_ids) for r in by_patient.get(pid, ())]
    if kinds is not None:
        wanted = set(kinds)
        rules = [r for r in rules if r.kind in wanted]
    return rules


def rules_for_patient(candidates: Iterable[AlertRule], *, patient: Patient) -> list[RuleInForce]:
    """The rules that apply to this patient out of a preloaded list: the safety net, their conditions' sets and
    their own rules, each default paired with the patient's override (a disabled override switches it off);
    rules for the other NEWS2 SpO2 scale left out."""
    conditions = set(patient.conditions or ())
    scale = plan_of(patient).spo2_scale
    defaults: list[AlertRule] = []
    overrides: dict[int, AlertRule] = {}
    for rule in candidates:
        if rule.scope == AlertRule.Scope.PATIENT:
            if rule.patient_id != patient.id:
                continue
            if rule.overrides_id is not None:
                overrides[rule.overrides_id] = rule
                continue
        elif rule.scope == AlertRule.Scope.CONDITION and rule.condition not in conditions:
            continue
        if rule.enabled and rule.params.get("spo2_scale") in (None, scale):
            defaults.append(rule)
    return [RuleInForce(rule, overrides.get(rule.id)) for rule in defaults]


def rules_in_force(patients: Sequence[Patient], *, kinds: Iterable[str] | None = None,
                   candidates: list[AlertRule] | None = None) -> dict[int, list[RuleInForce]]:
    """For each patient, the rules in force: what the engine applies and what every screen shows."""
    if candidates is None:
        candidates = candidate_rules([p.id for p in patients], kinds=kinds)
    elif kinds is not None:
        wanted = set(kinds)
        candidates = [r for r in candidates if r.kind in wanted]
    return {patient.id: rules_for_patient(candidates, patient=patient) for patient in patients}


def active_rules(rows: Iterable[RuleInForce]) -> list[AlertRule]:
    return [row.rule for row in rows if row.active]


def display_bands(rows: Iterable[RuleInForce], facts: PatientFacts) -> dict[str, list[dict[str, Any]]]:
    """The bands each metric's value is judged by ({metric, op, value, severity, rule}), for tiles and charts."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rule in active_rules(rows):
        kind = KINDS.get(rule.kind)
        if kind is None or not kind.on_readings:
            continue
        for band in kind.display_bands(rule, facts):
            out.setdefault(band["metric"], []).append(band)
    return out


def alerts_visible_to(user, *, state: str | None = None, assigned_to=None) -> QuerySet[Alert]:
    """Alerts of the patients on the user's care teams, newest first; 'unresolved' means open or acknowledged
    (recovered alerts waiting for review included); `assigned_to` a user: theirs only ("mine")."""
    qs = Alert.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "rule", "acknowledged_by", "resolved_by", "assigned_to", "snoozed_by")
    if assigned_to is not None:
        qs = qs.filter(assigned_to=assigned_to)
    if state == "unresolved":
        qs = qs.exclude(state=Alert.State.RESOLVED)
    elif state:
        qs = qs.filter(state=state)
    return qs.order_by("-opened_at", "-id")


def notes_of(alert: Alert) -> QuerySet[AlertNote]:
    """The alert's thread, oldest first: people's notes and the record of every step."""
    return alert.notes.select_related("author").order_by("at", "id")


def latest_reviews(patient_ids: Iterable[int]) -> dict[int, PatientReview]:
    """Each patient's latest review (who and when), for the queue and the tiles."""
    rows = (PatientReview.objects.filter(patient_id__in=list(patient_ids)).select_related("by")
            .order_by("patient_id", "-at").distinct("patient_id"))
    return {r.patient_id: r for r in rows}


def news2_for_patient(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """NEWS2 from the latest plausible value of each parameter within the plan's window, as the engine scores it.

    None when there is no score; `news2_status` says why.
    """
    status = news2_status(patient, now=now)
    return status["score"]


def news2_status(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """{"score": {score, risk, components, spo2_scale, computed_at} or None, "reason": why there is none}."""
    now = now or timezone.now()
    facts = facts_for(patient, today=now.astimezone(patient.tz).date())
    if facts.news2_invalid:
        return {"score": None, "reason": facts.news2_invalid}
    window = facts.news2_window
    latest = readings.latest_plausible(patient_id=patient.id, metrics=list(news2.READING_PARAMETERS.values()),
                                       start=now - window, end=now)
    inputs = {param: latest.get(metric) for param, metric in news2.READING_PARAMETERS.items()}
    result = news2_kind.score_of(inputs, facts)
    if result is None:
        minutes = int(window.total_seconds() // 60)
        return {"score": None, "reason": f"not every NEWS2 parameter was measured in the last {minutes} min"}
    return {"score": {"score": result.total, "risk": result.risk, "components": result.components,
                      "spo2_scale": facts.spo2_scale, "computed_at": now}, "reason": None}


def matched_doses(patient: Patient, *, now: dt.datetime, first_day: dt.date,
                  window_minutes: float | None = None) -> list[doses.Dose]:
    """This patient's scheduled doses from first_day to today (patient-local), matched to dispenser events by
    the one matcher (patients.doses) that the page, the proportion of days covered and the adherence alert use."""
    plan = plan_of(patient)
    schedules = list(plan.medications.all()) if plan.pk else []
    today = now.astimezone(patient.tz).date()
    due = doses.scheduled_doses(schedules=schedules, tz=patient.tz, first_day=first_day, last_day=today,
                                window_minutes=window_minutes)
    if not due:
        return due
    widest = max(d.window for d in due)
    events = readings.dose_events(patient_id=patient.id, start=due[0].scheduled_at - widest, end=now)
    return doses.match_doses(due, events, now=now)


def days_covered(patient: Patient, *, now: dt.datetime | None = None) -> tuple[list[doses.Dose], doses.DaysCovered]:
    """The last 30 days of doses (matched) and the proportion of days covered, as the adherence alert sees them."""
    now = now or timezone.now()
    today = now.astimezone(patient.tz).date()
    matched = matched_doses(patient, now=now, first_day=today - dt.timedelta(days=doses.PDC_DAYS))
    starts = [m.starts_on for m in plan_of(patient).medications.all()] if plan_of(patient).pk else []
    covered = doses.proportion_of_days_covered(matched, tz=patient.tz, today=today,
                                               schedules_start=min(starts) if starts else None)
    return matched, covered
