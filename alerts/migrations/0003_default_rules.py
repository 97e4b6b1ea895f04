"""Default rule sets per condition from ../shared/clinical/thresholds.md (see alerts/defaults.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from alerts.defaults import install_default_rules

    install_default_rules(apps.get_model("alerts", "AlertRule"))


def remove(apps, schema_editor):
    from alerts.defaults import DEFAULT_RULES

    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.filter(patient=None, name__in=[r["name"] for r in DEFAULT_RULES], alerts=None).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_alert_trigger_key_last_reading_at")]

    operations = [migrations.RunPython(install, remove)]
