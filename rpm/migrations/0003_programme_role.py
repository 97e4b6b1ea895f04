from django.db import migrations


def create_programme_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="programme")


class Migration(migrations.Migration):
    dependencies = [("rpm", "0002_roles")]
    operations = [migrations.RunPython(create_programme_role, migrations.RunPython.noop)]
