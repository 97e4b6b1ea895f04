from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self) -> None:
        # a discharge returns the patient's devices to inventory (patients.signals.patient_discharged)
        from devices import receivers  # noqa: F401
