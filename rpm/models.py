"""The audit trail: who viewed, exported or changed which patient's data."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view"
        EXPORT = "export"
        CREATE = "create"
        CHANGE = "change"
        DELETE = "delete"
        ALERT = "alert"  # acknowledge, resolve, escalate, note: the verb goes in `verb`
        LOGIN = "login"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="audit_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    verb = models.CharField(max_length=60, help_text="what was done, e.g. 'patient.detail' or 'device.assign'")
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="audit_events")
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True, help_text="the address the request came from")
    user_agent = models.CharField(max_length=255, blank=True)
    # the hash chain (rpm.audit_chain): the previous row's hash, and this row's over its content and that
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "-at"], name="audit_by_patient"),
                   models.Index(fields=["actor", "-at"], name="audit_by_actor")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.verb}"
