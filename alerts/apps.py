from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from alerts import receivers  # noqa: F401  (connects to readings_stored)
        from alerts import live  # noqa: F401  (the live push's readings_stored receiver)
