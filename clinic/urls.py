"""Page routes of the clinicians' screens."""

from django.urls import path

from clinic import handover_views, preferences, programme_views, stay_views, views

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
    path("notices/<int:notice_id>/read/", views.dismiss_notice, name="notice-read"),
    path("patients/<int:patient_id>/break-glass/", views.break_glass, name="patient-break-glass"),
    path("patients/<int:patient_id>/notes/", views.add_note, name="patient-add-note"),
    path("patients/<int:patient_id>/thresholds/<int:rule_id>/", views.set_threshold, name="patient-set-threshold"),
    path("patients/<int:patient_id>/news2-settings/", views.set_news2_settings, name="patient-news2-settings"),
]
urlpatterns += [
    path("patients/<int:patient_id>/care-time/timer/start/", views.care_time_timer, {"action": "start"},
         name="patient-care-time-start"),
    path("patients/<int:patient_id>/care-time/timer/stop/", views.care_time_timer, {"action": "stop"},
         name="patient-care-time-stop"),
    path("patients/<int:patient_id>/care-time/", views.care_time_entry, name="patient-care-time"),
    path("patients/<int:patient_id>/care-time/<int:entry_id>/", views.care_time_entry,
         name="patient-care-time-correct"),
    path("programme/billing/", programme_views.billing_page, name="programme-billing"),
    path("programme/billing/claims/", programme_views.record_outside_claim, name="programme-outside-claim"),
    path("programme/billing.csv", programme_views.billing_csv, name="programme-billing-csv"),
    path("programme/worklist/", programme_views.worklist_page, name="programme-worklist"),
    path("programme/population/", programme_views.population_page, name="programme-population"),
    path("programme/worklist/<int:patient_id>/called/", programme_views.called_patient, name="programme-called"),
]
