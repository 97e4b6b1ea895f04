"""Page routes of the clinicians' screens."""

from django.urls import path

from clinic import handover_views, preferences, stay_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("handover/", handover_views.handover_page, name="handover"),
    path("preferences/units/", preferences.display_units, name="display-units"),
    path("patients/", stay_views.patient_list, name="patient-list"),
    path("patients/admit/", stay_views.admit, name="patient-admit"),
    path("patients/<int:patient_id>/", views.patient_page, name="patient-page"),
    path("patients/<int:patient_id>/plan/", stay_views.monitoring_plan, name="patient-plan"),
    path("patients/<int:patient_id>/pause/", stay_views.change_status, {"action": "pause"}, name="patient-pause"),
    path("patients/<int:patient_id>/resume/", stay_views.change_status, {"action": "resume"}, name="patient-resume"),
    path("patients/<int:patient_id>/discharge/", stay_views.change_status, {"action": "discharge"},
         name="patient-discharge"),
    path("patients/<int:patient_id>/notes/", views.add_note, name="patient-add-note"),
    path("patients/<int:patient_id>/thresholds/<int:rule_id>/", views.set_threshold, name="patient-set-threshold"),
    path("patients/<int:patient_id>/news2-settings/", views.set_news2_settings, name="patient-news2-settings"),
]
