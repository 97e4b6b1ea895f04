"""A year of data: the reads and the ingest that must not slow down as the partitioned readings table grows.

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/year.py [--readings N] [--rounds R]

It creates two throwaway databases (dropped and recreated on every run; BENCH_KEEP=1 leaves them) and uses Redis
database 14. Both hold the same people (2,000 patients in 50 wards, each with a device) and the same recent data:

  rpm_bench_year_small  (the baseline) one ward's last day, a reading every 5 min per patient and metric, and one
                        busy patient's last 31 days of heart rate at one a minute (the chart);
  rpm_bench_year        the same plus N more readings (default 50,000,000) spread over the past 365 days and every
                        patient, with message ids (so the message key table grows too), loaded by binary COPY into
                        the monthly partitions (made first by devices.partitions).

Each measure alternates between the two databases round by round (one persistent connection to each), so the
baseline shares the machine's noise. Measured: (a) the 30-day chart (the readings API through Django's stack,
and the packed fetch beneath it), p50/p95, with the partitions its plan reads; (b) the census of a 40-patient
ward (clinic.dashboard.census); (c) a reconnecting dashboard's catch-up of the last 5 minutes
(clinic.dashboard.missed_events); (d) ingest(): batches of 1,000 readings, one transaction each, beside binary
COPY of as many rows (the ratio is the aim).
Aims (issue 12): the 30-day chart p95 under 150 ms; census, catch-up and the ingest ratio as on the small table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import urllib.parse
from pathlib import Path

import numpy as np
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "rpm_bench_year"
SMALL_DB = "rpm_bench_year_small"
WARDS, WARD_SIZE = 50, 40
CHUNK = 250_000
BATCH = 1000
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# background metrics: (code, mean, spread, unit)
BACKGROUND = [("heart_rate", 75, 10, "/min"), ("spo2", 96, 1.5, "%"), ("systolic_bp", 130, 14, "mm[Hg]"),
              ("diastolic_bp", 82, 8, "mm[Hg]"), ("respiratory_rate", 16, 2, "/min"), ("body_weight", 80, 12, "kg")]


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))


def prepare_environment() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from config import embedded

        embedded.start_missing()
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in (BENCH_DB, SMALL_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = with_database(admin_url, BENCH_DB)
    redis = urllib.parse.urlsplit(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = urllib.parse.urlunsplit(redis._replace(path="/14"))
    os.environ["CHANNEL_PREFIX"] = "bench-year"
    os.environ.setdefault("RPM_ENV", "development")


# ------------------------------------------------------------------------------------ binary COPY, vectorised

def _micros(at: np.ndarray | dt.datetime) -> np.ndarray | int:
    """µs since 2000-01-01, PostgreSQL's binary timestamptz."""
    if isinstance(at, dt.datetime):
        return int((at - PG_EPOCH).total_seconds() * 1_000_000)
    return at


def binary_rows(columns: list[tuple[np.ndarray | bytes | int | float, str]], count: int) -> bytes:
    """The rows of a binary COPY (no header) from columns of one fixed width each: an array, or a constant.
    Types: '>i8', '>f8', or 'S<n>' for text of exactly n bytes."""
    fields = [("n", ">i2")]
    for k, (_, kind) in enumerate(columns):
        fields += [(f"l{k}", ">i4"), (f"v{k}", kind)]
    rows = np.empty(count, dtype=np.dtype(fields))
    rows["n"] = len(columns)
    for k, (values, kind) in enumerate(columns):
        rows[f"l{k}"] = np.dtype(kind).itemsize
        rows[f"v{k}"] = values
    return rows.tobytes()


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
READING_COLUMNS = ("id, patient_id, device_id, metric, value, unit, measured_at, received_at, source, "
                   "device_message_id, quality, evaluated_at")


