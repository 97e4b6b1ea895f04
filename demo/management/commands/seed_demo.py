"""python manage.py seed_demo [--password X] [--patients N]: synthetic demo data (development only)."""

import time

from django.core.management.base import BaseCommand, CommandError

from demo import data as demo


class Command(BaseCommand):
    help = "Create demo wards, users, fake patients, devices and 30 days of readings. Refuses in production."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password of the demo users (default: generated and printed)")
        parser.add_argument("--patients", type=int, default=12, help="how many fake patients (default 12)")
        parser.add_argument("--days", type=int, default=30, help="days of history (default 30)")

    def handle(self, *args, password=None, patients=12, days=30, **options):
        started = time.monotonic()
        try:
            result = demo.seed_demo(password=password, patients=patients, days=days)
        except demo.DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {result.patients} patients, {result.devices} devices and {result.readings:,} readings "
            f"in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"Demo logins: {', '.join(demo.DEMO_USERS)}")
        if password is None:
            self.stdout.write(f"Password (generated): {result.password}")
        self.stdout.write(f"Device tokens for the simulator (demo only): {result.tokens_file}")
