"""Live push benchmark: latency from ingest commit to each subscribed dashboard, and frames lost.

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/live.py [--rate 1000 --dashboards 1000 ...]

(or with DATABASE_URL / REDIS_URL set). It recreates a throwaway database `rpm_bench_live`, uses Redis database 4
with the channel prefix `livebench`, and in one run measures two set-ups with the same WebSocket clients:

  django:   --web-processes web processes as the Procfile runs them (config.web: uvicorn on one SO_REUSEPORT port;
            session auth, origin check, DashboardConsumer with per-dashboard coalescing), a Celery worker evaluating
            the readings, and single-reading posts to POST /api/v1/readings/ (the real ingest path: the lean ASGI
            view, group commit, one publish per group) at --rate per second in an open loop, one device per patient,
            across --patients patients in wards of --ward-size; --dashboards sockets, one ward each, all opening
            at once (the connect storm after a deploy). Latency is the arrival time at a client minus the event's
            `at` (taken right after commit, same clock).
  baseline: the same pub/sub layer and fan-out with no Django: a bare ASGI app under uvicorn that joins the
            ward group and forwards each message, fed by bare `group_send` calls at the same rate.

BENCH_PROFILE=1 prints a py-spy profile of one web process during the load (inclusive share per frame).

Frames lost = readings each dashboard should have received (every reading of its ward's patients) minus the
distinct readings it received. Server-side `gap` notices (the consumer saw the layer drop a message and filled it
from the database) are counted too. Every loop is bounded; servers and workers are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import orjson
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # run as a script from bench/
sys.path.insert(0, str(BASE_DIR / "bench"))  # bench/ingest.py's HTTP client

from config.ports import free_port, wait_for_port  # noqa: E402

PYTHON = sys.executable
BENCH_DB = "rpm_bench_live"
BENCH_REDIS_DB = 4
PREFIX = "livebench"


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))


def with_redis_db(url: str, db: int) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{db}"))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# --- the bare baseline server (no Django) ------------------------------------------------------------

def bare_application(redis_url: str):
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=PREFIX + "bare")

    async def app(scope, receive, send):
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        group = urllib.parse.parse_qs(scope["query_string"].decode())["ward"][0]
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await send({"type": "websocket.send", "text": '{"type":"hello"}'})

        async def relay():
            while True:
                message = await layer.receive(channel)
                events = message["events"]
                frame = events[0] if len(events) == 1 else b'{"type":"batch","events":[' + b",".join(events) + b"]}"
                await send({"type": "websocket.send", "text": frame.decode()})

        task = asyncio.ensure_future(relay())
        while (await receive())["type"] != "websocket.disconnect":  # a resume: nothing to catch up here
            await send({"type": "websocket.send", "text": '{"type":"batch","catch_up":true,"events":[]}'})
        task.cancel()
        await layer.group_discard(group, channel)

    return app


def serve_bare(port: int, redis_url: str) -> None:
    import uvicorn

    from config import web

    config = web.config(host="127.0.0.1", port=port, app=bare_application(redis_url))
    uvicorn.Server(config).run(sockets=[web.bind("127.0.0.1", port)])


# --- clients ----------------------------------------------------------------------------------------

def client_process(url: str, dashboards: list[tuple[int, str]], origin: str, ready, stop, results) -> None:
    """Connect these dashboards ((ward, cookie)), then record every reading event until told to stop."""
    import websockets
    from ingest import collector_paused

    async def run() -> None:
        latencies: list[float] = []
        received: dict[int, set[int]] = {}
        gaps = [0]
        frames = [0]

        async def dashboard(index: int, ward: int, cookie: str) -> None:
            seen = received.setdefault(index, set())
            headers = {"Cookie": cookie} if cookie else {}
            async with websockets.connect(url.format(ward=ward), origin=origin, additional_headers=headers,
                                          max_queue=None, ping_interval=None, open_timeout=60) as socket:
                await socket.recv()  # hello
                # as the page does on every (re)connect: ask for what was missed (the catch-up reads the database)
                since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
                await socket.send(orjson.dumps({"type": "resume", "since": since.isoformat()}).decode())
                connected.append(index)
                caught_up_first = True
                async for data in socket:
                    now = time.time()
                    frames[0] += 1
                    frame = orjson.loads(data)
                    if caught_up_first and frame.get("catch_up"):
                        caught_up.append(index)
                        caught_up_first = False
                    for event in frame["events"] if frame["type"] == "batch" else [frame]:
                        if event["type"] == "reading":
                            if event["id"] not in seen:
                                seen.add(event["id"])
                                latencies.append(now - dt.datetime.fromisoformat(event["at"]).timestamp())
                        elif event["type"] == "gap":
                            gaps[0] += event["lost"]

        connected: list[int] = []
        caught_up: list[int] = []  # answered their resume (the page's catch-up on every connect)
        began = time.monotonic()
        tasks = [asyncio.ensure_future(dashboard(index, ward, cookie))
                 for index, (ward, cookie) in enumerate(dashboards)]  # all at once: the storm after a deploy
        failed: list[BaseException] = []
        while len(connected) + len(failed) < len(dashboards):
            await asyncio.sleep(0.05)
            failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
        connect_seconds = time.monotonic() - began
        # the load starts once the storm has settled: every connected dashboard has its catch-up answer
        while len(caught_up) < len(connected) and time.monotonic() - began < 300:
            await asyncio.sleep(0.05)
        caught_up_seconds = time.monotonic() - began
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        results.put({"latencies": latencies, "received": {i: sorted(s) for i, s in received.items()},
                     "cpu": cpu_seconds(), "connected": len(connected), "connect_failures": [repr(e) for e in failed],
                     "connect_seconds": connect_seconds, "caught_up": len(caught_up),
                     "caught_up_seconds": caught_up_seconds,
                     "gaps": gaps[0], "frames": frames[0], "wards": [w for w, _ in dashboards]})

    with collector_paused():  # a client's own full collection would be counted as the server's latency
        asyncio.run(run())


def run_clients(url: str, dashboards: list[tuple[int, str]], origin: str, processes: int):
    ctx = mp.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    readies, procs = [], []
    for i in range(processes):
        ready = ctx.Event()
        proc = ctx.Process(target=client_process, args=(url, dashboards[i::processes], origin, ready, stop, results))
        proc.start()
        readies.append(ready)
        procs.append(proc)
    for ready in readies:
        if not ready.wait(300):
            raise TimeoutError("dashboards did not all connect")

    def finish() -> list[dict]:
        stop.set()
        out = [results.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(10)
        return out

    return finish


# --- load -------------------------------------------------------------------------------------------

def paced(rate: float, seconds: float, threads: int, action) -> int:
    """Call action(i) `rate` times a second for `seconds`, spread over threads; return how many were made."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action(i)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return total


