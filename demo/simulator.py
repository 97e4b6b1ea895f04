"""A fleet of pretend devices posting live readings through the real HTTP ingest API.

Each message carries device message ids; a message that fails on the network is resent with the same ids, so a
retry of something the server already stored is answered as a duplicate, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from demo.data import Baseline, measurement
from rpm.metrics import METRICS

# Pill dispensers report doses at their schedule, not at random; the simulator leaves them out.
SKIPPED_KINDS = frozenset({"pill_dispenser"})
# Statuses worth sending again: the server or the path to it had a problem, not the message.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SimulatedDevice:
    serial: str
    kind: str
    token: str
    timezone: str
    baseline: Baseline

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> SimulatedDevice:
        return cls(entry["serial"], entry["kind"], entry["token"], entry.get("timezone", "UTC"),
                   Baseline(**entry.get("baseline", {})))


@dataclass
class Tally:
    messages: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    anomalies: int = 0
    errors: list[str] = field(default_factory=list)


def build_message(device: SimulatedDevice, *, now: dt.datetime, rng: random.Random,
                  anomaly: bool) -> dict[str, Any]:
    """One device message: {"readings": [...]} with a fresh id per reading."""
    local = now.astimezone(zoneinfo.ZoneInfo(device.timezone))
    message_id = uuid.UUID(int=rng.getrandbits(128)).hex
    return {"readings": [
        {"id": f"sim-{message_id}-{metric}", "metric": metric, "value": value, "unit": METRICS[metric].unit,
         "measured_at": now.isoformat()}
        for metric, value in measurement(device.kind, device.baseline, local, rng, anomaly=anomaly)
    ]}


def post(url: str, token: str, body: bytes, *, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Device {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, orjson.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, orjson.loads(exc.read() or b"{}")
        except orjson.JSONDecodeError:
            return exc.code, {}


def send(url: str, device: SimulatedDevice, message: dict[str, Any], *, stop: threading.Event, tally: Tally,
         log: Callable[[str], None]) -> dict[str, Any] | None:
    """Post until the server answers (retrying with the same ids) or we are told to stop."""
    body = orjson.dumps(message)
    delay = 0.5
    while not stop.is_set():
        try:
            status, answer = post(url, device.token, body)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            status, answer = None, {"error": str(getattr(exc, "reason", exc))}
        if status is not None and status not in RETRY_STATUSES:
            if status >= 400:
                tally.errors.append(f"{device.serial}: {status} {answer.get('error', answer)}")
                log(f"{device.serial}: refused with {status}: {answer.get('error', answer)}")
                return None
            return answer
        tally.retries += 1
        log(f"{device.serial}: {status or 'network error'} ({answer.get('error', '')}); retrying in {delay:.1f} s")
        stop.wait(delay)
        delay = min(delay * 2, 5.0)
    return None


def run(*, url: str, devices: list[SimulatedDevice], rate: float, duration: float | None, stop: threading.Event,
        rng: random.Random, anomaly_rate: float = 0.03, log: Callable[[str], None] = print,
        report_every: float = 10.0) -> Tally:
    """Send `rate` device messages a second, spread over the devices, until `duration` passes or `stop` is set."""
    endpoint = url.rstrip("/") + "/api/v1/readings/"
    live = [d for d in devices if d.kind not in SKIPPED_KINDS]
    tally = Tally()
    if not live:
        log("no devices to simulate")
        return tally
    interval = 1.0 / rate
    started = time.monotonic()
    next_send = next_report = started
    while not stop.is_set():
        now_mono = time.monotonic()
        if duration is not None and now_mono - started >= duration:
            break
        if now_mono < next_send:
            stop.wait(next_send - now_mono)
            continue
        next_send += interval
        device = rng.choice(live)
        anomaly = rng.random() < anomaly_rate
        message = build_message(device, now=dt.datetime.now(dt.UTC), rng=rng, anomaly=anomaly)
        answer = send(endpoint, device, message, stop=stop, tally=tally, log=log)
        if answer is None:
            continue
        tally.messages += 1
        tally.anomalies += anomaly
        tally.created += answer.get("created", 0)
        tally.duplicates += answer.get("duplicates", 0)
        tally.rejected += answer.get("rejected", 0)
        if answer.get("rejected"):
            log(f"{device.serial}: rejected {[r.get('errors') for r in answer.get('results', []) if r.get('errors')]}")
        if time.monotonic() >= next_report + report_every:
            next_report = time.monotonic()
            log(f"sent {tally.messages} messages: {tally.created} readings stored, {tally.duplicates} duplicates, "
                f"{tally.rejected} rejected, {tally.retries} retries, {tally.anomalies} anomalies")
    return tally
