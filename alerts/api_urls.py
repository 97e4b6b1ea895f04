"""Staff API routes of this app, mounted under /api/v1/."""

from django.urls import path

from alerts import api

urlpatterns = [
    path("alerts/", api.alert_list, name="api-alert-list"),
    path("alerts/<int:alert_id>/acknowledge/", api.acknowledge, name="api-alert-acknowledge"),
    path("alerts/<int:alert_id>/resolve/", api.resolve, name="api-alert-resolve"),
    path("alerts/<int:alert_id>/assign/", api.assign, name="api-alert-assign"),
    path("alerts/<int:alert_id>/snooze/", api.snooze, name="api-alert-snooze"),
    path("alerts/<int:alert_id>/unsnooze/", api.unsnooze, name="api-alert-unsnooze"),
    path("alerts/<int:alert_id>/notes/", api.notes, name="api-alert-notes"),
    path("alerts/rule-snoozes/", api.snooze_rule, name="api-alert-rule-snooze"),
    path("alerts/reviews/", api.reviews, name="api-alert-reviews"),
]
