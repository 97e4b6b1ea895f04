"""The corrected defaults of ../shared/clinical/thresholds.md: the safety net for every patient (crisis blood
pressure and level-2 hypoglycaemia no longer only for a condition), inclusive boundaries as the sources write
them, the scale 2 high band, per-reading judgement of spot checks, implausible readings and silent continuous
monitors. Rules are refreshed in place, so patients' overrides follow them; averages get their own kind."""

from django.db import migrations


def refresh(apps, schema_editor):
    from alerts.defaults import install_default_rules

    AlertRule = apps.get_model("alerts", "AlertRule")
    for rule in AlertRule.objects.filter(kind="threshold"):
        if isinstance(rule.params, dict) and rule.params.get("average_days"):
            AlertRule.objects.filter(pk=rule.pk).update(kind="average")
    install_default_rules(AlertRule)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_alert_recovery_and_reopen")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