def summarise(name: str, sent: dict[int, int], results: list[dict], elapsed: float, offered: int) -> dict:
    latencies = [x for r in results for x in r["latencies"]]
    expected = received = 0
    for r in results:
        for index, ward in enumerate(r["wards"]):
            expected += sent.get(ward, 0)
            received += len(r["received"].get(index, ()))
    frames = sum(r["frames"] for r in results)
    CPU["clients"] = sum(r["cpu"] for r in results)
    connected = sum(r["connected"] for r in results)
    failures = [f for r in results for f in r["connect_failures"]]
    connect_s = max(r["connect_seconds"] for r in results)
    caught_up = sum(r["caught_up"] for r in results)
    caught_up_s = max(r["caught_up_seconds"] for r in results)
    print(f"  {name:8} dashboards connecting at once: {connected} of {connected + len(failures)} connected in "
          f"{connect_s:.1f} s, {caught_up} had their catch-up answer in {caught_up_s:.1f} s"
          + (f"; {len(failures)} FAILED, e.g. {failures[0]}" if failures else ""), flush=True)
    row = {"setup": name, "dashboards_connected": connected, "dashboards_failed": len(failures),
           "connect_seconds": connect_s, "caught_up": caught_up, "caught_up_seconds": caught_up_s,
           "readings": offered, "achieved_rate": offered / elapsed,
           "events_expected": expected, "events_received": received, "lost": expected - received,
           "gap_notices": sum(r["gaps"] for r in results), "frames": frames, "frames_per_s": frames / elapsed,
           "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
           "max_ms": max(latencies, default=float("nan")) * 1000}
    print(f"  {name:8} readings {offered} at {row['achieved_rate']:.0f}/s -> events expected {expected}, "
          f"received {received}, LOST {row['lost']} (server gap notices {row['gap_notices']}); "
          f"frames {frames} ({row['frames_per_s']:.0f}/s); latency p50 {row['p50_ms']:.1f} ms, "
          f"p99 {row['p99_ms']:.1f} ms, max {row['max_ms']:.1f} ms", flush=True)
    row["cpu_seconds"] = dict(CPU)
    used = ", ".join(f"{k} {v:.1f}" for k, v in CPU.items())
    print(f"           CPU seconds while loaded (clients: whole run): {used}", flush=True)
    CPU.clear()
    return row


