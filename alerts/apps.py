from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        # connect the readings_stored receiver that hands new readings to the engine
        from django.db.models.signals import post_delete, post_save

        from alerts import receivers  # noqa: F401
        from alerts.models import AlertRule
        from alerts.notifiers import notifiers
        from alerts.selectors import forget_rules

        # this process sees its own rule changes at once; other processes within RULES_RECHECK_SECONDS
        post_save.connect(forget_rules, sender=AlertRule, dispatch_uid="alerts.forget_rules.save")
        post_delete.connect(forget_rules, sender=AlertRule, dispatch_uid="alerts.forget_rules.delete")
        notifiers()  # a notifier that cannot run says so when the process starts, not at the first alert
