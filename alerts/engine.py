"""The alert engine: runs the rules over newly stored readings and on a schedule, and applies
what they find through alerts.services. Tasks and the sweep call these functions; so do tests.

Evaluation of one patient happens in one transaction holding that patient's advisory lock,
so two workers evaluating the same patient at once take turns, and a reading is marked
`evaluated_at` in the same transaction as the alerts it caused: a worker killed mid-batch
leaves its readings unevaluated for the redelivered task or the sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from alerts import news2, rules, services
from alerts.models import Alert, AlertRule
from alerts.selectors import applicable_rules, latest_news2_points
from devices.models import DeviceAssignment, Reading
from patients.models import MonitoringPlan, Patient

log = logging.getLogger(__name__)

BAND_KINDS = (AlertRule.Kind.THRESHOLD, AlertRule.Kind.PERSISTENCE)
NEWS2_METRICS = frozenset(news2.READING_PARAMETERS.values())
SWEEP_MIN_AGE = dt.timedelta(minutes=1)
SWEEP_CHUNK = 2000


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


def _plan_of(patient: Patient) -> MonitoringPlan:
    try:
        return patient.plan
    except MonitoringPlan.DoesNotExist:
        return MonitoringPlan(patient=patient)


def _rules_for(patient: Patient, plan: MonitoringPlan, all_rules: list[AlertRule] | None) -> list[AlertRule]:
    if all_rules is None:
        all_rules = list(AlertRule.objects.all())
    return applicable_rules(all_rules, patient=patient, spo2_scale=plan.spo2_scale)


def _record(summary: Summary, before: Alert | None, after: Alert | None) -> None:
    if after is None:
        return
    if before is None:
        summary.opened += 1
    else:
        summary.updated += 1


# --- readings ------------------------------------------------------------------------------------

def evaluate_readings(*, reading_ids: Iterable[int], now: dt.datetime | None = None,
                      all_rules: list[AlertRule] | None = None) -> Summary:
    """Run every applicable rule over these readings (those not evaluated yet) and mark them evaluated.

    Evaluating the same readings twice changes nothing: the second time finds them evaluated.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(i) for i in reading_ids))
    summary = Summary()
    if not ids:
        return summary
    if all_rules is None:
        all_rules = list(AlertRule.objects.all())
    by_patient: dict[int, list[int]] = defaultdict(list)
    for reading_id, patient_id in Reading.objects.filter(id__in=ids, evaluated_at__isnull=True).values_list(
            "id", "patient_id"):
        by_patient[patient_id].append(reading_id)
    for patient_id, patient_reading_ids in sorted(by_patient.items()):
        summary.add(evaluate_patient_readings(patient_id=patient_id, reading_ids=patient_reading_ids, now=now,
                                              all_rules=all_rules))
    return summary


_SERIES_SQL = """
SELECT r.metric, r.id, r.measured_at, r.value
FROM UNNEST(%s::text[], %s::timestamptz[]) AS w(metric, since)
JOIN devices_reading r ON r.patient_id = %s AND r.metric = w.metric AND r.measured_at >= w.since
ORDER BY r.metric, r.measured_at, r.id
"""


def _series(patient_id: int, since: dict[str, dt.datetime]) -> dict[str, list[rules.Point]]:
    """Each metric's readings from its own start time, sorted by measured_at: one query for all of them."""
    out: dict[str, list[rules.Point]] = {metric: [] for metric in since}
    if not since:
        return out
    with connection.cursor() as cursor:
        cursor.execute(_SERIES_SQL, [list(since), list(since.values()), patient_id])
        for metric, reading_id, measured_at, value in cursor.fetchall():
            out[metric].append(rules.Point(reading_id, measured_at, value))
    return out


def _latest_from(series: dict[str, list[rules.Point]], since: dict[str, dt.datetime], *, end: dt.datetime,
                 window: dt.timedelta) -> dict[str, rules.Point | None] | None:
    """NEWS2 inputs from series already loaded, when they reach back over the whole window; else None."""
    latest: dict[str, rules.Point | None] = {}
    for param, metric in news2.READING_PARAMETERS.items():
        if metric not in series or since[metric] > end - window:
            return None
        inside = [p for p in series[metric] if end - window < p.measured_at <= end]
        latest[param] = inside[-1] if inside else None
    return latest


