"""Django admin for the record: admins run care teams and admit patients, and read no patient's record
(rpm.admin_access); the emergency superuser reads records, audited."""

from django.contrib import admin

from patients.models import (
    CareTeam,
    CareTeamMembership,
    ExpectedMeasurement,
    MedicationSchedule,
    MonitoringPlan,
    Patient,
)
from rpm import audit
from rpm.admin_access import ClinicalAdmin, ClinicalInline, OperationsAdmin, OperationsInline
from rpm.models import AuditEvent


class MembershipInline(OperationsInline):
    model = CareTeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(OperationsAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Patient)
class PatientAdmin(ClinicalAdmin):
    """Admins admit patients (add) and see none afterwards; the emergency superuser reads them."""

    list_display = ["mrn", "family_name", "given_name", "birth_date", "status", "care_team", "conditions"]
    list_filter = ["status", "care_team", "sex"]
    search_fields = ["mrn", "family_name", "given_name"]
    readonly_fields = ["pregnant"]  # set with the NEWS2 settings on the patient page

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or self.has_add_permission(request)

    def has_add_permission(self, request) -> bool:
        return OperationsAdmin.has_add_permission(self, request)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit.record(actor=request.user, action=AuditEvent.Action.CREATE, verb="patient.admit", patient=obj)


class ExpectedInline(ClinicalInline):
    model = ExpectedMeasurement


class MedicationInline(ClinicalInline):
    model = MedicationSchedule


@admin.register(MonitoringPlan)
class MonitoringPlanAdmin(ClinicalAdmin):
    list_display = ["patient", "spo2_scale", "on_supplemental_oxygen", "consciousness", "updated_at"]
    list_filter = ["spo2_scale", "on_supplemental_oxygen"]
    search_fields = ["patient__mrn", "patient__family_name"]
    inlines = [ExpectedInline, MedicationInline]
    # NEWS2 settings are a physician's decision, made on the patient page with a reason and audited
    readonly_fields = ["spo2_scale", "on_supplemental_oxygen", "consciousness", "spo2_target_low", "spo2_target_high",
                       "news2_prescriber", "news2_reason", "news2_set_by", "news2_set_at"]
