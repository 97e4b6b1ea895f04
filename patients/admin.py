from django.contrib import admin

from patients.models import (
    CareTeam,
    CareTeamMembership,
    ExpectedMeasurement,
    MedicationSchedule,
    MonitoringPlan,
    Patient,
)


class MembershipInline(admin.TabularInline):
    model = CareTeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["mrn", "family_name", "given_name", "birth_date", "status", "care_team", "conditions"]
    list_filter = ["status", "care_team", "sex"]
    search_fields = ["mrn", "family_name", "given_name"]
    readonly_fields = ["pregnant"]  # set with the NEWS2 settings on the patient page


class ExpectedInline(admin.TabularInline):
    model = ExpectedMeasurement
    extra = 0


class MedicationInline(admin.TabularInline):
    model = MedicationSchedule
    extra = 0


@admin.register(MonitoringPlan)
class MonitoringPlanAdmin(admin.ModelAdmin):
    list_display = ["patient", "spo2_scale", "on_supplemental_oxygen", "consciousness", "updated_at"]
    list_filter = ["spo2_scale", "on_supplemental_oxygen"]
    search_fields = ["patient__mrn", "patient__family_name"]
    inlines = [ExpectedInline, MedicationInline]
    # NEWS2 settings are a physician's decision, made on the patient page with a reason and audited
    readonly_fields = ["spo2_scale", "on_supplemental_oxygen", "consciousness", "spo2_target_low", "spo2_target_high",
                       "news2_prescriber", "news2_reason", "news2_set_by", "news2_set_at"]
