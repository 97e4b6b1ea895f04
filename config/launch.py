"""`make run`: the whole system in one foreground command.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset, migrates, collects static
files, seeds demo data on the first run, then runs WEB_PROCESSES web processes (uvicorn, sharing one port),
WORKER_PROCESSES Celery workers, one Celery beat, the HL7 v2 MLLP listener, the MQTT bridge (and the embedded MQTT
broker when MQTT_URL is unset) and the device simulator under honcho (see Procfile), printing the URLs, the ports
and the demo logins. Ctrl-C or SIGTERM stops them all, then the embedded services this run started.

Environment: PORT (default 8000), BIND (default 127.0.0.1), WEB_PROCESSES and WORKER_PROCESSES (default 1 each),
WORKER_CONCURRENCY (each worker's pool, default 2), MLLP_PORT (default 2575), MQTT_URL (default: the embedded
broker on EMBEDDED_MQTT_PORT, 21883), DEMO_PASSWORD (default: generated once and kept in var/demo/password), plus
everything config.settings reads.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = BASE_DIR / "Procfile"
DEMO_PROCESSES = ("simulator",)


class Stop(Exception):
    """SIGINT or SIGTERM arrived before the processes were running."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def _port_free(bind: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((bind, port))
        except OSError:
            return False
    return True


def _start_services() -> list:
    """Embedded services for the URLs that are unset; returns the stop functions of those this run started."""
    if not os.environ.get("DATABASE_URL"):
        print("Starting the embedded PostgreSQL under", embedded.VAR / "postgres", flush=True)
    return embedded.start_missing()


def _stop_services(started: list) -> None:
    if not started:
        return
    print("Stopping the embedded services this run started.", flush=True)
    embedded.stop(started)


