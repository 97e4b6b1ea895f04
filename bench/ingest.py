"""Device ingest benchmark: what the HTTP ingest path sustains against what PostgreSQL itself can take.

Run with `make bench` (embedded PostgreSQL and Redis, DATABASE_URL / REDIS_URL set), or directly with both set:

    .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/ingest.py

It creates a throwaway database `rpm_bench` (dropped and recreated on every run) and uses Redis database 15 and
channel prefix `bench`, so nothing the app or the tests use is touched. In one run it measures, on loopback:

  (a) readings/s through POST /api/v1/readings/ in batches of 1,000, served by real server processes;
  (b) requests/s, p50/p99 latency and server CPU per request of single-reading posts (closed loop at full speed,
      and open loop at a fixed offered rate), from many devices so the per-device rate limit is not what is
      measured;
  (b0) the same single posts, on the same server and processes, to a bare ASGI app (bench/bare_asgi.py: reads
      the post, answers 201, no Django, no database): what the HTTP server alone costs;
  (c) the baseline: binary COPY of the same rows into the same table, 1,000 rows a transaction;
and prints (a) as a share of (c), (b) beside (b0). Every loop is bounded; the servers are stopped at the end.
Server CPU is the web processes' own (PostgreSQL's and Redis's are not in it).
The load generator is a minimal asyncio HTTP/1.1 client (keep-alive, prebuilt request bytes) so that it stays far
from being the bottleneck; its own CPU time is printed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_DB = "rpm_bench"
BENCH_REDIS_DB = 15
BATCH = 1000
BATCH_REQUESTS = int(os.environ.get("BENCH_BATCH_REQUESTS", 240))  # 240,000 readings per configuration
BATCH_CONNECTIONS = 8
SINGLE_REQUESTS = int(os.environ.get("BENCH_SINGLE_REQUESTS", 5000))
SINGLE_CONNECTIONS = 32
OFFERED_RATE = 1000  # requests/s for the open-loop latency run
OFFERED_SECONDS = 8
OPEN_LOOP_TIMEOUT = 5.0  # seconds; a request not answered by then is counted under status 0
DEVICES = 400
# server:processes; uvicorn is the production server (Procfile); daphne and gunicorn (WSGI) can be measured for
# comparison, e.g. BENCH_SERVERS=uvicorn:1,daphne:1,gunicorn:2
SERVERS = [(spec.split(":")[0], int(spec.split(":")[1]))
           for spec in os.environ.get("BENCH_SERVERS", "uvicorn:1,uvicorn:2").split(",")]
METRICS = [("heart_rate", "/min", 55, 110), ("spo2", "%", 90, 100), ("respiratory_rate", "/min", 10, 24),
           ("systolic_bp", "mm[Hg]", 100, 160), ("diastolic_bp", "mm[Hg]", 60, 100),
           ("body_temperature", "Cel", 36, 38.5)]


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def with_redis_db(url: str, db: int) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))


def recreate_database(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=with_database(os.environ["DATABASE_URL"], BENCH_DB),
        REDIS_URL=with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB),
        RPM_ENV="development", CHANNEL_PREFIX="bench", DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING", PYTHONPATH=str(BASE_DIR),
    )
    return env


def setup_fixtures(env: dict[str, str]) -> tuple[list[str], int, int]:
    """Migrate the bench database; make one patient, DEVICES enrolled monitors and their tokens."""
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "RPM_ENV", "CHANNEL_PREFIX",
                                           "DJANGO_SETTINGS_MODULE", "LOG_LEVEL")})
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    import redis
    from django.db import connection

    from devices.credentials import issue_token
    from devices.services import enrol_device, register_device
    from patients.models import CareTeam, MonitoringPlan, Patient

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    team = CareTeam.objects.create(name="Bench ward")
    patient = Patient.objects.create(mrn="BENCH-000001", given_name="Bench", family_name="Fakename",
                                     birth_date=dt.date(1950, 1, 1), care_team=team)
    MonitoringPlan.objects.create(patient=patient)
    tokens = []
    for n in range(DEVICES):
        device = register_device(serial=f"SN-BENCH-{n:05d}", kind="multiparameter_monitor")
        enrol_device(device=device, patient=patient)
        tokens.append(issue_token(device=device))
    copy_device = register_device(serial="SN-BENCH-COPY", kind="multiparameter_monitor")
    connection.close()
    return tokens, patient.pk, copy_device.pk


def make_readings(n: int, prefix: str, now: dt.datetime) -> list[dict]:
    rng = random.Random(prefix)
    out = []
    for i in range(n):
        metric, unit, low, high = METRICS[i % len(METRICS)]
        when = now - dt.timedelta(seconds=rng.randrange(1, 3 * 86400), microseconds=rng.randrange(1_000_000))
        out.append({"id": f"{prefix}-{i}", "metric": metric, "value": round(rng.uniform(low, high), 1), "unit": unit,
                    "measured_at": when.isoformat().replace("+00:00", "Z")})
    return out


def http_post(token: str, body: bytes) -> bytes:
    return (b"POST /api/v1/readings/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Authorization: Device " + token.encode() + b"\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


# ---------------------------------------------------------------- load generator


class Connection:
    """One keep-alive HTTP/1.1 connection; a request is prebuilt bytes, the answer (status, body)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**22)
        self.writer.write(raw)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if not reused:
                raise
            # the server closed an idle keep-alive connection: open a new one and send again, as clients do
            self.writer.close()
            self.writer = None
            return await self.request(raw)
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"content-length:")
        if at >= 0:
            length = int(lower[at + 15:lower.index(b"\r\n", at)])
            body = await self.reader.readexactly(length)
        else:  # chunked
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        if b"connection: close" in lower:
            self.writer.close()
            self.writer = None
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@contextmanager
def collector_paused():
    """The load generator's own garbage collector paused while it measures: a full collection of this process
    (Django loaded, thousands of prebuilt requests) stalled every request in flight for 50 to 100 ms, and that was
    counted as the server's latency."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    stored: int = 0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def closed_loop(port: int, requests: list[bytes], connections: int, count_stored: bool = False) -> Run:
    queue = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stored = 0

    async def worker() -> None:
        nonlocal stored
        conn = Connection(port)
        try:
            for raw in queue:
                t0 = time.perf_counter()
                status, body = await conn.request(raw)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
                if count_stored and status == 200:
                    stored += orjson.loads(body)["created"]
        finally:
            conn.close()

    with collector_paused():
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
    return Run(len(requests), time.perf_counter() - start, latencies, statuses, stored)


async def open_loop(port: int, requests: list[bytes], rate: float) -> Run:
    """Send at a fixed offered rate, whatever the answers' speed; latency counts from the scheduled send time."""
    idle: list[Connection] = [Connection(port) for _ in range(64)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(raw: bytes, scheduled: float) -> None:
        conn = idle.pop() if idle else Connection(port)
        try:
            status, _ = await asyncio.wait_for(conn.request(raw), OPEN_LOOP_TIMEOUT)
        except TimeoutError:  # an overloaded server: count it and move on, so the run stays bounded
            conn.close()
            statuses[0] = statuses.get(0, 0) + 1
            latencies.append(OPEN_LOOP_TIMEOUT)
            return
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(conn)

    with collector_paused():
        start = time.perf_counter()
        tasks = []
        for i, raw in enumerate(requests):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(raw, scheduled)))
        await asyncio.gather(*tasks)
    for conn in idle:
        conn.close()
    return Run(len(requests), time.perf_counter() - start, latencies, statuses)


