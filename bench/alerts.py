"""Alert engine benchmark: evaluation throughput of one Celery worker, ingest-to-alert-row latency at about
1,000 readings/s, and no alert lost when a worker is killed mid-batch.

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/alerts.py
    (or with DATABASE_URL and REDIS_URL set: .venv/bin/python bench/alerts.py)

It creates a throwaway database `rpm_bench_alerts` (dropped and recreated each run; the data migration installs
the default rule sets) and uses Redis database 14 and channel prefix `bench-alerts`. 500 patients across the
condition sets; each ingest call carries 20 readings (4 observation sets of 5 NEWS2 vitals), so every reading
meets the threshold, persistence, NEWS2 and condition rules that apply to it. In one run:

  (a) baseline: the same batches evaluated in process, one engine call per batch, no Celery;
  (b) readings/s drained by one worker (solo pool): tasks queued first, one per ingest call, then the worker starts;
  (c) latency from ingest commit to the alert row being visible, p50/p99, at about 1,000 readings/s offered
      (50 calls/s of 20), one call in four carrying a respiratory rate of 6 /min (an immediate high alert) for a
      patient with no open alert; rows are polled every 5 ms;
  (d) a worker SIGKILLed mid-batch: a new worker drains the queue, the sweep (the beat task) evaluates whatever
      the dead worker held, and every expected alert is there;
  (e) single-post load: readings that came one per device post, stored as the web process's group commit stores
      them (GROUP posts of one reading each, many patients, per commit, one task per commit), drained by one worker:
      worker CPU per reading (aim: at most 0.5 ms), beside (e0) the same readings one post per commit and task.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DB = "rpm_bench_alerts"
BENCH_REDIS_DB = 14
PATIENTS = 500
PER_CALL = 20
CONDITIONS = [["virtual_ward"], ["hypertension"], ["heart_failure"], ["copd"], ["diabetes"]]
RATE_CALLS = 50  # x 20 readings = 1,000 readings/s
RATE_SECONDS = int(os.environ.get("BENCH_RATE_SECONDS", 20))
KILL_CALLS = 300


def with_path(url: str, path: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=path))


def setup_environment() -> dict[str, str]:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.path.insert(0, str(BASE_DIR))
        from config import embedded

        embedded.start_missing()
    server = os.environ["DATABASE_URL"]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ.update(DATABASE_URL=with_path(server, f"/{BENCH_DB}"),
                      REDIS_URL=with_path(os.environ["REDIS_URL"], f"/{BENCH_REDIS_DB}"),
                      RPM_ENV="development", CHANNEL_PREFIX="bench-alerts", DJANGO_SETTINGS_MODULE="config.settings",
                      LOG_LEVEL="WARNING", PYTHONPATH=str(BASE_DIR))
    os.environ.pop("TEST_DATABASE_NAME", None)
    return dict(os.environ)


ENV = setup_environment()
sys.path.insert(0, str(BASE_DIR))
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from alerts import engine  # noqa: E402
from alerts.models import Alert  # noqa: E402
from config.celery import app  # noqa: E402
from devices.ingest import Delivery, ingest, ingest_deliveries  # noqa: E402
from devices.models import Reading  # noqa: E402
from devices.signals import readings_stored  # noqa: E402
from patients.models import CareTeam, MonitoringPlan, Patient  # noqa: E402

rng = random.Random(5)


def normal_call(at: dt.datetime, *, abnormal: bool = False) -> list[dict]:
    items = []
    for k in range(PER_CALL // 5):
        t = (at - dt.timedelta(minutes=3 * (PER_CALL // 5 - 1 - k))).isoformat()
        rr = 6 if abnormal and k == PER_CALL // 5 - 1 else rng.randint(13, 19)
        items += [
            {"metric": "spo2", "value": rng.randint(95, 99), "unit": "%", "measured_at": t},
            {"metric": "heart_rate", "value": rng.randint(60, 88), "unit": "/min", "measured_at": t},
            {"metric": "respiratory_rate", "value": rr, "unit": "/min", "measured_at": t},
            {"metric": "systolic_bp", "value": rng.randint(115, 135), "unit": "mm[Hg]", "measured_at": t},
            {"metric": "body_temperature", "value": round(rng.uniform(36.3, 37.6), 1), "unit": "Cel",
             "measured_at": t},
        ]
    return items


def make_patients() -> list[int]:
    team = CareTeam.objects.create(name="Bench ward")
    ids = []
    for i in range(PATIENTS):
        p = Patient.objects.create(mrn=f"BENCH-{i:05d}", given_name="Bench", family_name=f"Synthetic{i}",
                                   birth_date=dt.date(1950, 1, 1), timezone="Europe/London",
                                   conditions=CONDITIONS[i % len(CONDITIONS)], care_team=team)
        MonitoringPlan.objects.create(patient=p)
        ids.append(p.id)
    return ids


def start_worker(tag: str) -> subprocess.Popen:
    log = open(BASE_DIR / "var" / f"bench-alerts-worker-{tag}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-l", "WARNING",
                             "--without-mingle", "--without-gossip", "--without-heartbeat", "-n", f"bench-{tag}@%h"],
                            cwd=BASE_DIR, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def unevaluated() -> int:
    return Reading.objects.filter(evaluated_at__isnull=True).count()


def wait_until(predicate, timeout: float = 300, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    raise TimeoutError("benchmark step did not finish")


def baseline(patients: list[int], now: dt.datetime) -> float:
    """(a) In process, one engine call per ingest call, no Celery."""
    receivers = readings_stored.receivers[:]
    readings_stored.receivers.clear()  # store without enqueueing or pushing
    readings_stored.sender_receivers_cache.clear()
    try:
        calls = [ingest(patient_id=pid, items=normal_call(now - dt.timedelta(hours=2)), source="seed", now=now)
                 for pid in patients]
    finally:
        readings_stored.receivers[:] = receivers
        readings_stored.sender_receivers_cache.clear()
    started = time.perf_counter()
    for outcome in calls:
        engine.evaluate_readings(reading_ids=[r.id for r in outcome.stored], patient_id=outcome.stored[0].patient_id)
    elapsed = time.perf_counter() - started
    return len(calls) * PER_CALL / elapsed


def worker_throughput(patients: list[int], now: dt.datetime, rounds: int = 2) -> tuple[float, int]:
    """(b) Queue one task per ingest call with no worker running, then time one worker draining them."""
    app.control.purge()
    for r in range(rounds):
        for pid in patients:
            ingest(patient_id=pid, items=normal_call(now - dt.timedelta(minutes=90 - 15 * r)), source="seed",
                   now=now)
    total = unevaluated()
    worker = start_worker("throughput")
    try:
        wait_until(lambda: unevaluated() < total, step=0.005)
        started = time.perf_counter()
        first_left = unevaluated()
        wait_until(lambda: unevaluated() == 0, step=0.01)
        elapsed = time.perf_counter() - started
    finally:
        stop(worker)
    return first_left / elapsed, total


class AlertPoller(threading.Thread):
    """Records when each alert row first becomes visible to another connection."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.running = True

    def run(self) -> None:
        last = 0
        while self.running:
            for alert_id, patient_id in Alert.objects.filter(id__gt=last).order_by("id").values_list("id",
                                                                                                   "patient_id"):
                self.seen.setdefault(patient_id, time.time())
                last = alert_id
            time.sleep(0.005)
        connection.close()


