from django.contrib import admin

from rpm.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "verb", "patient", "object_type", "object_id", "ip"]
    list_filter = ["action", "verb"]
    search_fields = ["actor__username", "patient__mrn", "object_id"]
    raw_id_fields = ["actor", "patient"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False  # rows are written by the paths they describe, never by hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the trail is append-only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
