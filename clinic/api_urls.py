"""Staff API routes of this app, mounted under /api/v1/."""

from django.urls import path

from clinic import api, programme_api

urlpatterns = [
    path("patients/", api.patient_list, name="api-patient-list"),
    path("patients/<int:patient_id>/", api.patient_detail, name="api-patient-detail"),
    path("patients/<int:patient_id>/readings/", api.patient_readings, name="api-patient-readings"),
    path("patients/<int:patient_id>/export/csv/", api.export_csv, name="api-patient-export-csv"),
    path("patients/<int:patient_id>/export/fhir/", api.export_fhir, name="api-patient-export-fhir"),
    path("patients/<int:patient_id>/news2-settings/", api.news2_settings, name="api-patient-news2-settings"),
    path("patients/<int:patient_id>/break-glass/", api.break_glass, name="api-patient-break-glass"),
    path("patients/<int:patient_id>/rules/<int:rule_id>/backtest/", api.rule_backtest, name="api-rule-backtest"),
]
urlpatterns += [
    path("billing/", programme_api.billing_report, name="api-billing"),
]
