"""The alert engine: runs the rules in force over newly stored readings and on a schedule, and applies what they
find through alerts.services. Tasks and the sweep call these functions; so do tests.

Evaluation of a patient happens in a transaction holding that patient's advisory lock, so two workers
evaluating the same patient at once take turns, and a reading is marked `evaluated_at` in the same
transaction as the alerts it caused: a worker killed mid-batch leaves its readings unevaluated for the
redelivered task or the sweep. Readings of many patients (a group commit's, the sweep's) are judged together,
up to PATIENTS_PER_TRANSACTION patients a transaction holding all their locks, each patient's in measured order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from alerts import services
from alerts.kinds import KINDS, READING_KINDS, device_health, medication_adherence, missing_data
from alerts.kinds.base import PatientFacts, Recovery, Trigger
from alerts.models import Alert, AlertRule
from alerts.selectors import (
    active_rules,
    candidate_rules,
    facts_for,
    matched_doses,
    patients_for_evaluation,
    rules_for_patient,
)
from devices import readings
from devices.models import DeviceAssignment
from patients.doses import Dose
from patients.models import Patient

log = logging.getLogger(__name__)

SWEEP_MIN_AGE = dt.timedelta(minutes=1)
SWEEP_CHUNK = 2000
# How far back a recovery check reads when an alert is older than the rule's own lookback.
RECOVERY_REACH = dt.timedelta(days=1)
# Patients who are paused (in hospital, say) still have their readings judged; their schedules are not.
JUDGED_STATUSES = (Patient.Status.ACTIVE, Patient.Status.PAUSED)


@dataclass
class Summary:
    readings: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    patients: set[int] = field(default_factory=set)

    def add(self, other: Summary) -> None:
        self.readings += other.readings
        self.opened += other.opened
        self.updated += other.updated
        self.resolved += other.resolved
        self.patients |= other.patients


def _record(summary: Summary, before: Alert | None, after: Alert | None) -> None:
    if after is None:
        return
    if before is None:
        summary.opened += 1
    else:
        summary.updated += 1


def _recover(summary: Summary, alert: Alert, recovery: Recovery, now: dt.datetime) -> None:
    if services.apply_recovery(alert=alert, recovery=recovery, now=now) is not None:
        summary.resolved += 1


# --- readings ------------------------------------------------------------------------------------

def evaluate_readings(*, reading_ids: Iterable[int], now: dt.datetime | None = None,
                      candidates: list[AlertRule] | None = None, patient_id: int | None = None) -> Summary:
    """Run every rule in force over these readings (those not evaluated yet) and mark them evaluated.
    `patient_id`, when the caller knows all are one patient's (one ingest call), saves looking them up.

    Evaluating the same readings twice changes nothing: the second time finds them evaluated.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(i) for i in reading_ids))
    summary = Summary()
    if not ids:
        return summary
    by_patient: dict[int, list[int]] = defaultdict(list)
    if patient_id is not None:
        by_patient[patient_id] = ids
    for reading_id, owner in ([] if patient_id is not None else readings.unevaluated(reading_ids=ids)):
        by_patient[owner].append(reading_id)
    if not by_patient:
        return summary
    if candidates is None:
        candidates = candidate_rules(by_patient, kinds=READING_KINDS)
    patients = sorted(by_patient)
    for at in range(0, len(patients), PATIENTS_PER_TRANSACTION):
        group = {pid: by_patient[pid] for pid in patients[at:at + PATIENTS_PER_TRANSACTION]}
        try:
            summary.add(_evaluate_patients(group, now=now, candidates=candidates))
        except Exception:
            # one patient's failure must not hold back the others': each alone, in its own transaction
            log.exception("alert evaluation of %d patients together failed; evaluating each alone", len(group))
            summary.add(_evaluate_each_alone(group, now=now, candidates=candidates))
    return summary


# Patients judged in one transaction: their locks, claims, records and series are one statement each (measured
# by bench/alerts.py: about 7 round trips a patient alone). A failure rolls back the whole group, which is then
# judged one patient at a time.
PATIENTS_PER_TRANSACTION = 100


def _evaluate_each_alone(by_patient: dict[int, list[int]], *, now: dt.datetime,
                         candidates: list[AlertRule]) -> Summary:
    summary, failure = Summary(), None
    for patient_id, reading_ids in by_patient.items():
        try:
            summary.add(_evaluate_patients({patient_id: reading_ids}, now=now, candidates=candidates))
        except Exception as exc:  # left unevaluated: the sweep tries again
            log.exception("alert evaluation of one patient failed; the sweep will try again")
            failure = failure or exc
    if failure is not None:
        raise failure
    return summary


