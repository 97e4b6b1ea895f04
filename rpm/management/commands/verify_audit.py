"""Verify the audit trail's hash chain and name the first row where it breaks (exit status 1)."""

from django.core.management.base import BaseCommand, CommandError

from rpm.audit_chain import CHAINED_FIELDS, first_break
from rpm.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; names the first broken row."

    def handle(self, *args, **options):
        rows = AuditEvent.objects.order_by("id").values("id", "prev_hash", "hash", *CHAINED_FIELDS)
        broken = first_break(rows.iterator(chunk_size=5000))
        if broken is not None:
            row_id, why = broken
            raise CommandError(f"audit chain broken at row #{row_id}: {why}")
        self.stdout.write(f"audit chain intact: {rows.count()} rows")
