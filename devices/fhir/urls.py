"""FHIR R4 routes, mounted under /fhir/ (config.urls)."""

from django.urls import path, re_path

from devices.fhir import views

urlpatterns = [
    path("", views.System.as_view(), name="fhir-system"),
    path("metadata", views.Metadata.as_view(), name="fhir-metadata"),
    path("Patient", views.PatientSearch.as_view(), name="fhir-patient-search"),
    path("Patient/<str:resource_id>", views.PatientRead.as_view(), name="fhir-patient"),
    path("Observation", views.ObservationType.as_view(), name="fhir-observation-type"),
    path("Observation/<str:resource_id>", views.ObservationRead.as_view(), name="fhir-observation"),
    path("Device", views.DeviceSearch.as_view(), name="fhir-device-search"),
    path("Device/<str:resource_id>", views.DeviceRead.as_view(), name="fhir-device"),
    re_path(r"^.*$", views.Unknown.as_view(), name="fhir-unknown"),
]
