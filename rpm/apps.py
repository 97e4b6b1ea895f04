from django.apps import AppConfig


class RpmConfig(AppConfig):
    name = "rpm"
    verbose_name = "RPM core (audit trail)"

    def ready(self) -> None:
        # the live sockets of a session close at sign-out, and all of a user's at deactivation (rpm.sessions)
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import post_save

        from rpm import (
            sessions,
            sign_in_audit,  # noqa: F401  (connects the sign-in receivers)
        )

        user_logged_in.connect(sessions.on_signed_in, dispatch_uid="rpm-session-signed-in")
        user_logged_out.connect(sessions.on_signed_out, dispatch_uid="rpm-session-signed-out")
        post_save.connect(sessions.on_user_saved, sender=get_user_model(), dispatch_uid="rpm-user-deactivated")
