from django.contrib import admin

from alerts.models import Alert, AlertNote, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "metric", "severity", "scope", "condition", "patient", "enabled"]
    list_filter = ["kind", "severity", "scope", "enabled", "metric"]
    search_fields = ["name", "patient__mrn"]
    raw_id_fields = ["patient", "overrides"]


class NoteInline(admin.TabularInline):
    model = AlertNote
    extra = 0


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "rule", "severity", "state", "opened_at", "escalation_level"]
    list_filter = ["state", "severity", "rule__kind"]
    search_fields = ["patient__mrn", "explanation"]
    raw_id_fields = ["patient", "rule", "acknowledged_by", "resolved_by"]
    inlines = [NoteInline]