def evaluate_patient_readings(*, patient_id: int, reading_ids: list[int], now: dt.datetime,
                              candidates: list[AlertRule] | None = None) -> Summary:
    if candidates is None:
        candidates = candidate_rules([patient_id], kinds=READING_KINDS)
    return _evaluate_patients({patient_id: reading_ids}, now=now, candidates=candidates)


def _evaluate_patients(by_patient: dict[int, list[int]], *, now: dt.datetime,
                       candidates: list[AlertRule]) -> Summary:
    """Judge these patients' readings in one transaction holding every one of their locks."""
    summary = Summary()
    with transaction.atomic():
        services.lock_patients(by_patient)
        claimed = readings.claim_unevaluated_each(patient_ids=list(by_patient),
                                                  reading_ids=[i for ids in by_patient.values() for i in ids], at=now)
        if not claimed:
            return summary  # another worker got here first
        new: dict[int, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
        for reading_id, patient_id, metric, measured_at in claimed:
            new[patient_id].append((reading_id, metric, measured_at))
        summary.readings = len(claimed)
        summary.patients.update(new)
        plans = []
        for patient_id, (patient, unresolved) in sorted(patients_for_evaluation(list(new)).items()):
            if patient.status in JUDGED_STATUSES:
                plan = _plan(patient, new[patient_id], unresolved, now=now, candidates=candidates)
                if plan is not None:
                    plans.append(plan)
        series = readings.series_since_each(since={plan.patient.id: plan.since for plan in plans})
        for plan in plans:
            _judge(plan, series[plan.patient.id], now=now, summary=summary)
    return summary


@dataclass
class _Plan:
    """What one patient's new readings need judged: the rules they touch and how far back each metric is read."""

    patient: Patient
    facts: PatientFacts
    touched: list[tuple[AlertRule, Any]]
    since: dict[str, dt.datetime]
    new_ids: set[int]
    unresolved: dict[int, Alert]


def _plan(patient: Patient, new: list[tuple[int, str, dt.datetime]], unresolved: dict[int, Alert], *,
          now: dt.datetime, candidates: list[AlertRule]) -> _Plan | None:
    facts = facts_for(patient, today=now.astimezone(patient.tz).date())
    rules = [r for r in active_rules(rules_for_patient(candidates, patient=patient)) if r.kind in READING_KINDS]
    earliest: dict[str, dt.datetime] = {}
    for _, metric, measured_at in new:
        earliest[metric] = min(measured_at, earliest.get(metric, measured_at))
    touched = [(rule, KINDS[rule.kind]) for rule in rules if KINDS[rule.kind].metrics(rule) & earliest.keys()]
    if not touched:
        return None
    # one query for every metric, each reaching back as far as the greediest rule on it needs
    since: dict[str, dt.datetime] = {}
    for rule, kind in touched:
        metrics = kind.metrics(rule)
        first_new = min(earliest[m] for m in metrics & earliest.keys())
        start = first_new - kind.lookback(rule.params, facts)
        open_alert = unresolved.get(rule.id)
        if open_alert is not None:  # a recovery is judged on every reading since the alert's last trigger
            after = open_alert.last_reading_at or open_alert.opened_at
            start = min(start, max(after, first_new - RECOVERY_REACH))
        for metric in metrics:
            since[metric] = min(since.get(metric, start), start)
    return _Plan(patient, facts, touched, since, {row[0] for row in new}, unresolved)


def _judge(plan: _Plan, series: dict[str, list], *, now: dt.datetime, summary: Summary) -> None:
    patient, unresolved = plan.patient, plan.unresolved
    for rule, kind in plan.touched:
        trigger = kind.evaluate(rule, series, plan.new_ids, plan.facts)
        before = unresolved.get(rule.id)
        if trigger is not None:
            alert = services.apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now,
                                           metric=trigger.metric or rule.metric)
            _record(summary, before, alert)
            if alert is not None:
                unresolved[rule.id] = alert
        current = unresolved.get(rule.id)
        if current is not None and current.state != Alert.State.RESOLVED:
            recovery = kind.recover(rule, series, plan.facts, after=current.last_reading_at or current.opened_at,
                                    metric=current.metric)
            if recovery is not None:
                _recover(summary, services.locked_alert(current.pk), recovery, now)


