"""Staff API routes of this app, mounted under /api/v1/ (admins only)."""

from django.urls import path

from devices import api

urlpatterns = [
    path("devices/", api.device_list, name="api-device-list"),
    path("devices/import/", api.device_import, name="api-device-import"),
    path("devices/<int:device_id>/", api.device_detail, name="api-device-detail"),
    path("devices/<int:device_id>/assign/", api.device_assign, name="api-device-assign"),
    path("devices/<int:device_id>/unassign/", api.device_unassign, name="api-device-unassign"),
    path("devices/<int:device_id>/rotate-token/", api.device_rotate_token, name="api-device-rotate-token"),
    path("devices/<int:device_id>/revoke-token/", api.device_revoke_token, name="api-device-revoke-token"),
    path("devices/<int:device_id>/retire/", api.device_retire, name="api-device-retire"),
    path("devices/<int:device_id>/return-to-inventory/", api.device_return_to_inventory,
         name="api-device-return-to-inventory"),
    path("enrolment/patients/", api.enrolment_patients, name="api-enrolment-patients"),
]