def latency(patients: list[int]) -> tuple[list[float], float, int]:
    """(c) Offered ~1,000 readings/s; commit-to-row latency for calls that open an alert."""
    Alert.objects.all().delete()
    app.control.purge()
    worker = start_worker("latency")
    poller = AlertPoller()
    committed: dict[int, float] = {}
    fresh = iter(patients)
    try:
        time.sleep(3)  # worker start-up, outside the measured window
        poller.start()
        interval = 1 / RATE_CALLS
        started = time.perf_counter()
        calls = 0
        while calls < RATE_SECONDS * RATE_CALLS:
            due = started + calls * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            abnormal = calls % 4 == 0
            pid = next(fresh) if abnormal else rng.choice(patients)
            now = dt.datetime.now(dt.UTC)
            with transaction.atomic():
                # runs first after commit, before ingest's own announcement: the commit time
                transaction.on_commit(lambda pid=pid, abnormal=abnormal: abnormal and committed.setdefault(
                    pid, time.time()))
                ingest(patient_id=pid, items=normal_call(now, abnormal=abnormal), source="seed", now=now)
            calls += 1
        offered = calls * PER_CALL / (time.perf_counter() - started)
        wait_until(lambda: all(pid in poller.seen for pid in committed), timeout=60)
    finally:
        poller.running = False
        poller.join(5)
        stop(worker)
    return sorted((poller.seen[pid] - t) * 1000 for pid, t in committed.items()), offered, len(committed)