def _prepare(*, demo: bool) -> str | None:
    """Migrate, collect static files and (first run only) seed the demo. Returns the demo password."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from demo import data as demo_data

    print("Applying migrations and collecting static files...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not demo:
        connections.close_all()
        return None

    # The password is kept under var/ so a later run prints the same one: seeding happens once.
    password_file = demo_data.var_dir() / "demo" / "password"
    saved = password_file.read_text().strip() if password_file.exists() else None
    password = os.environ.get("DEMO_PASSWORD") or saved or secrets.token_urlsafe(12)
    if not demo_data.is_seeded():
        print("First run: seeding demo data (fake patients, 30 days of readings)...", flush=True)
        result = demo_data.seed_demo(password=password)
        print(f"Seeded {result.patients} patients, {result.devices} devices, {result.readings:,} readings.",
              flush=True)
    elif password != saved:
        demo_data.set_password(password=password)
    if not demo_data.tokens_path().exists():
        demo_data.reissue_tokens()
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    connections.close_all()
    return password


def _banner(url: str, password: str | None, *, mllp: str, mqtt: str) -> str:
    lines = [
        "",
        "=" * 72,
        f"RPM dashboard is running at {url}/",
        f"  API docs:      {url}/api/docs/",
        f"  FHIR R4:       {url}/fhir/metadata",
        f"  HL7 v2 (MLLP): {mllp}",
        f"  MQTT broker:   {mqtt}",
        f"  Django admin:  {url}/django-admin/",
    ]
    if password:
        lines += [
            f"Demo logins (password: {password}):",
            "  nurse1       nurse, Demo Ward North",
            "  nurse2       nurse, Demo Ward South",
            "  physician1   physician, both wards",
            "  admin1       admin: devices, staff, Django admin",
            "  manager1     programme: billing report and worklist, every ward",
        ]
    lines += ["Press Ctrl-C to stop everything.", "=" * 72, ""]
    return "\n".join(lines)


def _announce_when_ready(url: str, banner: str, done: threading.Event) -> None:
    # Print the logins once web answers, so they are not lost above the start-up logs.
    while not done.is_set():
        try:
            with urllib.request.urlopen(f"{url}/healthz/", timeout=2) as response:
                if response.status == 200:
                    print(banner, flush=True)
                    return
        except OSError:
            pass
        done.wait(0.5)


def _count(name: str, default: int) -> int:
    """A whole number of processes from the environment, at least 1."""
    raw = os.environ.get(name, str(default))
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _run_procfile(*, env: dict[str, str], processes: list[str], concurrency: dict[str, int], url: str,
                  banner: str) -> int:
    counts = ",".join(f"{name}={n}" for name, n in concurrency.items())
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(PROCFILE), "-d", str(BASE_DIR), "-c", counts,
         *processes],
        env=env, cwd=BASE_DIR, start_new_session=True,  # signals reach honcho once, from us
    )

    def forward(signum, frame):
        if honcho.poll() is None:
            honcho.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    done = threading.Event()
    threading.Thread(target=_announce_when_ready, args=(url, banner, done), daemon=True).start()
    try:
        return honcho.wait()
    finally:
        done.set()


def main() -> int:
    os.environ.setdefault("RPM_ENV", "development")
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    port = int(os.environ.get("PORT", "8000"))
    bind = os.environ.get("BIND", "127.0.0.1")
    mllp_port = int(os.environ.get("MLLP_PORT", "2575"))
    mqtt_url = os.environ.get("MQTT_URL")
    try:
        concurrency = {"web": _count("WEB_PROCESSES", 1), "worker": _count("WORKER_PROCESSES", 1)}
        worker_pool = _count("WORKER_CONCURRENCY", 2)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    ports = [(port, bind, "PORT=8001"), (mllp_port, bind, "MLLP_PORT=2576")]
    if not mqtt_url:
        ports.append((embedded.MQTT_PORT, "127.0.0.1", "EMBEDDED_MQTT_PORT=21884"))
    for wanted, address, other in ports:
        if not _port_free(address, wanted):
            print(f"Port {wanted} on {address} is already in use. Stop whatever uses it, or pick another: "
                  f"{other} make run", file=sys.stderr)
            return 1
    demo = os.environ["RPM_ENV"] == "development"
    started: list = []
    try:
        started = _start_services()
        password = _prepare(demo=demo)
        env = dict(os.environ)
        env.update({
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "RPM_BIND": bind,
            "RPM_WEB_PORT": str(port),
            "RPM_VAR_DIR": str(embedded.VAR.resolve()),
            "MLLP_PORT": str(mllp_port),
            "MQTT_URL": mqtt_url or embedded.mqtt_url(),
            "EMBEDDED_MQTT_PORT": str(embedded.MQTT_PORT),
            "WORKER_CONCURRENCY": str(worker_pool),
        })
        embedded.VAR.mkdir(parents=True, exist_ok=True)
        shown_host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
        url = f"http://{shown_host}:{port}"
        processes = ["web", "worker", "beat", "mllp", *(() if mqtt_url else ("broker",)), "mqtt",
                     *(DEMO_PROCESSES if demo else ())]
        shown = [f"{name} x{concurrency[name]}" if concurrency.get(name, 1) > 1 else name for name in processes]
        print(f"Starting {', '.join(shown)} on {url}/ ...", flush=True)
        mqtt_shown = mqtt_url.split("@")[-1] if mqtt_url else f"{embedded.mqtt_url()} (embedded, amqtt)"
        banner = _banner(url, password, mllp=f"{shown_host}:{mllp_port}", mqtt=mqtt_shown)
        code = _run_procfile(env=env, processes=processes, concurrency=concurrency, url=url, banner=banner)
        # honcho answers 130 or 143 after a Ctrl-C or SIGTERM: a clean stop, not a failure.
        return 0 if code in (130, 143) else code
    except Stop as stop:
        print(f"{stop} received; stopping.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_services(started)


if __name__ == "__main__":
    sys.exit(main())
