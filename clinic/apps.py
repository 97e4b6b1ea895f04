from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The clinicians' screens: the live dashboard, the patient page and the patient API."""

    name = "clinic"

    def ready(self) -> None:
        # the live push hears about every reading stored (devices.signals.readings_stored)
        from clinic import live  # noqa: F401