def post_readings(port: int, token_of: dict[int, str], ward_of: dict[int, int], rate: float,
                  seconds: float) -> tuple[dict[int, int], int, dict[int, int], list[float]]:
    """Single-reading posts to POST /api/v1/readings/ at `rate` a second in an open loop (bench/ingest.py's
    keep-alive client), patients in turn; answers (ward -> readings stored, posts, statuses, post latencies)."""
    from ingest import OPEN_LOOP_TIMEOUT, Connection, collector_paused, http_post

    patients = random.Random(1).sample(list(token_of), len(token_of))
    total = int(rate * seconds)
    sent: dict[int, int] = {}
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    async def run() -> None:
        idle = [Connection(port) for _ in range(64)]

        async def one(i: int, scheduled: float) -> None:
            pid = patients[i % len(patients)]
            body = orjson.dumps({"id": f"live-{i}", "metric": "heart_rate", "value": 60 + i % 40, "unit": "/min",
                                 "measured_at": dt.datetime.now(dt.UTC).isoformat()})
            conn = idle.pop() if idle else Connection(port)
            try:
                status, _ = await asyncio.wait_for(conn.request(http_post(token_of[pid], body)), OPEN_LOOP_TIMEOUT)
            except TimeoutError:
                conn.close()
                statuses[0] = statuses.get(0, 0) + 1
                return
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                sent[ward_of[pid]] = sent.get(ward_of[pid], 0) + 1
            idle.append(conn)

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        for conn in idle:
            conn.close()

    with collector_paused():
        asyncio.run(run())
    return sent, total, statuses, latencies


def stored_per_ward() -> dict[int, int]:
    """Readings in the database per ward: what the dashboards of each ward should have received."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT p.care_team_id, count(*) FROM devices_reading r JOIN patients_patient p "
                       "ON p.id = r.patient_id GROUP BY p.care_team_id")
        return dict(cursor.fetchall())


CPU: dict[str, float] = {}


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default), children excluded."""
    fields = Path(f"/proc/{pid or 'self'}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- set-up -----------------------------------------------------------------------------------------

def prepare_database(admin_url: str, bench_url: str, env: dict) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)