def kill_mid_batch(patients: list[int]) -> dict[str, int]:
    """(d) SIGKILL a worker while it works through alert-raising calls; recover with a new worker and the sweep."""
    Alert.objects.all().delete()
    Reading.objects.filter(evaluated_at__isnull=True).update(evaluated_at=dt.datetime.now(dt.UTC))
    app.control.purge()
    targets = patients[:KILL_CALLS]
    worker = start_worker("doomed")
    time.sleep(3)
    for pid in targets:
        now = dt.datetime.now(dt.UTC)
        ingest(patient_id=pid, items=normal_call(now, abnormal=True), source="seed", now=now)
    wait_until(lambda: Alert.objects.count() >= KILL_CALLS // 5, step=0.002)
    stop(worker, signal.SIGKILL)
    at_kill = {"alerts": Alert.objects.count(), "unevaluated": unevaluated()}
    survivor = start_worker("survivor")
    try:
        wait_until(lambda: app.connection_for_read().default_channel.client.llen("celery") == 0, timeout=120)
        time.sleep(2)  # let the survivor finish its last task
        before_sweep = {"alerts": Alert.objects.count(), "unevaluated": unevaluated()}
        app.send_task("alerts.sweep_unevaluated", kwargs={"min_age_seconds": 0})
        wait_until(lambda: unevaluated() == 0, timeout=120)
    finally:
        stop(survivor)
    # each call raises two alerts: the respiratory-rate threshold and NEWS2 (a single parameter scoring 3)
    rr = Alert.objects.filter(rule__name="Respiratory rate extreme")
    per_pair = Alert.objects.values("patient", "rule").annotate(n=Count("id"))
    return {"expected": len(targets), "at_kill_alerts": at_kill["alerts"],
            "at_kill_unevaluated": at_kill["unevaluated"], "before_sweep_alerts": before_sweep["alerts"],
            "before_sweep_unevaluated": before_sweep["unevaluated"],
            "final_alerts": len(set(rr.values_list("patient_id", flat=True)) & set(targets)),
            "duplicates": sum(1 for row in per_pair if row["n"] > 1)}


GROUP = int(os.environ.get("BENCH_GROUP", 20))  # posts per group commit: what 1,000 posts/s gives at ~20 ms a commit
SINGLE_READINGS = int(os.environ.get("BENCH_SINGLE_READINGS", 4000))


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def single_posts(patients: list[int], group: int, tag: str) -> tuple[float, float]:
    """(e) Readings one per post, `group` posts per commit (one task each); one worker drains them: (worker CPU
    ms per reading, readings/s)."""
    Reading.objects.filter(evaluated_at__isnull=True).update(evaluated_at=dt.datetime.now(dt.UTC))
    app.control.purge()
    vitals = normal_call(dt.datetime.now(dt.UTC))[:5]
    now = dt.datetime.now(dt.UTC)
    deliveries = []
    for n in range(SINGLE_READINGS):
        item = dict(vitals[n % 5], measured_at=(now - dt.timedelta(seconds=SINGLE_READINGS - n)).isoformat())
        deliveries.append(Delivery(patients[(n // 5) % len(patients)], [item], "seed"))
    for at in range(0, len(deliveries), group):
        ingest_deliveries(deliveries[at:at + group], now=now)
    total = unevaluated()
    worker = start_worker(f"single-{tag}")
    try:
        wait_until(lambda: unevaluated() < total, step=0.005)
        cpu0, started, first_left = process_cpu(worker.pid), time.perf_counter(), unevaluated()
        wait_until(lambda: unevaluated() == 0, step=0.01)
        elapsed, cpu = time.perf_counter() - started, process_cpu(worker.pid) - cpu0
    finally:
        stop(worker)
    return cpu / first_left * 1000, first_left / elapsed


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    call_command("migrate", verbosity=0)
    patients = make_patients()
    now = dt.datetime.now(dt.UTC)
    print(f"alert engine bench: {PATIENTS} patients, default rule sets, {PER_CALL} readings per ingest call")
    base = baseline(patients, now)
    print(f"(a) baseline, in process, no Celery:     {base:8.0f} readings/s evaluated")
    rate, total = worker_throughput(patients, now)
    print(f"(b) one Celery worker (solo), 1 task/call: {rate:8.0f} readings/s evaluated "
          f"({total} readings, {total // PER_CALL} tasks) = {rate / base:.0%} of baseline")
    lat, offered, n = latency(patients)
    print(f"(c) ingest commit -> alert row at {offered:.0f} readings/s offered, {n} alerts: "
          f"p50 {statistics.median(lat):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, max {lat[-1]:.1f} ms "
          f"(aim p50 <= 50, p99 <= 250)")
    per_reading, rate = single_posts(patients, GROUP, "grouped")
    alone, alone_rate = single_posts(patients, 1, "alone")
    print(f"(e) single-post load, {GROUP} posts a commit, one task a commit: worker CPU {per_reading:.2f} ms a "
          f"reading, {rate:.0f} readings/s drained (aim: at most 0.5 ms)")
    print(f"(e0) the same readings one post a commit and a task: worker CPU {alone:.2f} ms a reading, "
          f"{alone_rate:.0f} readings/s drained")
    kill = kill_mid_batch(patients)
    print(f"(d) worker SIGKILLed mid-batch ({kill['expected']} calls, each raising a respiratory-rate and a NEWS2 "
          f"alert): {kill['at_kill_alerts']} alert rows and "
          f"{kill['at_kill_unevaluated']} readings unevaluated at the kill; after a new worker drained the queue "
          f"{kill['before_sweep_alerts']} alerts, {kill['before_sweep_unevaluated']} readings unevaluated; after "
          f"the sweep {kill['final_alerts']} of {kill['expected']} respiratory-rate alerts, "
          f"{kill['duplicates']} patient+rule pairs with more than one alert")


if __name__ == "__main__":
    main()
