"""Interoperability benchmark: readings per second in through HL7 v2 over MLLP and through MQTT, beside the JSON
batch endpoint, in one run, on loopback.

    make bench-interop      (or: .venv/bin/python -m config.embedded exec -- .venv/bin/python bench/interop.py)

Same throwaway database as bench/ingest.py (`rpm_bench`, dropped and recreated, Redis database 15). One process
of each edge: one daphne, one `manage.py mllp_listener`, one `manage.py mqtt_bridge` with the embedded amqtt broker
(or BENCH_MQTT_URL, e.g. mqtt://127.0.0.1:1883 for Mosquitto). Each is measured from 8 devices sending at once:

  (a) JSON: POST /api/v1/readings/ with 1,000 readings a request;
  (b) MLLP: ORU^R01 messages of 6 OBX readings (a multiparameter snapshot), each waiting for its ACK;
  (c) MQTT: messages of 6 readings, and of 1,000, each counted when its result arrives on the results topic.
Every loop is bounded; the processes are stopped at the end. Figures are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt

BASE_DIR = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_ingest", BASE_DIR / "bench" / "ingest.py")
http = sys.modules["bench_ingest"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(http)  # the JSON bench's fixtures, load generator and server runner

sys.path.insert(0, str(BASE_DIR))
from config.ports import free_port, wait_for_port  # noqa: E402

DEVICES = 8
JSON_REQUESTS = int(os.environ.get("BENCH_JSON_REQUESTS", 60))  # x 1,000 readings
MLLP_MESSAGES = int(os.environ.get("BENCH_MLLP_MESSAGES", 3000))  # x 6 readings
MQTT_SMALL = int(os.environ.get("BENCH_MQTT_MESSAGES", 3000))  # x 6 readings
MQTT_BATCHES = int(os.environ.get("BENCH_MQTT_BATCHES", 30))  # x 1,000 readings
SNAPSHOT = [("147842", "264864", 60, 100), ("150456", "262688", 90, 100), ("151562", "264928", 12, 22),
            ("150021", "266016", 100, 150), ("150022", "266016", 60, 95), ("150364", "268192", 36, 38)]
TIMEOUT = 300


def start(args: list[str], env: dict, name: str) -> subprocess.Popen:
    log = open(BASE_DIR / "var" / "bench" / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen([sys.executable, *args], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def wait_for_line(name: str, text: str, proc: subprocess.Popen) -> None:
    log = BASE_DIR / "var" / "bench" / f"{name}.log"
    deadline = time.monotonic() + 60
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start; see {log}")
        time.sleep(0.1)


def stored(db_url: str) -> int:
    with http.psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM devices_reading").fetchone()[0]


# ---------------------------------------------------------------- MLLP


def oru(serial: str, mrn: str, n: int, at: dt.datetime) -> bytes:
    when = at.strftime("%Y%m%d%H%M%S+0000")
    segments = [f"MSH|^~\\&|GW|BENCH|RPM|CLINIC|{when}||ORU^R01^ORU_R01|{serial}-{n}|P|2.6",
                f"PID|||{mrn}^^^CLINIC^MR", f"OBR|1|{serial}-{n}||182777000^monitoring of patient^SNOMED-CT|||{when}",
                f"OBX|1||531981^MDC_DEV_SPEC_PROFILE_MP^MDC|1|||||||X|||{when}||||{serial}^EUI-64"]
    for i, (code, unit, low, high) in enumerate(SNAPSHOT, start=2):
        value = low + (n * 7 + i) % (high - low)
        segments.append(f"OBX|{i}|NM|{code}^^MDC|1.0.0.{i}|{value}|{unit}^^MDC|||||R|||{when}")
    return b"\x0b" + "\r".join(segments).encode() + b"\r\x1c\x0d"


async def mllp_device(port: int, messages: list[bytes], acks: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for message in messages:
            writer.write(message)
            answer = await reader.readuntil(b"\x1c\x0d")
            code = answer.split(b"MSA|", 1)[1][:2].decode()
            acks[code] = acks.get(code, 0) + 1
    finally:
        writer.close()


def measure_mllp(port: int, serials: list[str], mrn: str) -> tuple[float, dict]:
    now = dt.datetime.now(dt.UTC)
    per_device = MLLP_MESSAGES // len(serials)
    work = [[oru(serial, mrn, n, now - dt.timedelta(seconds=n)) for n in range(per_device)] for serial in serials]
    acks: dict = {}

    async def run() -> None:
        await asyncio.wait_for(asyncio.gather(*(mllp_device(port, w, acks) for w in work)), TIMEOUT)

    start_at = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start_at, acks


# ---------------------------------------------------------------- MQTT


def mqtt_payloads(token: str, serial: str, count: int, size: int, now: dt.datetime) -> list[bytes]:
    return [orjson.dumps({"token": token, "ref": n, "readings": http.make_readings(size, f"{serial}m{size}-{n}", now)})
            for n in range(count)]


def measure_mqtt(host: str, port: int, prefix: str, devices: list[tuple[str, str]], messages: int,
                 size: int) -> tuple[float, int, dict]:
    now = dt.datetime.now(dt.UTC)
    per_device = max(1, messages // len(devices))
    answers: queue.Queue = queue.Queue()
    clients = []
    for serial, _ in devices:
        subscribed = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{serial}-{size}")
        client.on_message = lambda c, u, m: answers.put(orjson.loads(m.payload))
        client.on_subscribe = lambda *a, ev=subscribed: ev.set()
        client.max_inflight_messages_set(20)
        client.connect(host, port)
        client.loop_start()
        client.subscribe(f"{prefix}/devices/{serial}/results", qos=1)
        subscribed.wait(10)
        clients.append(client)
    payloads = [mqtt_payloads(token, serial, per_device, size, now) for serial, token in devices]
    start_at = time.perf_counter()
    for n in range(per_device):
        for client, (serial, _), device_payloads in zip(clients, devices, payloads, strict=True):
            client.publish(f"{prefix}/devices/{serial}/readings", device_payloads[n], qos=1)
    created, statuses = 0, {}
    deadline = time.monotonic() + TIMEOUT
    for _ in range(per_device * len(devices)):
        answer = answers.get(timeout=max(1, deadline - time.monotonic()))
        statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
        created += answer.get("created", 0)
    seconds = time.perf_counter() - start_at
    for client in clients:
        client.disconnect()
        client.loop_stop()
    return seconds, created, statuses


# ---------------------------------------------------------------- main


def main() -> int:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("set DATABASE_URL and REDIS_URL (make bench-interop does)", file=sys.stderr)
        return 2
    (BASE_DIR / "var" / "bench").mkdir(parents=True, exist_ok=True)
    http.recreate_database(os.environ["DATABASE_URL"])
    env = http.bench_env()
    db_url = env["DATABASE_URL"]
    print(f"setting up {http.BENCH_DB}: migrate, 1 patient, {http.DEVICES} devices ...", flush=True)
    tokens, _, _ = http.setup_fixtures(env)
    serials = [f"SN-BENCH-{n:05d}" for n in range(len(tokens))]
    mrn = "BENCH-000001"
    lines: list[str] = []
    procs: list[subprocess.Popen] = []
    servers = http.Servers("daphne", 1, env, BASE_DIR / "var" / "bench")
    try:
        servers.wait_ready()
        requests = [http.http_post(tokens[i % DEVICES], orjson.dumps(
            {"readings": http.make_readings(http.BATCH, f"json{i}", dt.datetime.now(dt.UTC))}))
            for i in range(JSON_REQUESTS)]
        http.truncate_readings(db_url)
        run = asyncio.run(http.closed_loop(servers.port, requests, DEVICES, count_stored=True))
        lines.append(f"(a) JSON batch, 1 daphne process, {DEVICES} devices, {http.BATCH:,} readings a request: "
                     f"{run.stored / run.seconds:,.0f} readings/s ({run.stored:,} stored in {run.seconds:.1f} s; "
                     f"{http.describe(run)})")
        print(lines[-1], flush=True)
        servers.stop()

        mllp_port = free_port()
        listener = start(["manage.py", "mllp_listener", "--port", str(mllp_port)], env, "mllp")
        procs.append(listener)
        wait_for_port(mllp_port)
        http.truncate_readings(db_url)
        seconds, acks = measure_mllp(mllp_port, serials[:DEVICES], mrn)
        count = stored(db_url)
        lines.append(f"(b) HL7 v2 over MLLP, 1 listener process, {DEVICES} connections, {len(SNAPSHOT)} OBX a message: "
                     f"{count / seconds:,.0f} readings/s, {sum(acks.values()) / seconds:,.0f} messages/s "
                     f"({count:,} stored in {seconds:.1f} s; ACKs {acks})")
        print(lines[-1], flush=True)
        stop(listener)

        mqtt_url = os.environ.get("BENCH_MQTT_URL")
        if mqtt_url:
            host, port = mqtt_url.split("//")[1].split(":")[0], int(mqtt_url.rsplit(":", 1)[1])
            broker_name = mqtt_url
        else:
            host, port = "127.0.0.1", free_port()
            broker = start(["-m", "config.mqtt_broker", "--port", str(port)], env, "amqtt")
            procs.append(broker)
            wait_for_port(port)
            broker_name = "embedded amqtt"
        prefix = f"bench{os.getpid()}"
        bridge = start(["manage.py", "mqtt_bridge", "--url", f"mqtt://{host}:{port}", "--prefix", prefix,
                        "--client-id", f"{prefix}-bridge"], env, "mqtt-bridge")
        procs.append(bridge)
        wait_for_line("mqtt-bridge", "subscribed to", bridge)
        devices = list(zip(serials[:DEVICES], tokens[:DEVICES], strict=True))
        for size, messages in ((len(SNAPSHOT), MQTT_SMALL), (http.BATCH, MQTT_BATCHES)):
            http.truncate_readings(db_url)
            seconds, created, statuses = measure_mqtt(host, port, prefix, devices, messages, size)
            lines.append(f"(c) MQTT via {broker_name}, 1 bridge process, {DEVICES} devices, {size:,} readings a "
                         f"message: {created / seconds:,.0f} readings/s, {messages / seconds:,.0f} messages/s "
                         f"({created:,} stored in {seconds:.1f} s; results {statuses})")
            print(lines[-1], flush=True)
    finally:
        servers.stop()
        for proc in procs:
            if proc.poll() is None:
                stop(proc)
    print()
    print(f"== interoperability benchmark ({os.cpu_count()} CPUs; one process per edge)")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
