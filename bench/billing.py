"""Programme benchmark: server time of the monthly billing report and the outreach worklist, beside a baseline.

Run with the embedded services (or DATABASE_URL / REDIS_URL set):

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/billing.py

It creates a throwaway database `rpm_bench_billing` (dropped and recreated on every run; BENCH_KEEP=1 leaves it)
and loads BENCH_PATIENTS synthetic patients (default 200) enrolled 75 days ago: one in ten on a multiparameter
monitor (heart rate, SpO2, respiratory rate every BENCH_STEP_MINUTES, default 5), the rest with a blood pressure
cuff twice a day, a few days missed at random. In one run it measures, in-process:

  (a) the billing report (clinic.billing.billing_report) for this month, every patient, p50 and p95;
  (b) the outreach worklist (clinic.worklist.outreach_worklist);
  (c) beside them, the baseline in the same run: one GROUP BY that counts distinct local days of device data per
      patient over the same 30 days by scanning the rows (what the per-day EXISTS probes avoid).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from history import ensure_services, line, p, timed, with_database  # noqa: E402

BENCH_DB = "rpm_bench_billing"
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 200))
STEP = int(os.environ.get("BENCH_STEP_MINUTES", 5))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 10))
DAYS = 75


def recreate_database() -> None:
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = with_database(admin_url, BENCH_DB)
    os.environ.setdefault("RPM_ENV", "development")


def load(patients, devices, end: dt.datetime) -> int:
    from django.db import connection

    rng = random.Random(15)
    start = end - dt.timedelta(days=DAYS)
    buffer = io.StringIO()
    total = 0
    for index, (patient, device) in enumerate(zip(patients, devices, strict=True)):
        skipped = {rng.randrange(DAYS) for _ in range(rng.randrange(0, 25))}
        continuous = index % 10 == 0
        step = dt.timedelta(minutes=STEP) if continuous else dt.timedelta(hours=12)
        metrics = ("heart_rate", "spo2", "respiratory_rate") if continuous else ("systolic_bp",)
        at = start
        while at < end:
            if (at - start).days not in skipped:
                for metric in metrics:
                    buffer.write(f"{patient.id}\t{device.id}\t{metric}\t{80}\t/min\t{at.isoformat()}\t"
                                 f"{at.isoformat()}\tapi\n")
                    total += 1
            at += step
    with connection.cursor() as cursor:
        with cursor.cursor.copy("COPY devices_reading (patient_id, device_id, metric, value, unit, measured_at, "
                                "received_at, source) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("VACUUM ANALYZE devices_reading")
    return total


def main() -> None:
    ensure_services()
    recreate_database()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    from clinic.billing import billing_report
    from clinic.worklist import outreach_worklist
    from devices.models import Device, DeviceAssignment
    from patients.models import CareTeam, Patient

    call_command("migrate", verbosity=0)
    team = CareTeam.objects.create(name="Bench ward")
    manager = User.objects.create_user("bench-manager", password="bench-password-123")
    manager.groups.add(Group.objects.get_or_create(name="programme")[0])
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"BENCH-{i:05d}", given_name="Bench", family_name=f"Synthetic{i}", birth_date=dt.date(1950, 1, 1),
                timezone="Europe/London", care_team=team) for i in range(PATIENTS))
    devices = Device.objects.bulk_create(
        Device(serial=f"BENCH-DEV-{i:05d}", kind="multiparameter_monitor" if i % 10 == 0 else "blood_pressure_monitor",
               status="active") for i in range(PATIENTS))
    DeviceAssignment.objects.bulk_create(
        DeviceAssignment(device=d, patient=pt, started_at=end - dt.timedelta(days=DAYS))
        for pt, d in zip(patients, devices, strict=True))
    began = time.perf_counter()
    rows = load(patients, devices, end)
    print(f"loaded {PATIENTS} patients and {rows:,} readings in {time.perf_counter() - began:.1f} s into {BENCH_DB};"
          f" {ROUNDS} rounds, server time in-process\n")

    report = billing_report(user=manager, year=end.year, month=end.month)
    print(f"report for {report.label}: {len(report.rows)} rows, totals {report.totals}")
    since = end - dt.timedelta(days=30)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT patient_id, count(DISTINCT (measured_at AT TIME ZONE 'Europe/London')::date) "
                           "FROM devices_reading WHERE patient_id = ANY(%s) AND measured_at >= %s "
                           "AND device_id IS NOT NULL AND source <> 'manual' GROUP BY 1",
                           [[pt.id for pt in patients], since])
            return cursor.fetchall()

    line("baseline: GROUP BY distinct local days over 30 days (scan)", timed(baseline, ROUNDS))
    reports = timed(lambda: billing_report(user=manager, year=end.year, month=end.month), ROUNDS)
    line("billing report, every patient", reports)
    line("outreach worklist, every patient", timed(lambda: outreach_worklist(user=manager, now=end), ROUNDS))
    print(f"\nper patient: billing report p50 {p(reports, .5) / PATIENTS:.2f} ms")
    connection.close()
    if os.environ.get("BENCH_KEEP"):
        return
    with psycopg.connect(with_database(os.environ["DATABASE_URL"], "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
