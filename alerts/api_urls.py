"""Staff API routes of this app, mounted under /api/v1/."""

from django.urls import path

from alerts import api

urlpatterns = [
    path("alerts/", api.alert_list, name="api-alert-list"),
    path("alerts/<int:alert_id>/acknowledge/", api.acknowledge, name="api-alert-acknowledge"),
    path("alerts/<int:alert_id>/resolve/", api.resolve, name="api-alert-resolve"),
]
