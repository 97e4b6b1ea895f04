"""Page routes of this app: the admin device pages."""

from django.urls import path

from devices import views

urlpatterns = [
    path("devices/", views.inventory, name="device-inventory"),
    path("devices/new/", views.register, name="device-register"),
    path("devices/import/", views.import_csv, name="device-import"),
    path("devices/<int:device_id>/", views.device_detail, name="device-detail"),
    path("devices/<int:device_id>/enrol/", views.enrol, name="device-enrol"),
    path("devices/<int:device_id>/unenrol/", views.unenrol, name="device-unenrol"),
    path("devices/<int:device_id>/retire/", views.retire, name="device-retire"),
    path("devices/<int:device_id>/return/", views.return_to_inventory, name="device-return"),
    path("devices/<int:device_id>/token/", views.rotate_token, name="device-rotate-token"),
    path("devices/<int:device_id>/revoke/", views.revoke_token, name="device-revoke-token"),
]