# ---------------------------------------------------------------- servers


def server_command(server: str, fd: int, processes: int, app: str = "config.asgi:application") -> list[str]:
    """daphne and gunicorn for comparison, on an inherited socket (uvicorn runs as the Procfile runs it)."""
    if server == "gunicorn":  # WSGI: the sync view runs on the worker's own thread, no per-request thread hop
        return [PYTHON, "-m", "gunicorn", "--bind", f"fd://{fd}", "-w", str(processes), "-k", "gthread",
                "--threads", "8", "--keep-alive", "30", "--log-level", "warning",
                "django.core.wsgi:get_wsgi_application()"]
    return [PYTHON, "-m", "daphne", "-v", "0", "--fd", str(fd), app]


class Servers:
    """N server processes on one port: uvicorn as production runs it (config.web: each process binds the port with
    SO_REUSEPORT), daphne through inherited SO_REUSEPORT sockets (the kernel spreads connections), gunicorn through
    its own pre-forked workers on one socket."""

    def __init__(self, server: str, processes: int, env: dict[str, str], log_dir: Path,
                 app: str = "config.asgi:application"):
        self.sockets = []
        self.procs: list[subprocess.Popen] = []
        if server == "uvicorn":
            # config.web's own sockets, not an inherited descriptor: `uvicorn --fd` takes any descriptor for a Unix
            # socket, so the TCP connections it accepts lack TCP_NODELAY and every answer waits ~40 ms on a delayed
            # ACK. The port is held by a bound socket that never listens, so it takes no connections.
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            holder.bind(("127.0.0.1", 0))
            self.sockets.append(holder)
            self.port = holder.getsockname()[1]
            for n in range(processes):
                log = open(log_dir / f"{server}-{processes}-{n}.log", "wb")  # noqa: SIM115  (closed with the process)
                self.procs.append(subprocess.Popen(
                    [PYTHON, "-m", "config.web", "--host", "127.0.0.1", "--port", str(self.port), "--app", app],
                    cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT))
            return
        port = 0
        for _ in range(1 if server == "gunicorn" else processes):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(1024)
            port = sock.getsockname()[1]
            self.sockets.append(sock)
        self.port = port
        for n, sock in enumerate(self.sockets):
            log = open(log_dir / f"{server}-{processes}-{n}.log", "wb")  # noqa: SIM115  (closed with the process)
            self.procs.append(subprocess.Popen(
                server_command(server, sock.fileno(), processes, app),
                cwd=BASE_DIR, env=env, pass_fds=[sock.fileno()], stdout=log, stderr=subprocess.STDOUT,
            ))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError("a server process exited; see var/bench/*.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as probe:
                    probe.sendall(b"GET /healthz/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    if probe.recv(12).startswith(b"HTTP/1.1 "):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer within 60 s")

    def cpu_seconds(self) -> float:
        """CPU time so far of the server processes and their workers."""
        pids = [p.pid for p in self.procs]
        for pid in list(pids):
            try:
                pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                pass
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError):
                pass
        return total

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for s in self.sockets:
            s.close()


