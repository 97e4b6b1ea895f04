from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from config import views
from devices.device_api import post_readings

api_v1 = [
    path("readings/", post_readings, name="device-readings"),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include("clinic.api_urls")),
    path("", include("devices.api_urls")),
    path("", include("staff.api_urls")),
    path("", include("alerts.api_urls")),
]

handler404 = "rpm.api_errors.not_found"
handler500 = "rpm.api_errors.server_error"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("fhir/", include("devices.fhir.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("django-admin/", admin.site.urls),
    path("", include("clinic.urls")),
    path("", include("devices.urls")),
    path("", include("staff.urls")),
]
