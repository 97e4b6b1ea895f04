from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import views
from devices.device_api import post_readings
from rpm import sessions
from staff import account_views, auth_api

api_v1 = [
    path("readings/", post_readings, name="device-readings"),
    path("auth/token/", auth_api.obtain_token, name="api-token"),
    path("auth/logout/", auth_api.sign_out, name="api-logout"),
    path("auth/tokens/", auth_api.token_list, name="api-tokens"),
    path("auth/tokens/<str:token_id>/", auth_api.token_revoke, name="api-token-revoke"),
    path("", include("clinic.api_urls")),
    path("", include("devices.api_urls")),
    path("", include("staff.api_urls")),
    path("", include("alerts.api_urls")),
]

handler404 = "rpm.api_errors.not_found"
handler500 = "rpm.api_errors.server_error"

urlpatterns = [
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", account_views.two_factor_setup, name="two-factor-setup"),
    path("session/keep-alive/", sessions.keep_alive, name="session-keep-alive"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("fhir/", include("devices.fhir.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("django-admin/", admin.site.urls),
    path("", include("clinic.urls")),
    path("", include("devices.urls")),
    path("", include("staff.urls")),
]