# ---------------------------------------------------------------- phases


def truncate_readings(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE devices_reading")
        conn.execute("VACUUM ANALYZE devices_reading")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_batches(port: int, tokens: list[str], tag: str) -> tuple[Run, float]:
    now = dt.datetime.now(dt.UTC)
    requests = [http_post(tokens[i % len(tokens)], orjson.dumps({"readings": make_readings(BATCH, f"{tag}b{i}", now)}))
                for i in range(BATCH_REQUESTS)]
    cpu0 = client_cpu()
    run = asyncio.run(closed_loop(port, requests, BATCH_CONNECTIONS, count_stored=True))
    return run, client_cpu() - cpu0


def single_requests(tokens: list[str], count: int, tag: str) -> list[bytes]:
    now = dt.datetime.now(dt.UTC)
    readings = make_readings(count, f"{tag}s", now)
    return [http_post(tokens[i % len(tokens)], orjson.dumps(r)) for i, r in enumerate(readings)]


def measure_copy(db_url: str, patient_id: int, device_id: int, rows: int) -> float:
    """Binary COPY of the same rows into the same table, 1,000 rows a transaction: PostgreSQL's own limit here."""
    now = dt.datetime.now(dt.UTC)
    readings = make_readings(rows, "copy", now)
    records = [(patient_id, device_id, r["metric"], float(r["value"]), r["unit"],
                dt.datetime.fromisoformat(r["measured_at"]), now, "api", r["id"]) for r in readings]
    types = ["int8", "int8", "varchar", "float8", "varchar", "timestamptz", "timestamptz", "varchar", "varchar"]
    with psycopg.connect(db_url) as conn:
        start = time.perf_counter()
        for at in range(0, rows, BATCH):
            with conn.transaction(), conn.cursor() as cur, cur.copy(
                "COPY devices_reading (patient_id, device_id, metric, value, unit, measured_at, received_at, source, "
                "device_message_id) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for record in records[at:at + BATCH]:
                    copy.write_row(record)
        return rows / (time.perf_counter() - start)


def single_posts(servers: Servers, tokens: list[str], tag: str, label: str) -> list[str]:
    """Closed loop at full speed, then open loop at OFFERED_RATE: requests/s, latency and server CPU per request."""
    lines = []
    requests = single_requests(tokens, SINGLE_REQUESTS, tag)
    cpu0, gen0 = servers.cpu_seconds(), client_cpu()
    run = asyncio.run(closed_loop(servers.port, requests, SINGLE_CONNECTIONS))
    cpu = servers.cpu_seconds() - cpu0
    lines.append(f"{label}, closed loop {SINGLE_CONNECTIONS} connections: {run.requests / run.seconds:,.0f} "
                 f"requests/s, p50 {run.pct(0.5):.1f} ms, p99 {run.pct(0.99):.1f} ms, server CPU "
                 f"{cpu / run.requests * 1000:.2f} ms a request ({describe(run)}; load generator CPU "
                 f"{client_cpu() - gen0:.1f} s)")
    print(lines[-1], flush=True)
    requests = single_requests(tokens, OFFERED_RATE * OFFERED_SECONDS, f"{tag}open")
    profiler = start_profile(servers.procs[0].pid, OFFERED_SECONDS,
                             BASE_DIR / "var" / "bench" / f"profile-{tag}.txt") if PROFILE else None
    cpu0 = servers.cpu_seconds()
    run = asyncio.run(open_loop(servers.port, requests, OFFERED_RATE))
    cpu = servers.cpu_seconds() - cpu0
    answered = run.requests - run.statuses.get(0, 0)
    lines.append(f"{label}, open loop offered {OFFERED_RATE:,}/s for {OFFERED_SECONDS} s: "
                 f"{answered / run.seconds:,.0f} requests/s answered, p50 {run.pct(0.5):.1f} ms, "
                 f"p99 {run.pct(0.99):.1f} ms, server CPU {cpu / max(answered, 1) * 1000:.2f} ms an answered "
                 f"request ({describe(run)}; status 0: no answer within {OPEN_LOOP_TIMEOUT:.0f} s)")
    print(lines[-1], flush=True)
    if profiler is not None:
        lines += profile_summary(*profiler)
    return lines


# BENCH_PROFILE=1: py-spy samples the first server process through the open-loop run; the summary prints where its
# time went (share of samples in each of our functions and the server's, inclusive) and the raw file is kept.
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
PROFILE_MODULES = ("devices/", "alerts/", "clinic/", "django/db/", "redis/", "celery/", "kombu/", "psycopg/",
                   "uvicorn/", "daphne/", "twisted/", "orjson", "asyncio/")


def start_profile(pid: int, seconds: float, out: Path) -> tuple[subprocess.Popen, Path]:
    """py-spy on one process for `seconds`, sampling the thread that holds the GIL (where its CPU goes)."""
    proc = subprocess.Popen([str(Path(PYTHON).parent / "py-spy"), "record", "-p", str(pid), "-d", str(int(seconds)),
                             "-r", "50", "-f", "raw", "--nonblocking", "--gil", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def profile_summary(proc: subprocess.Popen, out: Path, top: int = 14) -> list[str]:
    proc.wait(60)
    if not out.exists():
        return ["    (profile: py-spy wrote nothing; run as root or allow ptrace)"]
    inclusive: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        total += int(count)
        for frame in {f for f in stack.split(";") if any(m in f for m in PROFILE_MODULES)}:
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    lines = [f"    profile ({total} samples, {out.relative_to(BASE_DIR)}), inclusive share of samples:"]
    lines += [f"      {n / max(total, 1):5.1%}  {frame}" for frame, n in ranked]
    for line in lines:
        print(line, flush=True)
    return lines


def describe(run: Run) -> str:
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items()))
    return f"statuses {{{codes}}}"


def main() -> int:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("set DATABASE_URL and REDIS_URL (make bench does)", file=sys.stderr)
        return 2
    log_dir = BASE_DIR / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    recreate_database(os.environ["DATABASE_URL"])
    env = bench_env()
    db_url = env["DATABASE_URL"]
    print(f"setting up {BENCH_DB}: migrate, 1 patient, {DEVICES} devices ...", flush=True)
    tokens, patient_id, copy_device_id = setup_fixtures(env)
    from devices.signals import StoredReading, readings_stored

    receivers = [f"{r.__module__}.{r.__qualname__}" for group in readings_stored._live_receivers(StoredReading)
                 for r in group]
    results: list[str] = []

    truncate_readings(db_url)
    copy_rate = measure_copy(db_url, patient_id, copy_device_id, BATCH * BATCH_REQUESTS)
    print(f"(c) baseline binary COPY, {BATCH:,} rows a transaction: {copy_rate:,.0f} rows/s", flush=True)

    for server, processes in SERVERS:
        servers = Servers(server, processes, env, log_dir)
        try:
            servers.wait_ready()
            tag = f"{server}{processes}"
            name = f"{processes} {server} process{'es' if processes > 1 else ''}"
            asyncio.run(closed_loop(servers.port, single_requests(tokens, 400, f"{tag}warm"), 16))  # warm up
            truncate_readings(db_url)

            cpu0 = servers.cpu_seconds()
            run, gen_cpu = measure_batches(servers.port, tokens, tag)
            rate = run.stored / run.seconds
            server_cpu = servers.cpu_seconds() - cpu0
            line = (f"(a) batch, {name}: {rate:,.0f} readings/s = {rate / copy_rate:.0%} of COPY "
                    f"({run.stored:,} stored in {run.seconds:.1f} s, {BATCH_CONNECTIONS} connections, "
                    f"p50 {run.pct(0.5):.0f} ms, p99 {run.pct(0.99):.0f} ms a batch; {describe(run)}; "
                    f"server CPU {server_cpu:.1f} s, load generator CPU {gen_cpu:.1f} s)")
            print(line, flush=True)
            results.append(line)

            truncate_readings(db_url)
            results += single_posts(servers, tokens, tag, f"(b) single posts, {name}")
        finally:
            servers.stop()
        if server == "gunicorn":
            continue  # WSGI: the bare ASGI app does not apply
        bare = Servers(server, processes, env, log_dir, app="bench.bare_asgi:application")
        try:
            bare.wait_ready()
            asyncio.run(closed_loop(bare.port, single_requests(tokens, 400, f"{tag}barewarm"), 16))
            results += single_posts(bare, tokens, f"{tag}bare", f"(b0) bare ASGI baseline, {name}")
        finally:
            bare.stop()

    print()
    print(f"== device ingest benchmark ({os.cpu_count()} CPUs; readings_stored receivers: {receivers or 'none'})")
    print(f"(c) baseline binary COPY, {BATCH:,} rows a transaction: {copy_rate:,.0f} rows/s")
    for line in results:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
