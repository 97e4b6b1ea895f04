"""Device inventory, enrolment, credentials and the readings devices send."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from rpm.metrics import DEVICE_KINDS, METRICS, OK, QUALITIES


class Device(models.Model):
    class Status(models.TextChoices):
        INVENTORY = "inventory"
        ACTIVE = "active"
        RETIRED = "retired"

    serial = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=40, choices=[(k, k.replace("_", " ")) for k in DEVICE_KINDS])
    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVENTORY)
    # telemetry the device reports with its readings (devices.telemetry): battery and signal in %, firmware
    battery_level = models.PositiveSmallIntegerField(null=True, blank=True)
    firmware = models.CharField(max_length=50, blank=True)
    signal_strength = models.PositiveSmallIntegerField(null=True, blank=True)
    telemetry_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["serial"]

    def __str__(self) -> str:
        return f"{self.serial} ({self.kind})"


class DeviceAssignment(models.Model):
    """A device lent to a patient from `started_at` until `ended_at` (null while current)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="device_assignments")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(ended_at__isnull=True),
                                    name="one_current_assignment"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="assignment_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.device} -> {self.patient}"


class DeviceCredential(models.Model):
    """A device's secret, stored as a hash. The secret itself is shown once, at issue."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.device.serial}"


class Reading(models.Model):
    """One measurement. The table is partitioned by month of `measured_at` (devices.partitions; migration 0004):
    its primary key in the database is (id, measured_at), ids still come from one sequence and are unique."""

    class Source(models.TextChoices):
        DEVICE_API = "api"
        FHIR = "fhir"
        MQTT = "mqtt"
        HL7V2 = "hl7v2"
        MANUAL = "manual"
        SEED = "seed"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="readings")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="readings")
    metric = models.CharField(max_length=30, choices=[(code, m.display) for code, m in METRICS.items()])
    value = models.FloatField()
    unit = models.CharField(max_length=20)
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    device_message_id = models.CharField(max_length=100, null=True, blank=True)
    # "implausible": outside the metric's plausible range but possible; kept out of scores and bands
    quality = models.CharField(max_length=12, choices=[(q, q) for q in QUALITIES], default=OK, db_default=OK)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # one reading per device message id: ReadingMessage (a unique index here would have to include
            # measured_at, the partition key, and so would let a retry with another time through)
            models.CheckConstraint(condition=Q(value__lt=float("inf")) & Q(value__gt=float("-inf")),
                                   name="reading_value_finite"),
        ]
        indexes = [
            # "this patient, this metric, newest first" and chart ranges read from the index alone
            models.Index(fields=["patient", "metric", "-measured_at"], include=["value", "quality"],
                         name="reading_series"),
            # the sweep finds what the alert engine has not seen yet
            models.Index(fields=["received_at"], condition=Q(evaluated_at__isnull=True), name="reading_unevaluated"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value}{self.unit} at {self.measured_at:%Y-%m-%d %H:%M}"


class ReadingMessage(models.Model):
    """The device message id a reading was stored under: the key that makes a device's retries idempotent.
    Written in the same statement as the reading (devices.ingest); dropped with the reading's partition."""

    pk = models.CompositePrimaryKey("device_id", "message_id")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=100)
    reading_id = models.BigIntegerField()
    measured_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.device_id}/{self.message_id} -> reading {self.reading_id}"


class IngestRejection(models.Model):
    """A reading a device sent that was refused, kept so an admin can tell a broken device from a sick patient."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="rejections")
    at = models.DateTimeField(auto_now_add=True)
    device_message_id = models.CharField(max_length=100, blank=True)
    errors = models.JSONField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["device", "-at"], name="rejection_by_device")]

    def __str__(self) -> str:
        return f"{self.device_id} rejected {self.device_message_id or '(no id)'} at {self.at:%Y-%m-%d %H:%M}"