def sweep_unevaluated(*, now: dt.datetime | None = None, min_age: dt.timedelta = SWEEP_MIN_AGE) -> Summary:
    """Evaluate readings stored but not evaluated after `min_age` (the queue was down, a worker died)."""
    now = now or timezone.now()
    summary = Summary()
    while True:
        ids = readings.oldest_unevaluated(received_before=now - min_age, limit=SWEEP_CHUNK)
        if not ids:
            return summary
        done = evaluate_readings(reading_ids=ids, now=now)
        summary.add(done)
        if done.readings == 0:
            return summary  # all taken by other workers meanwhile


# --- scheduled checks -------------------------------------------------------------------------------

def _scheduled(patient: Patient, rule: AlertRule, trigger: Trigger | None, recovered: str | None,
               now: dt.datetime, summary: Summary) -> None:
    """Apply a scheduled check's finding for one patient and rule (inside the patient's lock)."""
    current = (Alert.objects.select_for_update().filter(patient=patient, rule=rule)
               .exclude(state=Alert.State.RESOLVED).first())
    if trigger is not None:
        alert = services.apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now)
        _record(summary, current, alert)
    elif current is not None and recovered:
        _recover(summary, current, Recovery(recovered, now), now)


def _scheduled_rules(patients: list[Patient], kind: str) -> dict[int, list[AlertRule]]:
    candidates = candidate_rules([p.id for p in patients], kinds=[kind])
    return {p.id: active_rules(rules_for_patient(candidates, patient=p)) for p in patients}


def check_missing_data(*, now: dt.datetime | None = None) -> Summary:
    """Expected measurements (monitoring plan) not received by their due time, patient-local."""
    now = now or timezone.now()
    summary = Summary()
    patients = list(Patient.objects.filter(status=Patient.Status.ACTIVE, plan__isnull=False)
                    .select_related("plan").prefetch_related("plan__expected_measurements"))
    rules_by_patient = _scheduled_rules(patients, AlertRule.Kind.MISSING_DATA)
    # an alert on a metric the plan stopped expecting is closed, even when the plan now expects nothing
    with_open = set(Alert.objects.filter(patient__in=patients, rule__kind=AlertRule.Kind.MISSING_DATA)
                    .exclude(state=Alert.State.RESOLVED).values_list("patient_id", flat=True))
    for patient in patients:
        expected = [missing_data.Expectation(e.metric, e.per_day, e.due_by)
                    for e in patient.plan.expected_measurements.all()]
        patient_rules = rules_by_patient[patient.id]
        if not patient_rules or (not expected and patient.id not in with_open):
            continue
        local_now = now.astimezone(patient.tz)
        midnight = dt.datetime.combine(local_now.date(), dt.time(0), tzinfo=patient.tz)
        with transaction.atomic():
            services.lock_patient(patient.id)
            counts = readings.counts_between(patient_id=patient.id, metrics=[e.metric for e in expected],
                                             start=midnight, end=now)
            for rule in patient_rules:
                wanted = [e for e in expected if not rule.metric or e.metric == rule.metric]
                misses = missing_data.missed_measurements(wanted, counts, local_now=local_now,
                                                          grace_minutes=rule.params.get("grace_minutes") or 0)
                trigger = missing_data.trigger(severity=rule.severity, misses=misses, local_now=local_now, now=now)
                recovered = _missing_recovered(patient, rule, expected={e.metric for e in wanted}) \
                    if trigger is None else None
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary


def _missing_recovered(patient: Patient, rule: AlertRule, *, expected: set[str]) -> str | None:
    """Resolved once every metric the alert named has a reading received since it opened, or once the monitoring
    plan no longer expects one of them."""
    current = Alert.objects.filter(patient=patient, rule=rule).exclude(state=Alert.State.RESOLVED).first()
    if current is None:
        return None
    metrics = missing_data.metrics_named(current.trigger_key)
    if set(metrics) - expected:
        return missing_data.no_longer_expected_text(sorted(set(metrics) - expected))
    arrived = readings.metrics_received_since(patient_id=patient.id, metrics=metrics, since=current.opened_at)
    if not metrics or set(metrics) - arrived:
        return None
    return missing_data.recovered_text(metrics)


# how many days of doses the adherence check matches (the run of missed doses it can see)
ADHERENCE_DAYS = 3


