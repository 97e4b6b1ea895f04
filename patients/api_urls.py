"""Staff API routes of this app, mounted under /api/v1/."""

from django.urls import path

from patients import api

urlpatterns = [
    path("patients/", api.patient_list, name="api-patient-list"),
    path("patients/<int:patient_id>/", api.patient_detail, name="api-patient-detail"),
]
