from django.contrib import admin

from alerts.models import Alert, AlertNote, AlertRule
from rpm.admin_access import ClinicalAdmin, ClinicalInline


@admin.register(AlertRule)
class AlertRuleAdmin(ClinicalAdmin):
    list_display = ["name", "kind", "metric", "severity", "scope", "condition", "patient", "enabled"]
    list_filter = ["kind", "severity", "scope", "enabled", "metric"]
    search_fields = ["name", "patient__mrn"]
    raw_id_fields = ["patient", "overrides"]


class NoteInline(ClinicalInline):
    model = AlertNote


@admin.register(Alert)
class AlertAdmin(ClinicalAdmin):
    list_display = ["id", "patient", "rule", "severity", "state", "opened_at", "escalation_level"]
    list_filter = ["state", "severity", "rule__kind"]
    search_fields = ["patient__mrn", "explanation"]
    raw_id_fields = ["patient", "rule", "acknowledged_by", "resolved_by"]
    inlines = [NoteInline]