def check_medication_adherence(*, now: dt.datetime | None = None) -> Summary:
    """Scheduled doses without a dispenser dose event within their window; medium after several in a row."""
    now = now or timezone.now()
    summary = Summary()
    patients = list(Patient.objects.filter(status=Patient.Status.ACTIVE, plan__isnull=False)
                    .select_related("plan").prefetch_related("plan__medications"))
    rules_by_patient = _scheduled_rules(patients, AlertRule.Kind.MEDICATION_ADHERENCE)
    with_open = set(Alert.objects.filter(patient__in=patients, rule__kind=AlertRule.Kind.MEDICATION_ADHERENCE)
                    .exclude(state=Alert.State.RESOLVED).values_list("patient_id", flat=True))
    for patient in patients:
        patient_rules = rules_by_patient[patient.id]
        if not patient_rules:
            continue
        if not patient.plan.medications.all():
            if patient.id in with_open:  # the plan no longer schedules any dose: nothing is missed any more
                with transaction.atomic():
                    services.lock_patient(patient.id)
                    for rule in patient_rules:
                        _scheduled(patient, rule, None, medication_adherence.NO_SCHEDULE, now, summary)
            continue
        first_day = now.astimezone(patient.tz).date() - dt.timedelta(days=ADHERENCE_DAYS - 1)
        with transaction.atomic():
            services.lock_patient(patient.id)
            for rule in patient_rules:
                doses = matched_doses(patient, now=now, first_day=first_day,
                                      window_minutes=rule.params.get("window_minutes"))
                by_medication: dict[str, list[Dose]] = defaultdict(list)
                for dose in doses:
                    by_medication[f"{dose.drug} {dose.dose}"].append(dose)
                trigger = medication_adherence.trigger(severity=rule.severity, params=rule.params,
                                                       doses_by_medication=by_medication, tz=patient.tz, now=now)
                recovered = medication_adherence.RECOVERED if trigger is None and doses else None
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary


def check_device_health(*, now: dt.datetime | None = None) -> Summary:
    """Devices enrolled to active patients: silent past their kind's limit, battery low. Runs every minute, so
    only patients with a finding or an unresolved device alert are locked and written."""
    now = now or timezone.now()
    summary = Summary()
    assignments: dict[Patient, list[DeviceAssignment]] = defaultdict(list)
    for a in DeviceAssignment.objects.filter(ended_at__isnull=True, patient__status=Patient.Status.ACTIVE) \
            .select_related("device", "patient", "patient__plan"):
        assignments[a.patient].append(a)
    if not assignments:
        return summary
    patients = list(assignments)
    rules_by_patient = _scheduled_rules(patients, AlertRule.Kind.DEVICE_HEALTH)
    unresolved = set(Alert.objects.filter(patient__in=patients, rule__kind=AlertRule.Kind.DEVICE_HEALTH)
                     .exclude(state=Alert.State.RESOLVED).values_list("patient_id", "rule_id"))
    for patient, current in assignments.items():
        findings = []
        for rule in rules_by_patient[patient.id]:
            problems, keys = [], []
            for a in current:
                d = a.device
                problem = device_health.problem(params=rule.params, kind=d.kind,
                                                label=f"{d.get_kind_display()} {d.serial}",
                                                last_seen_at=d.last_seen_at, since=a.started_at,
                                                battery=d.battery_level, now=now)
                if problem:
                    problems.append(problem)
                    marker = d.last_seen_at.isoformat() if d.last_seen_at else "never"
                    keys.append(f"{d.pk}@{marker if rule.params['check'] == 'no_contact' else 'low'}")
            trigger = None
            if problems:
                trigger = Trigger(rule.severity, "; ".join(problems)[0].upper() + "; ".join(problems)[1:] + ".", [],
                                  now, f"device:{rule.params['check']}:{','.join(keys)}")
            recovered = None
            if not problems and all(device_health.recovered(params=rule.params, kind=a.device.kind,
                                                            last_seen_at=a.device.last_seen_at,
                                                            battery=a.device.battery_level, now=now)
                                    for a in current):
                recovered = device_health.recovered_text(rule.params)
            if trigger is not None or (recovered and (patient.id, rule.id) in unresolved):
                findings.append((rule, trigger, recovered))
        if not findings:
            continue
        with transaction.atomic():
            services.lock_patient(patient.id)
            for rule, trigger, recovered in findings:
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary
