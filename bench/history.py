"""Chart history benchmark: server time of the readings API and of the whole patient page.

Run with the embedded services (or DATABASE_URL / REDIS_URL set):

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/history.py

It creates a throwaway database `rpm_bench_history` (dropped and recreated on every run; BENCH_KEEP=1 leaves
it for a look afterwards) and uses Redis database 14, then loads one synthetic patient with one reading a minute
for 90 days of heart rate, SpO2, respiratory rate and blood pressure (about 130,000 rows per metric) by COPY.
In one run it measures, in-process through Django's full request stack (middleware, session auth, view, audit
row, JSON):

  (a) GET /api/v1/patients/{id}/readings/?metric=heart_rate&max_points=1500 over 30 days (43,200 rows) and
      90 days (129,600 rows), p50 and p95;
  (b) beside them, the baselines on the same rows in the same run: a bare SQL fetch of the raw rows with
      psycopg (`fetchall`), and the packed bytea fetch the API itself uses;
  (c) the whole patient page: the HTML plus its four charts' data (30 days each, one a minute), summed.

Aims (issue 6): 30 days p95 <= 150 ms, 90 days p95 <= 250 ms, page with four charts <= 500 ms.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "rpm_bench_history"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 40))
WARMUP = 3
DAYS = 90
METRICS = {"heart_rate": (72, 18, "/min"), "spo2": (96, 2, "%"), "respiratory_rate": (16, 3, "/min"),
           "systolic_bp": (132, 14, "mm[Hg]"), "diastolic_bp": (84, 8, "mm[Hg]")}


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def ensure_services() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from config import embedded

        embedded.start_missing()


def recreate_database() -> None:
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = with_database(admin_url, BENCH_DB)
    redis = urllib.parse.urlsplit(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = urllib.parse.urlunsplit(redis._replace(path="/14"))
    os.environ["CHANNEL_PREFIX"] = "bench-history"
    os.environ.setdefault("RPM_ENV", "development")


def load(patient_id: int, end: dt.datetime) -> int:
    """One reading a minute per metric for DAYS days before `end`, a daily wave plus noise and a few spikes."""
    import numpy as np
    from django.db import connection

    minutes = DAYS * 1440
    t = np.arange(minutes)
    rng = np.random.default_rng(7)
    start = end - dt.timedelta(minutes=minutes)
    times = [start + dt.timedelta(minutes=int(i)) for i in t]
    total = 0
    with connection.cursor() as cursor:
        for metric, (mid, spread, unit) in METRICS.items():
            values = mid + spread * 0.5 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, spread * 0.2, minutes)
            values[rng.integers(0, minutes, 20)] += spread * 3  # spikes the chart must keep
            values = np.round(values, 1)
            buffer = io.StringIO()
            for at, value in zip(times, values.tolist(), strict=True):
                buffer.write(f"{patient_id}\t{metric}\t{value}\t{unit}\t{at.isoformat()}\t{at.isoformat()}\tseed\n")
            with cursor.cursor.copy("COPY devices_reading (patient_id, metric, value, unit, measured_at, received_at, "
                                    "source) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            total += minutes
        cursor.execute("VACUUM ANALYZE devices_reading")
    return total


def timed(fn, rounds: int = ROUNDS) -> list[float]:
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(label: str, samples: list[float], extra: str = "") -> None:
    print(f"  {label:<58} p50 {p(samples, 0.5):7.1f} ms   p95 {p(samples, 0.95):7.1f} ms {extra}")


def main() -> None:
    ensure_services()
    recreate_database()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from devices.readings import raw_series
    from patients.models import CareTeam, CareTeamMembership, ExpectedMeasurement, MonitoringPlan, Patient

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    team = CareTeam.objects.create(name="Bench ward")
    user = User.objects.create_user("bench-physician", password="bench-password-123")
    user.groups.add(Group.objects.get_or_create(name="physician")[0])
    CareTeamMembership.objects.create(user=user, care_team=team, role="physician")
    patient = Patient.objects.create(mrn="BENCH-1", given_name="Bench", family_name="Synthetic",
                                     birth_date=dt.date(1950, 1, 1), sex="female", timezone="Europe/London",
                                     conditions=["hypertension"], care_team=team)
    plan = MonitoringPlan.objects.create(patient=patient)
    for metric in ("heart_rate", "systolic_bp"):
        ExpectedMeasurement.objects.create(plan=plan, metric=metric)
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    began = time.perf_counter()
    rows = load(patient.id, end)
    print(f"loaded {rows:,} readings in {time.perf_counter() - began:.1f} s into {BENCH_DB}; "
          f"{ROUNDS} rounds after {WARMUP} warm-up, server time in-process (Django test client)\n")

    client = Client()
    client.force_login(user)
    url = f"/api/v1/patients/{patient.id}/readings/"
    sql = ("SELECT measured_at, value FROM devices_reading WHERE patient_id = %s AND metric = %s "
           "AND measured_at >= %s AND measured_at < %s ORDER BY measured_at")
    results = {}
    for days in (30, 90):
        start = end - dt.timedelta(days=days)
        params = {"metric": "heart_rate", "start": start.isoformat(), "end": end.isoformat(), "max_points": "1500"}
        body = client.get(url, params).json()["series"]["heart_rate"]
        print(f"{days} days: {body['raw_count']:,} raw rows -> {len(body['v'])} points")

        def bare_sql(start=start):
            with connection.cursor() as cursor:
                cursor.execute(sql, [patient.id, "heart_rate", start, end])
                return cursor.fetchall()

        line("bare SQL fetch of the raw rows (psycopg fetchall)", timed(bare_sql))
        line("packed fetch into numpy (what the API uses)",
             timed(lambda start=start: raw_series(patient_id=patient.id, metric="heart_rate", start=start, end=end)))
        api = timed(lambda params=params: client.get(url, params))
        results[days] = api
        line("readings API, max_points=1500 (whole request)", api)
        print()

    start = end - dt.timedelta(days=30)
    chart_params = [{"metric": m, "start": start.isoformat(), "end": end.isoformat(), "max_points": "1500"}
                    for m in ("heart_rate", "spo2", "respiratory_rate", "blood_pressure")]
    html = timed(lambda: client.get(f"/patients/{patient.id}/"))
    charts = timed(lambda: [client.get(url, q) for q in chart_params])
    whole = timed(lambda: (client.get(f"/patients/{patient.id}/"), [client.get(url, q) for q in chart_params]))
    print("patient page, four charts of 30 days at one a minute (BP = systolic + diastolic):")
    line("page HTML", html)
    line("four charts' data (sequential)", charts)
    line("whole page: HTML + four charts", whole)
    print()
    for label, samples, aim in (("30 d readings API", results[30], 150), ("90 d readings API", results[90], 250),
                                ("whole page", whole, 500)):
        print(f"aim {label} p95 <= {aim} ms: {p(samples, .95):.1f} ms, {'met' if p(samples, .95) <= aim else 'MISSED'}")
    connection.close()
    if os.environ.get("BENCH_KEEP"):
        return
    with psycopg.connect(with_database(os.environ["DATABASE_URL"], "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