def seed(patients: int, ward_size: int) -> tuple[dict[int, list[int]], dict[int, str], dict[int, str]]:
    """Wards of `ward_size` patients with one nurse each; a signed-in session cookie per ward; an enrolled monitor
    per patient and its token."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from devices.credentials import issue_token
    from devices.services import enrol_device, register_device
    from patients.models import CareTeam, CareTeamMembership, MonitoringPlan, Patient

    nurse_group, _ = Group.objects.get_or_create(name="nurse")
    wards: dict[int, list[int]] = {}
    cookies: dict[int, str] = {}
    tokens: dict[int, str] = {}
    for w in range(patients // ward_size):
        team = CareTeam.objects.create(name=f"Bench ward {w}")
        nurse = User(username=f"bench-nurse-{w}")
        nurse.set_unusable_password()
        nurse.save()
        nurse.groups.add(nurse_group)
        CareTeamMembership.objects.create(user=nurse, care_team=team, role="nurse")
        rows = Patient.objects.bulk_create(
            Patient(mrn=f"BENCH-{w:03d}-{i:03d}", given_name="Bench", family_name=f"Patient{w}x{i}",
                    birth_date=dt.date(1950, 1, 1), care_team=team, conditions=["virtual_ward"])
            for i in range(ward_size))
        MonitoringPlan.objects.bulk_create(MonitoringPlan(patient=p) for p in rows)
        wards[team.id] = [p.id for p in rows]
        for p in rows:
            device = register_device(serial=f"SN-LIVE-{p.id:06d}", kind="multiparameter_monitor")
            enrol_device(device=device, patient=p)
            tokens[p.id] = issue_token(device=device)
        session = SessionStore()
        session[SESSION_KEY] = str(nurse.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = nurse.get_session_auth_hash()
        session.create()
        cookies[team.id] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return wards, cookies, tokens


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000, help="readings per second")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--ward-size", type=int, default=25)
    parser.add_argument("--dashboards", type=int, default=1000)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--web-processes", type=int, default=2, help="web processes sharing the port (config.web)")
    parser.add_argument("--coalesce-ms", type=int, default=None, help="LIVE_COALESCE_MS for the server")
    parser.add_argument("--no-worker", action="store_true", help="leave out the Celery worker")
    parser.add_argument("--only", choices=["django", "baseline"], default=None)
    args = parser.parse_args()

    redis_url = with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB)
    bench_url = with_database(os.environ["DATABASE_URL"], BENCH_DB)
    env = {**os.environ, "DATABASE_URL": bench_url, "REDIS_URL": redis_url, "CHANNEL_PREFIX": PREFIX,
           "RPM_ENV": "development", "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if args.coalesce_ms is not None:
        env["LIVE_COALESCE_MS"] = str(args.coalesce_ms)
    prepare_database(os.environ["DATABASE_URL"], bench_url, env)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CHANNEL_PREFIX", "RPM_ENV", "LOG_LEVEL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    wards, cookies, token_of = seed(args.patients, args.ward_size)
    ward_ids = list(wards)
    dashboards = [(ward_ids[i % len(ward_ids)], cookies[ward_ids[i % len(ward_ids)]]) for i in range(args.dashboards)]
    ward_of = {pid: w for w, pids in wards.items() for pid in pids}
    patients = list(ward_of)
    print(f"live bench: {len(patients)} patients in {len(wards)} wards of {args.ward_size}, {args.dashboards} "
          f"dashboards, {args.rate:.0f} readings/s for {args.seconds:.0f} s, coalesce "
          f"{settings.LIVE_COALESCE_MS if args.coalesce_ms is None else args.coalesce_ms} ms, "
          f"{args.web_processes} web processes, {os.cpu_count()} CPUs", flush=True)
    var = BASE_DIR / "var"
    var.mkdir(exist_ok=True)
    rows = []

    if args.only in (None, "django"):
        port = free_port()
        servers = [start([PYTHON, "-m", "config.web", "--host", "127.0.0.1", "--port", str(port)], env,
                         var / f"bench-live-web-{i}.log") for i in range(args.web_processes)]
        worker = None if args.no_worker else start(
            [PYTHON, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-l", "WARNING"], env,
            var / "bench-live-worker.log")
        try:
            wait_for_port(port)
            time.sleep(1)  # every web process listening, not only the first
            finish = run_clients(f"ws://127.0.0.1:{port}/ws/dashboard/?ward={{ward}}",
                                 dashboards, f"http://127.0.0.1:{port}", args.client_processes)
            web_before = sum(cpu_seconds(server.pid) for server in servers)
            worker_before = cpu_seconds(worker.pid) if worker else 0
            client_before = cpu_seconds()
            from ingest import profile_summary, start_profile

            profile = start_profile(servers[0].pid, args.seconds, var / "bench-live-profile.txt") \
                if os.environ.get("BENCH_PROFILE") else None
            began = time.monotonic()
            _, offered, statuses, post_latencies = post_readings(port, token_of, ward_of, args.rate, args.seconds)
            elapsed = time.monotonic() - began
            CPU["posting client"] = cpu_seconds() - client_before
            time.sleep(3)  # let the last frames arrive (gap fill waits 1 s)
            sent = stored_per_ward()  # a post the client gave up on may still have been stored, and pushed
            CPU["web"] = sum(cpu_seconds(server.pid) for server in servers) - web_before
            if worker:
                CPU["celery worker"] = cpu_seconds(worker.pid) - worker_before
            print(f"  django   posts: {offered} offered at {args.rate:.0f}/s, answers {statuses}, post latency p50 "
                  f"{percentile(post_latencies, 50) * 1000:.1f} ms, p99 {percentile(post_latencies, 99) * 1000:.1f} ms",
                  flush=True)
            rows.append(summarise("django", sent, finish(), elapsed, offered))
            if profile:
                profile_summary(*profile, top=25)
        finally:
            for server in servers:
                stop(server)
            if worker:
                stop(worker)

    if args.only in (None, "baseline"):
        port = free_port()
        server = start([PYTHON, __file__, "--serve-bare", str(port)], {**env, "BENCH_REDIS": redis_url},
                       var / "bench-live-bare.log")
        try:
            wait_for_port(port)
            finish = run_clients(f"ws://127.0.0.1:{port}/bare/?ward={{ward}}", [(w, "") for w, _ in dashboards],
                                 f"http://127.0.0.1:{port}", args.client_processes)
            cpu_before, web_before = cpu_seconds(), cpu_seconds(server.pid)
            sent, elapsed = publish_bare(redis_url, wards, args)
            CPU["publisher"] = cpu_seconds() - cpu_before
            time.sleep(3)
            CPU["web"] = cpu_seconds(server.pid) - web_before
            rows.append(summarise("baseline", sent, finish(), elapsed, int(args.rate * args.seconds)))
        finally:
            stop(server)
    print("live bench summary: " + orjson.dumps(rows).decode(), flush=True)


def publish_bare(redis_url: str, wards: dict[int, list[int]], args) -> tuple[dict[int, int], float]:
    """Bare group_send of reading events at the same rate, from one asyncio loop."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=PREFIX + "bare")
    ward_of = [(w, pid) for w, pids in wards.items() for pid in pids]
    sent: dict[int, int] = {}

    async def run() -> float:
        total = int(args.rate * args.seconds)
        began = time.monotonic()
        for i in range(total):
            delay = began + i / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            ward, pid = ward_of[i % len(ward_of)]
            event = {"type": "reading", "id": i, "patient": pid, "metric": "heart_rate", "value": 60.0,
                     "unit": "/min", "at": dt.datetime.now(dt.UTC).isoformat()}
            await layer.group_send(str(ward), {"type": "live.event", "events": [orjson.dumps(event)]})
            sent[ward] = sent.get(ward, 0) + 1
        return time.monotonic() - began

    return sent, asyncio.run(run())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), os.environ["BENCH_REDIS"])
    else:
        main()
