from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        # connect the readings_stored receivers: the live push and the alert engine
        from alerts import live, receivers  # noqa: F401
