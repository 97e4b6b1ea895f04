from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Staff users, care-team membership and the audit-log page; no models of its own."""

    name = "staff"
    verbose_name = "Staff administration"

    def ready(self) -> None:
        from staff import role_watch  # noqa: F401  (connects the receivers that watch admins' roles)
