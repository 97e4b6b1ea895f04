from django.apps import AppConfig


class RpmConfig(AppConfig):
    name = "rpm"
    verbose_name = "RPM core (audit trail)"

    def ready(self) -> None:
        from rpm import sign_in_audit  # noqa: F401  (connects the sign-in receivers)