def evaluate_patient_readings(*, patient_id: int, reading_ids: list[int], now: dt.datetime,
                              all_rules: list[AlertRule] | None = None) -> Summary:
    summary = Summary()
    with transaction.atomic():
        services.lock_patient(patient_id)
        new = list(Reading.objects.select_for_update().filter(id__in=reading_ids, patient_id=patient_id,
                                                              evaluated_at__isnull=True)
                   .values_list("id", "metric", "measured_at"))
        if not new:
            return summary  # another worker got here first
        summary.readings = len(new)
        summary.patients.add(patient_id)
        patient = Patient.objects.select_related("plan").get(pk=patient_id)
        if patient.status == Patient.Status.ACTIVE:
            _evaluate(patient, new, now=now, all_rules=all_rules, summary=summary)
        Reading.objects.filter(id__in=[row[0] for row in new]).update(evaluated_at=now)
    return summary


def _evaluate(patient: Patient, new: list[tuple[int, str, dt.datetime]], *, now: dt.datetime,
              all_rules: list[AlertRule] | None, summary: Summary) -> None:
    plan = _plan_of(patient)
    patient_rules = _rules_for(patient, plan, all_rules)
    new_ids = {row[0] for row in new}
    earliest: dict[str, dt.datetime] = {}
    for _, metric, measured_at in new:
        earliest[metric] = min(measured_at, earliest.get(metric, measured_at))
    unresolved = {a.rule_id: a for a in Alert.objects.select_for_update().filter(patient=patient)
                  .exclude(state=Alert.State.RESOLVED)}

    reading_rules = [r for r in patient_rules if r.metric in earliest
                     and r.kind in (*BAND_KINDS, AlertRule.Kind.RATE_OF_CHANGE)]
    # one query per metric, reaching back as far as the greediest rule on it needs
    reach: dict[str, dt.timedelta] = defaultdict(dt.timedelta)
    for rule in reading_rules:
        reach[rule.metric] = max(reach[rule.metric], rules.lookback(rule.kind, rule.params))
    since = {metric: earliest[metric] - back for metric, back in reach.items()}
    series_cache = _series(patient.id, since)

    for rule in reading_rules:
        series = series_cache[rule.metric]
        if rule.kind in BAND_KINDS:
            trigger = rules.evaluate_bands(series, metric=rule.metric, params=rule.params, new_ids=new_ids)
        else:
            trigger = rules.evaluate_rate(series, metric=rule.metric, params=rule.params, new_ids=new_ids,
                                          severity=rule.severity, tz=patient.tz)
        before = unresolved.get(rule.id)
        if trigger is not None:
            alert = services.apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now)
            _record(summary, before, alert)
            if alert is not None:
                unresolved[rule.id] = alert
        current = unresolved.get(rule.id)
        if current is not None and current.state != Alert.State.RESOLVED and rule.kind in BAND_KINDS:
            recovery = rules.band_recovery(series, metric=rule.metric, params=rule.params,
                                           after=current.last_reading_at or current.opened_at)
            if recovery is not None:
                services.apply_recovery(alert=current, recovery=recovery, now=now)
                summary.resolved += 1

    news2_rules = [r for r in patient_rules if r.kind == AlertRule.Kind.EARLY_WARNING_SCORE]
    new_news2 = [measured_at for _, metric, measured_at in new if metric in NEWS2_METRICS]
    if news2_rules and new_news2:
        inputs = dict(on_oxygen=plan.on_supplemental_oxygen,
                      alert=plan.consciousness == MonitoringPlan.Consciousness.ALERT, spo2_scale=plan.spo2_scale)
        for rule in news2_rules:
            window = dt.timedelta(minutes=rule.params.get("window_minutes") or plan.news2_window_minutes)
            latest = _latest_from(series_cache, since, end=max(new_news2), window=window) or \
                latest_news2_points(patient_id=patient.id, end=max(new_news2), window=window)
            trigger = rules.evaluate_news2(latest, **inputs)
            before = unresolved.get(rule.id)
            if trigger is not None:
                alert = services.apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now, metric="news2")
                _record(summary, before, alert)
                if alert is not None:
                    unresolved[rule.id] = alert
            current = unresolved.get(rule.id)
            if current is not None and current.state != Alert.State.RESOLVED:
                recovery = rules.news2_recovery(latest, after=current.last_reading_at or current.opened_at, **inputs)
                if recovery is not None:
                    services.apply_recovery(alert=current, recovery=recovery, now=now)
                    summary.resolved += 1


