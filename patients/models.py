"""Patients, the care teams that look after them, and their monitoring plans."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from rpm.metrics import METRICS


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone")


class CareTeam(models.Model):
    """A ward-sized team of nurses and physicians looking after a set of patients."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="CareTeamMembership", related_name="care_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CareTeamMembership(models.Model):
    class Role(models.TextChoices):
        NURSE = "nurse"
        PHYSICIAN = "physician"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_team_memberships")
    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "care_team"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.care_team}"


class Condition(models.TextChoices):
    HYPERTENSION = "hypertension"
    HEART_FAILURE = "heart_failure", "Heart failure"
    COPD = "copd", "COPD"
    DIABETES = "diabetes"
    VIRTUAL_WARD = "virtual_ward", "Virtual ward (acute)"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female"
        MALE = "male"
        OTHER = "other"
        UNKNOWN = "unknown"

    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        DISCHARGED = "discharged"

    mrn = models.CharField("MRN", max_length=40, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    conditions = ArrayField(models.CharField(max_length=30, choices=Condition.choices), default=list, blank=True)
    # RCP NEWS2 (2017) is not validated in pregnancy: no score for a patient flagged pregnant
    pregnant = models.BooleanField(default=False)
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="patients")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def age(self, on: dt.date | None = None) -> int:
        on = on or dt.date.today()
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))


class MonitoringPlan(models.Model):
    """What is expected of this patient, and the NEWS2 inputs a clinician decided."""

    class Consciousness(models.TextChoices):
        ALERT = "alert"
        CVPU = "cvpu", "New confusion, voice, pain or unresponsive"

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="plan")
    # NEWS2 SpO2 scale 2 only for a clinician-recorded target of 88-92 % (RCP NEWS2, Chart 1 notes)
    spo2_scale = models.PositiveSmallIntegerField(choices=[(1, "Scale 1"), (2, "Scale 2 (target 88-92 %)")], default=1)
    on_supplemental_oxygen = models.BooleanField(default=False)
    consciousness = models.CharField(max_length=10, choices=Consciousness.choices, default=Consciousness.ALERT)
    news2_window_minutes = models.PositiveIntegerField(default=60)
    # Who decided the NEWS2 settings above, the prescribed SpO2 target and why (set on the patient page, audited)
    spo2_target_low = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_target_high = models.PositiveSmallIntegerField(null=True, blank=True)
    news2_prescriber = models.CharField(max_length=120, blank=True)
    news2_reason = models.TextField(blank=True)
    news2_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    news2_set_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Plan for {self.patient}"


class ExpectedMeasurement(models.Model):
    """A measurement the patient should take: `per_day` readings each day by `due_by` local time."""

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="expected_measurements")
    metric = models.CharField(max_length=30, choices=[(code, m.display) for code, m in METRICS.items()])
    per_day = models.PositiveSmallIntegerField(default=1)
    due_by = models.TimeField(default=dt.time(20, 0))
    # how long without a reading before the dashboard calls the value stale
    stale_after_hours = models.PositiveSmallIntegerField(default=24)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "metric"], name="one_expectation_per_metric")]

    def __str__(self) -> str:
        return f"{self.metric} x{self.per_day}/day by {self.due_by:%H:%M}"


class MedicationSchedule(models.Model):
    """A drug taken at fixed local times; a dose counts when a dispenser reports it within the window."""

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="medications")
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=50)
    times = ArrayField(models.TimeField())
    window_minutes = models.PositiveIntegerField(default=120)
    # adherence (and its proportion of days covered) is counted from this patient-local day on
    starts_on = models.DateField(default=dt.date.today)

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} at {', '.join(t.strftime('%H:%M') for t in self.times)}"


class ClinicalNote(models.Model):
    """A clinician's note on a patient, with the care-management minutes it took (RPM programs bill by month)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    text = models.TextField(blank=True)
    minutes = models.PositiveSmallIntegerField(default=0, help_text="care-management time spent")

    class Meta:
        ordering = ["-written_at"]
        indexes = [models.Index(fields=["patient", "-written_at"], name="clinical_note_by_patient")]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | Q(minutes__gt=0), name="clinical_note_has_text_or_time"),
        ]

    def __str__(self) -> str:
        return f"Note on {self.patient_id} at {self.written_at:%Y-%m-%d %H:%M}"


class CareTimeEntry(models.Model):
    """Time a clinician spent managing a patient's remote monitoring (CMS 99470/99457/99458 count it by calendar
    month): from the patient page's timer (`minutes` null while it runs) or entered by hand."""

    class Activity(models.TextChoices):
        REVIEW = "review", "Data review"
        CALL = "call", "Call with the patient"
        COORDINATION = "coordination", "Care coordination"
        EDUCATION = "education", "Patient education"
        OTHER = "other", "Other"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_time")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_time")
    started_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    activity = models.CharField(max_length=20, choices=Activity.choices, default=Activity.REVIEW)
    # CMS: treatment management needs at least one real-time interactive communication with the patient a month
    interactive = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["patient", "started_at"], name="care_time_by_patient")]
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], condition=Q(minutes__isnull=True),
                                    name="one_running_timer_per_clinician_and_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.patient_id} by {self.clinician_id} at {self.started_at:%Y-%m-%d %H:%M}"


class DeviceSupplyClaim(models.Model):
    """Another practitioner's bill for this patient's device supply in one 30-day period, recorded by the
    programme (from a payer's answer or a referral): CMS lets one practitioner bill 99453/99445/99454 a period."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="device_supply_claims")
    period_start = models.DateField()
    practitioner = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.practitioner} billed {self.patient_id} for the period from {self.period_start}"


class BreakGlassAccess(models.Model):
    """A clinician's emergency access to a patient outside their care teams: a reason, a time limit, audited, and
    the patient's team is told. patients_visible_to() honours it while it lasts, on every path."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "-expires_at"], name="break_glass_by_user")]

    def __str__(self) -> str:
        return f"{self.user} on patient {self.patient_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """An in-app notice to one staff member (break-glass access to their patient, an admin taking a clinical
    role): shown on their dashboard until read. Written by clinic.notifiers.InAppNotifier."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=40)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notice_by_recipient")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"
