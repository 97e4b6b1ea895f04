"""The audit trail becomes tamper-evident: where each request came from, a hash chain over every row (the rows
written before it are chained here, in id order), and a trigger that refuses UPDATE and DELETE."""

import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY = """
CREATE FUNCTION rpm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % of rpm_auditevent refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER rpm_audit_append_only BEFORE UPDATE OR DELETE ON rpm_auditevent
    FOR EACH ROW EXECUTE FUNCTION rpm_audit_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER rpm_audit_append_only ON rpm_auditevent;
DROP FUNCTION rpm_audit_append_only();
"""


def chain_existing_rows(apps, schema_editor):
    from rpm.audit_chain import CHAINED_FIELDS, GENESIS, row_hash

    AuditEvent = apps.get_model("rpm", "AuditEvent")
    prev_hash = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        fields = {name: getattr(event, name) for name in CHAINED_FIELDS}
        event.prev_hash, event.hash = prev_hash, row_hash(prev_hash, fields)
        event.save(update_fields=["prev_hash", "hash"])
        prev_hash = event.hash


class Migration(migrations.Migration):
    dependencies = [("rpm", "0002_roles")]

    operations = [
        migrations.AlterField("auditevent", "at",
                              models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
        migrations.AddField("auditevent", "ip", models.GenericIPAddressField(
            blank=True, null=True, help_text="the address the request came from")),
        migrations.AddField("auditevent", "user_agent", models.CharField(blank=True, max_length=255)),
        migrations.AddField("auditevent", "prev_hash", models.CharField(default="", editable=False, max_length=64),
                            preserve_default=False),
        migrations.AddField("auditevent", "hash", models.CharField(default="", editable=False, max_length=64),
                            preserve_default=False),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        # the rows' updates leave trigger events pending, and PostgreSQL alters no table that has some
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.AlterField("auditevent", "hash", models.CharField(editable=False, max_length=64, unique=True)),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
