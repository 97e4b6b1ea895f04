from django.apps import AppConfig


class RpmConfig(AppConfig):
    name = "rpm"
    verbose_name = "RPM core (audit trail)"
