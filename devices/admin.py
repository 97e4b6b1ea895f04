from django.contrib import admin

from devices.models import Device, DeviceAssignment, DeviceCredential, IngestRejection, Reading
from rpm.admin_access import ClinicalAdmin, OperationsAdmin, OperationsInline


class AssignmentInline(OperationsInline):
    model = DeviceAssignment
    extra = 0
    raw_id_fields = ["patient"]


class CredentialInline(OperationsInline):
    model = DeviceCredential
    extra = 0
    fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # tokens are issued from the device page or API, which show the secret once


@admin.register(Device)
class DeviceAdmin(OperationsAdmin):
    list_display = ["serial", "kind", "manufacturer", "model", "status", "battery_level", "firmware", "last_seen_at"]
    list_filter = ["status", "kind", "manufacturer"]
    search_fields = ["serial", "model"]
    inlines = [AssignmentInline, CredentialInline]


@admin.register(DeviceAssignment)
class DeviceAssignmentAdmin(OperationsAdmin):
    list_display = ["device", "patient", "started_at", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["device__serial", "patient__mrn"]
    raw_id_fields = ["device", "patient"]


@admin.register(Reading)
class ReadingAdmin(ClinicalAdmin):
    list_display = ["patient", "metric", "value", "unit", "measured_at", "received_at", "source", "device"]
    list_filter = ["metric", "source"]
    search_fields = ["patient__mrn", "device__serial", "device_message_id"]
    raw_id_fields = ["patient", "device"]
    date_hierarchy = "measured_at"
    show_full_result_count = False  # counting millions of rows on every page load is slow


@admin.register(IngestRejection)
class IngestRejectionAdmin(ClinicalAdmin):
    list_display = ["device", "at", "device_message_id", "errors"]
    search_fields = ["device__serial"]
    raw_id_fields = ["device"]