def sweep_unevaluated(*, now: dt.datetime | None = None, min_age: dt.timedelta = SWEEP_MIN_AGE) -> Summary:
    """Evaluate readings stored but not evaluated after `min_age` (the queue was down, a worker died)."""
    now = now or timezone.now()
    summary = Summary()
    all_rules = list(AlertRule.objects.all())
    while True:
        ids = list(Reading.objects.filter(evaluated_at__isnull=True, received_at__lte=now - min_age)
                   .order_by("received_at").values_list("id", flat=True)[:SWEEP_CHUNK])
        if not ids:
            return summary
        done = evaluate_readings(reading_ids=ids, now=now, all_rules=all_rules)
        summary.add(done)
        if done.readings == 0:
            return summary  # all taken by other workers meanwhile


# --- scheduled checks -------------------------------------------------------------------------------

def _active_patients():
    return Patient.objects.filter(status=Patient.Status.ACTIVE).select_related("plan")


def _scheduled(patient: Patient, rule: AlertRule, trigger: rules.Trigger | None, recovered: str | None,
               now: dt.datetime, summary: Summary) -> None:
    """Apply a scheduled check's finding for one patient and rule (inside the patient's lock)."""
    current = (Alert.objects.select_for_update().filter(patient=patient, rule=rule)
               .exclude(state=Alert.State.RESOLVED).first())
    if trigger is not None:
        alert = services.apply_trigger(patient=patient, rule=rule, trigger=trigger, now=now)
        _record(summary, current, alert)
    elif current is not None and recovered:
        services.apply_recovery(alert=current, recovery=rules.Recovery(recovered, now), now=now)
        summary.resolved += 1


def check_missing_data(*, now: dt.datetime | None = None) -> Summary:
    """Expected measurements (monitoring plan) not received by their due time, patient-local."""
    now = now or timezone.now()
    summary = Summary()
    all_rules = list(AlertRule.objects.filter(kind=AlertRule.Kind.MISSING_DATA))
    for patient in _active_patients().prefetch_related("plan__expected_measurements"):
        plan = _plan_of(patient)
        if plan.pk is None:
            continue
        expected = [rules.Expectation(e.metric, e.per_day, e.due_by) for e in plan.expected_measurements.all()]
        patient_rules = _rules_for(patient, plan, all_rules)
        if not expected or not patient_rules:
            continue
        local_now = now.astimezone(patient.tz)
        midnight = dt.datetime.combine(local_now.date(), dt.time(0), tzinfo=patient.tz)
        with transaction.atomic():
            services.lock_patient(patient.id)
            counts = defaultdict(int)
            for metric in Reading.objects.filter(patient=patient, measured_at__gte=midnight, measured_at__lte=now,
                                                 metric__in=[e.metric for e in expected]).values_list("metric",
                                                                                                     flat=True):
                counts[metric] += 1
            for rule in patient_rules:
                wanted = [e for e in expected if not rule.metric or e.metric == rule.metric]
                misses = rules.missed_measurements(wanted, counts, local_now=local_now,
                                                   grace_minutes=rule.params.get("grace_minutes") or 0)
                trigger = None
                if misses:
                    text = "; ".join(m.text() for m in misses)
                    trigger = rules.Trigger(rule.severity, text[0].upper() + text[1:] + ".", [], now,
                                            f"missing:{local_now.date()}:{','.join(m.metric for m in misses)}")
                recovered = _missing_recovered(patient, rule, now) if trigger is None else None
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary


def _missing_recovered(patient: Patient, rule: AlertRule, now: dt.datetime) -> str | None:
    """Resolved once every metric the alert named has a reading received since it opened."""
    current = Alert.objects.filter(patient=patient, rule=rule).exclude(state=Alert.State.RESOLVED).first()
    if current is None:
        return None
    metrics = current.trigger_key.rsplit(":", 1)[-1].split(",")
    arrived = set(Reading.objects.filter(patient=patient, metric__in=metrics, received_at__gte=current.opened_at)
                  .values_list("metric", flat=True).distinct())
    if set(metrics) - arrived:
        return None
    names = ", ".join(rules.display(m) for m in metrics)
    return f"Resolved automatically: the missing readings arrived ({names})."