def copy_readings(conn: psycopg.Connection, *, ids: np.ndarray, patients: np.ndarray, devices: np.ndarray,
                  metric: str, values: np.ndarray, unit: str, times: np.ndarray, keyed: bool = True) -> None:
    """Readings (and their message keys) by binary COPY; times in PostgreSQL µs."""
    count = len(ids)
    message_ids = np.char.add(b"y", np.char.zfill(ids.astype("S11"), 11))  # 12 bytes each
    received = times + 2_000_000
    m, u = metric.encode(), unit.encode()
    rows = binary_rows([(ids, ">i8"), (patients, ">i8"), (devices, ">i8"), (m, f"S{len(m)}"), (values, ">f8"),
                        (u, f"S{len(u)}"), (times, ">i8"), (received, ">i8"), (b"api", "S3"),
                        (message_ids, "S12"), (b"ok", "S2"), (received, ">i8")], count)
    with conn.cursor() as cur:
        with cur.copy(f"COPY devices_reading ({READING_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(COPY_HEADER + rows + COPY_TRAILER)
        if keyed:
            keys = binary_rows([(devices, ">i8"), (message_ids, "S12"), (ids, ">i8"), (times, ">i8")], count)
            with cur.copy("COPY devices_readingmessage (device_id, message_id, reading_id, measured_at) "
                          "FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(COPY_HEADER + keys + COPY_TRAILER)


def next_ids(conn: psycopg.Connection, count: int) -> np.ndarray:
    """Reserve `count` reading ids from the table's sequence."""
    last = conn.execute("SELECT nextval('devices_reading_id_seq')").fetchone()[0]
    conn.execute("SELECT setval('devices_reading_id_seq', %s)", [last + count])
    return np.arange(last + 1, last + count + 1, dtype=np.int64)


# ------------------------------------------------------------------------------------------------ the data

def make_people(now: dt.datetime):
    from django.contrib.auth.models import Group, User

    from devices.models import Device, DeviceAssignment
    from patients.models import CareTeam, CareTeamMembership, ExpectedMeasurement, MonitoringPlan, Patient

    teams = CareTeam.objects.bulk_create(CareTeam(name=f"Bench ward {w:02d}") for w in range(WARDS))
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"BENCH-{n:05d}", given_name="Bench", family_name=f"Synthetic{n:05d}",
                birth_date=dt.date(1950, 1, 1), sex="female", timezone="Europe/London",
                conditions=["hypertension"], care_team=teams[n // WARD_SIZE])
        for n in range(WARDS * WARD_SIZE))
    plans = MonitoringPlan.objects.bulk_create(MonitoringPlan(patient=p) for p in patients[:WARD_SIZE])
    ExpectedMeasurement.objects.bulk_create(ExpectedMeasurement(plan=plan, metric=metric)
                                            for plan in plans for metric in ("heart_rate", "systolic_bp"))
    devices = Device.objects.bulk_create(
        Device(serial=f"BENCH-SN-{n:05d}", kind="multiparameter_monitor", status=Device.Status.ACTIVE)
        for n in range(len(patients)))
    DeviceAssignment.objects.bulk_create(DeviceAssignment(device=d, patient=p, started_at=now - dt.timedelta(days=400))
                                         for d, p in zip(devices, patients, strict=True))
    nurse = User.objects.create_user("bench-nurse", password="bench-password-123")
    nurse.groups.add(Group.objects.get_or_create(name="nurse")[0])
    CareTeamMembership.objects.create(user=nurse, care_team=teams[0], role="nurse")
    physician = User.objects.create_user("bench-physician", password="bench-password-123")
    physician.groups.add(Group.objects.get_or_create(name="physician")[0])
    CareTeamMembership.objects.create(user=physician, care_team=teams[0], role="physician")
    return patients, devices, nurse, physician


def load_recent(conn, *, patients, devices, now: dt.datetime) -> int:
    """The small table: the first ward's last day every 5 minutes per tile metric, and patient 0's heart rate
    at one a minute for 31 days."""
    rng = np.random.default_rng(1)
    end = _micros(now.replace(second=0, microsecond=0))
    total = 0
    ward = np.array([p.id for p in patients[:WARD_SIZE]], dtype=np.int64)
    ward_devices = np.array([d.id for d in devices[:WARD_SIZE]], dtype=np.int64)
    steps = 24 * 12
    for metric, mid, spread, unit in BACKGROUND[:4]:
        times = np.repeat(end - np.arange(steps, dtype=np.int64)[::-1] * 300_000_000, WARD_SIZE)
        count = len(times)
        copy_readings(conn, ids=next_ids(conn, count), patients=np.tile(ward, steps),
                      devices=np.tile(ward_devices, steps), metric=metric,
                      values=np.round(rng.normal(mid, spread, count), 1), unit=unit, times=times)
        total += count
    minutes = 31 * 1440
    times = end - np.arange(minutes, dtype=np.int64)[::-1] * 60_000_000 - 30_000_000
    copy_readings(conn, ids=next_ids(conn, minutes), patients=np.full(minutes, patients[0].id),
                  devices=np.full(minutes, devices[0].id), metric="heart_rate",
                  values=np.round(72 + 9 * np.sin(np.arange(minutes) * 2 * np.pi / 1440) + rng.normal(0, 3, minutes),
                                  1), unit="/min", times=times)
    return total + minutes


def load_year(conn, *, patients, devices, now: dt.datetime, count: int) -> float:
    """`count` readings over the 365 days before yesterday, in time order, by binary COPY: rows/s."""
    rng = np.random.default_rng(2)
    patient_ids = np.array([p.id for p in patients], dtype=np.int64)
    device_ids = np.array([d.id for d in devices], dtype=np.int64)
    end = _micros(now - dt.timedelta(days=1))
    start = end - 365 * 86_400_000_000
    chunks = max(1, -(-count // CHUNK))
    began = time.perf_counter()
    done = 0
    for k in range(chunks):
        n = min(CHUNK, count - done)
        lo = start + (end - start) * k // chunks
        hi = start + (end - start) * (k + 1) // chunks
        metric, mid, spread, unit = BACKGROUND[k % len(BACKGROUND)]
        who = rng.integers(0, len(patients), n)
        with conn.transaction():
            copy_readings(conn, ids=next_ids(conn, n), patients=patient_ids[who], devices=device_ids[who],
                          metric=metric, values=np.round(rng.normal(mid, spread, n), 1), unit=unit,
                          times=np.sort(rng.integers(lo, hi, n)))
        done += n
        if k % 20 == 19 or done == count:
            rate = done / (time.perf_counter() - began)
            print(f"  loaded {done:,} of {count:,} ({rate:,.0f} rows/s)", flush=True)
    return done / (time.perf_counter() - began)


# ------------------------------------------------------------------------------------------------ measures

SMALL, YEAR = "small", "year"


class Databases:
    """The two databases side by side, each behind its own persistent Django connection; `use()` makes one the
    default, so every measure alternates between them round by round and shares the machine's noise."""

    def __init__(self, names: dict[str, str]) -> None:
        from django.conf import settings
        from django.db import connections
        from django.db.utils import load_backend

        self.names = names
        self.wrappers = {}
        for key, name in names.items():
            conf = {**settings.DATABASES["default"], "NAME": name, "CONN_MAX_AGE": None}
            conf["OPTIONS"] = {k: v for k, v in conf.get("OPTIONS", {}).items() if k != "pool"}
            self.wrappers[key] = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, "default")
        self._connections = connections

    def use(self, key: str):
        self._connections["default"] = self.wrappers[key]
        self.wrappers[key].ensure_connection()
        return self.wrappers[key]


def timed_pair(dbs: Databases, fn, rounds: int) -> dict[str, list[float]]:
    """ms per call of fn(key) on each database, alternating, after 3 warm-up calls on each."""
    samples: dict[str, list[float]] = {SMALL: [], YEAR: []}
    for n in range(rounds + 3):
        for key in (SMALL, YEAR):
            dbs.use(key)
            began = time.perf_counter()
            fn(key)
            if n >= 3:
                samples[key].append((time.perf_counter() - began) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def partitions_read(sql: str, params: list) -> list[str]:
    import re

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return sorted(set(re.findall(r" on (devices_reading_\w+)", plan)))


def ingest_vs_copy(dbs: Databases, *, patient, device, rounds: int) -> dict[str, tuple[float, float]]:
    """Rows/s through ingest() in batches of 1,000 (one transaction each) and by binary COPY of as many rows, on
    each database, alternating."""
    from django.db import transaction

    from devices.ingest import ingest

    now = dt.datetime.now(dt.UTC)
    spent = {(key, how): 0.0 for key in (SMALL, YEAR) for how in ("ingest", "copy")}
    times = np.array([_micros(now - dt.timedelta(seconds=i)) for i in range(BATCH)], dtype=np.int64)
    for r in range(rounds + 1):  # the first round warms up, untimed
        items = [{"id": f"b{r}-{i}", "metric": "heart_rate", "value": 60 + i % 40, "unit": "/min",
                  "measured_at": now - dt.timedelta(seconds=i + r * BATCH)} for i in range(BATCH)]
        for key in (SMALL, YEAR):
            raw = dbs.use(key).connection
            began = time.perf_counter()
            with transaction.atomic():
                ingest(patient_id=patient.id, items=items, source="api", device_id=device.id,
                       device_kind=device.kind, now=now)
            spent[key, "ingest"] += (time.perf_counter() - began) * (r > 0)
            began = time.perf_counter()
            with raw.transaction():
                copy_readings(raw, ids=next_ids(raw, BATCH), patients=np.full(BATCH, patient.id),
                              devices=np.full(BATCH, device.id), metric="heart_rate", values=np.full(BATCH, 70.0),
                              unit="/min", times=times - r * BATCH * 1_000_000 - 500_000, keyed=False)
            spent[key, "copy"] += (time.perf_counter() - began) * (r > 0)
    return {key: (rounds * BATCH / spent[key, "ingest"], rounds * BATCH / spent[key, "copy"]) for key in (SMALL, YEAR)}


def measure(dbs: Databases, *, patients, devices, nurse, physician, now: dt.datetime, rounds: int) -> dict:
    from django.conf import settings
    from django.test import Client

    from clinic import dashboard
    from devices.readings import _RAW_SQL, raw_series
    from rpm.metrics import OK

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    start = now - dt.timedelta(days=30)
    since = now - dt.timedelta(minutes=5)
    url = f"/api/v1/patients/{patients[0].id}/readings/"
    params = {"metric": "heart_rate", "start": start.isoformat(), "end": now.isoformat(), "max_points": "1500"}
    clients, out = {}, {}
    for key in (SMALL, YEAR):
        dbs.use(key)
        clients[key] = Client()
        clients[key].force_login(type(physician).objects.get(id=physician.id))  # this database's password hash
        out[key] = {
            "chart rows": clients[key].get(url, params).json()["series"]["heart_rate"]["raw_count"],
            "chart partitions": partitions_read(_RAW_SQL, [patients[0].id, "heart_rate", start, now, OK]),
            "census tiles": len(dashboard.census(user=nurse, now=now)),
            "catch-up events": len(dashboard.missed_events(user=nurse, since=since, now=now) or []),
        }
    measures = {
        "chart API": lambda key: clients[key].get(url, params),
        "chart fetch": lambda key: raw_series(patient_id=patients[0].id, metric="heart_rate", start=start, end=now),
        "census": lambda key: dashboard.census(user=nurse, now=now),
        "catch-up": lambda key: dashboard.missed_events(user=nurse, since=since, now=now),
    }
    for name, fn in measures.items():
        for key, samples in timed_pair(dbs, fn, rounds).items():
            out[key][name] = samples
        print(f"  measured {name}", flush=True)
    # another ward's patient: what it stores is no news to the measured dashboard
    for key, (ingest_rate, copy_rate) in ingest_vs_copy(dbs, patient=patients[-1], device=devices[-1],
                                                        rounds=max(5, rounds // 2)).items():
        out[key]["ingest"], out[key]["copy"] = ingest_rate, copy_rate
    return out


def report(base: dict, year: dict, count: int) -> None:
    print(f"\n{'':44} {'small table (baseline)':>26} {f'+{count:,} readings':>26}")
    for key, label in (("chart API", "30-day chart, readings API (whole request)"),
                       ("chart fetch", "30-day chart, packed fetch beneath it"),
                       ("census", f"census of one ward ({year['census tiles']} tiles)"),
                       ("catch-up", f"catch-up of 5 minutes ({year['catch-up events']} events)")):
        cells = [f"p50 {pct(r[key], .5):6.1f} p95 {pct(r[key], .95):6.1f} ms" for r in (base, year)]
        print(f"{label:<44} {cells[0]:>26} {cells[1]:>26}")
    for r in (base, year):
        r["ratio"] = r["ingest"] / r["copy"]
    cells = [f"{r['ingest']:,.0f} vs {r['copy']:,.0f}/s {r['ratio']:.0%}" for r in (base, year)]
    print(f"{'ingest() batches of 1,000 vs binary COPY':<44} {cells[0]:>26} {cells[1]:>26}")
    print(f"\nchart rows read: {base['chart rows']:,} and {year['chart rows']:,}; partitions in the chart's plan "
          f"with the year: {', '.join(year['chart partitions'])}")
    chart = pct(year["chart API"], .95)
    print(f"aim 30-day chart p95 < 150 ms with the year loaded: {chart:.1f} ms, {'met' if chart < 150 else 'MISSED'}"
          f" (small table in the same rounds: {pct(base['chart API'], .95):.1f} ms)")
    for key in ("chart API", "census", "catch-up"):
        print(f"{key} p95 with the year / small table: {pct(year[key], .95) / pct(base[key], .95):.2f}x")
    print(f"ingest ratio to COPY with the year / small table: {year['ratio'] / base['ratio']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readings", type=int, default=50_000_000, help="readings loaded for the year")
    parser.add_argument("--rounds", type=int, default=40, help="timed rounds of each read")
    args = parser.parse_args()

    prepare_environment()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from devices import partitions

    dbs = Databases({SMALL: SMALL_DB, YEAR: BENCH_DB})
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    this_month = partitions.month_of(now)
    people = {}
    for key in (SMALL, YEAR):
        raw = dbs.use(key).connection  # autocommit, as Django keeps it
        call_command("migrate", verbosity=0)
        for back in range(13, 0, -1):  # the months a year of data lands in (the migration made the recent ones)
            partitions.ensure_partitions(now=partitions.month_start(partitions.add_months(this_month, -back)),
                                         ahead=0)
        people[key] = make_people(now)
        rows = load_recent(raw, patients=people[key][0], devices=people[key][1], now=now)
    patients, devices, nurse, physician = people[YEAR]
    assert [p.id for p in people[SMALL][0]] == [p.id for p in patients], "the two databases' ids differ"

    print(f"both databases: {rows:,} recent readings; loading {args.readings:,} more into {BENCH_DB} by binary "
          "COPY ...", flush=True)
    raw = dbs.use(YEAR).connection
    try:
        raw.execute("SET session_replication_role = replica")  # a bulk load: skip the foreign-key triggers
    except psycopg.Error:
        pass
    rate = load_year(raw, patients=patients, devices=devices, now=now, count=args.readings)
    raw.execute("SET session_replication_role = DEFAULT")
    for key in (SMALL, YEAR):
        raw = dbs.use(key).connection
        raw.execute("VACUUM ANALYZE devices_reading")
        raw.execute("VACUUM ANALYZE devices_readingmessage")
    size = raw.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    print(f"loaded at {rate:,.0f} rows/s; database {size}; {args.rounds} rounds after 3 warm-up, in-process, "
          "alternating between the two databases", flush=True)
    out = measure(dbs, patients=patients, devices=devices, nurse=nurse, physician=physician, now=now,
                  rounds=args.rounds)
    report(out[SMALL], out[YEAR], args.readings)
    for wrapper in dbs.wrappers.values():
        wrapper.close()
    if os.environ.get("BENCH_KEEP"):
        return
    with psycopg.connect(with_database(os.environ["DATABASE_URL"], "postgres"), autocommit=True) as conn:
        for name in (BENCH_DB, SMALL_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
