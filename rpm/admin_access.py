"""Who may do what in Django admin (/django-admin/).

Admins (the `admin` group, staff but not superusers) run the fleet, the care teams and the configuration there
and see no clinical data: clinical models are absent for them. A superuser is kept for emergencies only: it reads
clinical models, never changes them, and every page it opens is audited.
"""

from __future__ import annotations

from django.contrib import admin

from rpm import audit
from rpm.models import AuditEvent
from rpm.roles import is_admin


def _operator(request) -> bool:
    return request.user.is_active and request.user.is_staff and is_admin(request.user)


class OperationsAdmin(admin.ModelAdmin):
    """Devices, care teams, configuration: the admin role manages them in full."""

    def has_module_permission(self, request) -> bool:
        return _operator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _operator(request)

    def has_add_permission(self, request) -> bool:
        return _operator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _operator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _operator(request)


class OperationsInline(admin.TabularInline):
    def has_view_permission(self, request, obj=None) -> bool:
        return _operator(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return _operator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _operator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _operator(request)


def _emergency(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class ClinicalAdmin(admin.ModelAdmin):
    """Clinical data: absent for admins; the emergency superuser reads it, audited, and changes nothing here
    (changes go through the clinicians' pages, which validate, audit and alert)."""

    def has_module_permission(self, request) -> bool:
        return _emergency(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _emergency(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="django_admin.list",
                         detail={"model": self.model._meta.label_lower, "query": request.GET.urlencode()[:200]})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            obj = self.get_object(request, object_id)
            patient_id = obj.pk if self.model._meta.label_lower == "patients.patient" else getattr(
                obj, "patient_id", None)
            audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="django_admin.view",
                         patient_id=patient_id, target=obj)
        return response


class ClinicalInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
