"""Alert rules and the alerts they raise."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from alerts.kinds import validate_params
from rpm.metrics import METRICS


class Severity(models.TextChoices):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


SEVERITY_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        THRESHOLD = "threshold"
        PERSISTENCE = "persistence"
        AVERAGE = "average", "Average over days"
        RATE_OF_CHANGE = "rate_of_change", "Rate of change"
        MISSING_DATA = "missing_data", "Missing data"
        MEDICATION_ADHERENCE = "medication_adherence", "Medication adherence"
        DEVICE_HEALTH = "device_health", "Device health"
        EARLY_WARNING_SCORE = "early_warning_score", "Early warning score (NEWS2)"
        IMPLAUSIBLE_READING = "implausible_reading", "Implausible reading"

    class Scope(models.TextChoices):
        EVERYONE = "everyone"
        CONDITION = "condition"
        PATIENT = "patient"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    metric = models.CharField(max_length=30, blank=True, choices=[(code, m.display) for code, m in METRICS.items()])
    params = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.EVERYONE)
    condition = models.CharField(max_length=30, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="alert_rules")
    # a patient-scoped rule that replaces a default one for this patient
    overrides = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="overridden_by")
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="clinical source of the default")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "metric", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(scope="patient", patient__isnull=False) | ~Q(scope="patient"),
                                   name="patient_scope_has_patient"),
            models.UniqueConstraint(fields=["patient", "overrides"], condition=Q(overrides__isnull=False),
                                    name="one_override_per_patient_rule"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = validate_params(self.kind, self.metric, self.params)
        if self.scope == self.Scope.CONDITION and not self.condition:
            errors["condition"] = "a condition-scoped rule needs a condition"
        if self.scope == self.Scope.PATIENT and self.patient_id is None:
            errors["patient"] = "a patient-scoped rule needs a patient"
        by_field: dict[str, list[str]] = {}
        for key, message in errors.items():
            field = key if key in ("kind", "metric", "condition", "patient") else "params"
            by_field.setdefault(field, []).append(message if field == key else f"{key}: {message}")
        if by_field:
            raise ValidationError(by_field)


class Alert(models.Model):
    class State(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    metric = models.CharField(max_length=30, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=15, choices=State.choices, default=State.OPEN)
    explanation = models.TextField()
    reading_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    trigger_count = models.PositiveIntegerField(default=1)
    # identity of the latest trigger: the same trigger seen again (a re-run task) changes nothing
    trigger_key = models.CharField(max_length=200, blank=True)
    # measured_at of the newest reading the alert has seen; older episodes arriving late are not re-raised
    last_reading_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField()
    last_triggered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolution = models.TextField(blank=True, help_text="why it was resolved; automatic resolutions say so")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # worse after it was acknowledged: open again, and the escalation clock counts from here
    reopened_at = models.DateTimeField(null=True, blank=True)
    # back to normal before anyone acknowledged it (medium and high): stays unresolved until a person acts
    recovered_at = models.DateTimeField(null=True, blank=True)
    recovery = models.TextField(blank=True, help_text="what the recovery was, while it waits for review")
    # the workflow: who owns it, and a snooze (no escalation, nothing beyond the dashboard) until a time
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snoozed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    snooze_reason = models.TextField(blank=True)
    # usernames told of the latest escalation (the on-call person, else the team's physicians)
    notified = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "rule"], condition=~Q(state="resolved"),
                                    name="one_unresolved_alert_per_patient_rule"),
        ]
        indexes = [models.Index(fields=["state", "-opened_at"], name="alert_by_state"),
                   models.Index(fields=["patient", "-opened_at"], name="alert_by_patient")]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule} for {self.patient_id} ({self.state})"

    @property
    def awaiting_review(self) -> bool:
        """Recovered on its own, unacknowledged: shown as "recovered, not yet reviewed"."""
        return self.state == self.State.OPEN and self.recovered_at is not None

    def snoozed_at(self, now) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now


class AlertNote(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    verb = models.CharField(max_length=20, blank=True, help_text="acknowledge, resolve, escalate or note")
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.verb or 'note'} on alert {self.alert_id} at {self.at:%Y-%m-%d %H:%M}"


class RuleSnooze(models.Model):
    """One rule quiet for one patient until `until` (at most a day, with a reason): its alerts are neither
    escalated nor sent beyond the dashboard. Never for all rules or all patients; ends early when it gets worse."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="rule_snoozes")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="snoozes")
    until = models.DateTimeField()
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_because = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "rule", "-until"], name="rule_snooze_by_patient_rule")]

    def __str__(self) -> str:
        return f"{self.rule} snoozed for {self.patient_id} until {self.until:%Y-%m-%d %H:%M}"


class PatientReview(models.Model):
    """A clinician marked this patient's alerts and data as reviewed: who and when."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "-at"], name="review_by_patient")]

    def __str__(self) -> str:
        return f"{self.patient_id} reviewed by {self.by_id} at {self.at:%Y-%m-%d %H:%M}"


class NotificationChannel(models.Model):
    """Where a care team hears about alerts beyond e-mail: an apprise URL (SMS, Teams, Slack, a webhook, ...).
    Without a user, the team's shared channel; with one, that member's own (used when they are a recipient, e.g.
    on call). Managed by admins; the URL holds secrets and is never shown to clinicians."""

    care_team = models.ForeignKey("patients.CareTeam", on_delete=models.CASCADE, related_name="channels")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", help_text="empty: the whole team's channel")
    label = models.CharField(max_length=100)
    url = models.CharField("apprise URL", max_length=1000)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["care_team", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.care_team})"


class OnCallShift(models.Model):
    """Who is on call for a care team from `starts_at` to `ends_at`: escalations go to them, not every physician."""

    care_team = models.ForeignKey("patients.CareTeam", on_delete=models.CASCADE, related_name="on_call_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["care_team", "starts_at"]
        indexes = [models.Index(fields=["care_team", "starts_at", "ends_at"], name="shift_by_team_time")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.user} on call for {self.care_team} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"
