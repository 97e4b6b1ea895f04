"""config.embedded: a real PostgreSQL and Redis under var/ for a machine that has neither, started by the
entry points and never by importing the settings."""

import os
import shutil
import subprocess
import sys
import tempfile

import psycopg
import pytest
import redis

from config.ports import free_port, port_open
from tests.conftest import BASE_DIR


@pytest.fixture(scope="module")
def _embedded_var():
    """Other ports and a throwaway var/ directory (initialised once per module), with no service URLs set."""
    # Not pytest's tmp_path: its parent is private to root, and PostgreSQL runs as another user.
    var = tempfile.mkdtemp(prefix="rpm-embedded-test-")
    os.chmod(var, 0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(RPM_VAR_DIR=var, EMBEDDED_PG_PORT=str(free_port()), EMBEDDED_REDIS_PORT=str(free_port()))
    yield env
    shutil.rmtree(var, ignore_errors=True)


@pytest.fixture
def embedded_env(_embedded_var):
    """Each test starts with both services stopped and leaves them stopped."""
    yield _embedded_var
    subprocess.run([sys.executable, "-m", "config.embedded", "stop"], cwd=BASE_DIR, env=_embedded_var,
                   capture_output=True)


def embedded(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "config.embedded", *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_start_brings_up_a_real_postgresql_and_redis_and_prints_their_urls(embedded_env):
    out = embedded(embedded_env, "start")
    assert out.returncode == 0, out.stderr
    urls = dict(line.split("=", 1) for line in out.stdout.split())
    with psycopg.connect(urls["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(urls["REDIS_URL"]).ping()


def test_stop_shuts_both_down(embedded_env):
    embedded(embedded_env, "start")
    assert embedded(embedded_env, "stop").returncode == 0
    assert not port_open(int(embedded_env["EMBEDDED_PG_PORT"]))
    assert not port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))


def test_exec_runs_the_command_against_the_services_and_stops_what_it_started(embedded_env):
    probe = "import os, psycopg; psycopg.connect(os.environ['DATABASE_URL']).close(); print(os.environ['REDIS_URL'])"
    out = embedded(embedded_env, "exec", "--", sys.executable, "-c", probe)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(f":{embedded_env['EMBEDDED_REDIS_PORT']}/0")
    assert not port_open(int(embedded_env["EMBEDDED_PG_PORT"]))
    assert not port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))


def test_exec_passes_on_the_commands_exit_code(embedded_env):
    out = embedded(embedded_env, "exec", "--", sys.executable, "-c", "raise SystemExit(3)")
    assert out.returncode == 3


def test_exec_leaves_services_it_did_not_start_running(embedded_env):
    embedded(embedded_env, "start")
    embedded(embedded_env, "exec", "--", sys.executable, "-c", "pass")
    assert port_open(int(embedded_env["EMBEDDED_PG_PORT"]))
    assert port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))


def test_importing_the_settings_starts_nothing_and_points_at_the_embedded_ports(embedded_env):
    probe = ("import django; django.setup(); from django.conf import settings; "
             "print(settings.DATABASES['default']['PORT'], settings.REDIS_URL)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                         env={**embedded_env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [embedded_env["EMBEDDED_PG_PORT"],
                                  f"redis://127.0.0.1:{embedded_env['EMBEDDED_REDIS_PORT']}/0"]
    assert not port_open(int(embedded_env["EMBEDDED_PG_PORT"]))
    assert not port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))


def manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


def test_manage_py_on_a_machine_with_nothing_set_starts_the_services_and_connects(embedded_env):
    probe = "from django.db import connection; connection.ensure_connection(); print('connected')"
    out = manage(embedded_env, "shell", "-c", probe)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "connected"
    assert port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))


def test_manage_py_in_production_starts_nothing(embedded_env):
    manage({**embedded_env, "RPM_ENV": "production", "SECRET_KEY": "x" * 50}, "check")
    assert not port_open(int(embedded_env["EMBEDDED_PG_PORT"]))
    assert not port_open(int(embedded_env["EMBEDDED_REDIS_PORT"]))