def check_medication_adherence(*, now: dt.datetime | None = None) -> Summary:
    """Scheduled doses without a dispenser dose event within their window; medium after several in a row."""
    now = now or timezone.now()
    summary = Summary()
    all_rules = list(AlertRule.objects.filter(kind=AlertRule.Kind.MEDICATION_ADHERENCE))
    for patient in _active_patients().prefetch_related("plan__medications"):
        plan = _plan_of(patient)
        if plan.pk is None:
            continue
        medications = list(plan.medications.all())
        patient_rules = _rules_for(patient, plan, all_rules)
        if not medications or not patient_rules:
            continue
        local_now = now.astimezone(patient.tz)
        events = list(Reading.objects.filter(patient=patient, metric="dose_taken", value__gt=0,
                                             measured_at__gte=now - dt.timedelta(days=4), measured_at__lte=now)
                      .values_list("measured_at", flat=True))
        with transaction.atomic():
            services.lock_patient(patient.id)
            for rule in patient_rules:
                medium_after = rule.params.get("medium_after_consecutive") or 2
                missed_texts, worst, last_due = [], 0, None
                for med in medications:
                    window = rule.params.get("window_minutes") or med.window_minutes
                    doses = [d for d in rules.scheduled_doses(times=med.times, window_minutes=window,
                                                              dose_events=events, local_now=local_now, days_back=2)
                             if d.due >= patient.created_at]
                    missed = rules.trailing_missed(doses)
                    if not missed:
                        continue
                    due = doses[-1].due
                    worst = max(worst, missed)
                    last_due = max(last_due or due, due)
                    run = f"; {missed} missed in a row" if missed > 1 else ""
                    missed_texts.append(f"{med.drug} {med.dose} due {due:%H:%M} on {due:%a %d %b} not taken "
                                        f"(no dispenser event within {window:g} min){run}")
                trigger = None
                if missed_texts:
                    severity = "medium" if worst >= medium_after else rule.severity
                    trigger = rules.Trigger(severity, "Missed dose: " + "; ".join(missed_texts) + ".", [], now,
                                            f"dose:{last_due.isoformat()}:{worst}")
                recovered = "Resolved automatically: the latest scheduled doses were taken." if not missed_texts \
                    else None
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary


def check_device_health(*, now: dt.datetime | None = None) -> Summary:
    """Devices currently enrolled to active patients: no contact for N hours, battery low."""
    now = now or timezone.now()
    summary = Summary()
    all_rules = list(AlertRule.objects.filter(kind=AlertRule.Kind.DEVICE_HEALTH))
    assignments = defaultdict(list)
    for a in DeviceAssignment.objects.filter(ended_at__isnull=True, patient__status=Patient.Status.ACTIVE) \
            .select_related("device", "patient", "patient__plan"):
        assignments[a.patient].append(a)
    for patient, current in assignments.items():
        plan = _plan_of(patient)
        patient_rules = _rules_for(patient, plan, all_rules)
        if not patient_rules:
            continue
        with transaction.atomic():
            services.lock_patient(patient.id)
            for rule in patient_rules:
                problems, keys = [], []
                for a in current:
                    d = a.device
                    label = f"{d.get_kind_display()} {d.serial}"
                    problem = rules.device_problem(params=rule.params, label=label, last_seen_at=d.last_seen_at,
                                                   since=a.started_at, battery=d.battery_level, now=now)
                    if problem:
                        problems.append(problem)
                        marker = d.last_seen_at.isoformat() if d.last_seen_at else "never"
                        keys.append(f"{d.pk}@{marker if rule.params['check'] == 'no_contact' else 'low'}")
                trigger = None
                if problems:
                    text = "; ".join(problems)
                    trigger = rules.Trigger(rule.severity, text[0].upper() + text[1:] + ".", [], now,
                                            f"device:{rule.params['check']}:{','.join(keys)}")
                recovered = None
                if not problems and all(rules.device_recovered(params=rule.params, last_seen_at=a.device.last_seen_at,
                                                               battery=a.device.battery_level, now=now)
                                        for a in current):
                    back_at = rule.params.get("below", 0) + (rule.params.get("resolve_margin") or 0)
                    recovered = ("Resolved automatically: every device is back in contact."
                                 if rule.params["check"] == "no_contact"
                                 else f"Resolved automatically: battery charged again (at or above {back_at:g} %).")
                _scheduled(patient, rule, trigger, recovered, now, summary)
    return summary
