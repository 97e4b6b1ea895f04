"""Page routes of the clinicians' screens."""

from django.urls import path

from clinic import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/<int:patient_id>/", views.patient_page, name="patient-page"),
    path("notices/<int:notice_id>/read/", views.dismiss_notice, name="notice-read"),
    path("patients/<int:patient_id>/break-glass/", views.break_glass, name="patient-break-glass"),
    path("patients/<int:patient_id>/notes/", views.add_note, name="patient-add-note"),
    path("patients/<int:patient_id>/thresholds/<int:rule_id>/", views.set_threshold, name="patient-set-threshold"),
    path("patients/<int:patient_id>/news2-settings/", views.set_news2_settings, name="patient-news2-settings"),
]
