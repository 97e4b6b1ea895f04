"""WebSocket URL routes."""

from django.urls import path

from clinic.consumers import DashboardConsumer

websocket_urlpatterns: list = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
