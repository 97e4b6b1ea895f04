"""Shared fixtures: the objects most tests need, signed-in clients for each role, a real Celery
worker, a real web server (uvicorn, as the Procfile runs it) on the test database, and a real Chromium driven by
Playwright. Readings are stored with tests.readings; other objects are built with tests.builders."""

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from knox.models import AuthToken

from config.ports import free_port, wait_for_port  # noqa: F401  (re-exported to tests)
from tests.builders import PASSWORD, make_device, make_patient, make_team, make_user

# Playwright's sync API runs an event loop in the test thread; the ORM calls tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_rules():
    """The engine keeps the rules per process; a rolled-back test must not leave its rules to the next one."""
    from alerts.selectors import forget_rules

    forget_rules()


@pytest.fixture
def default_rules(db):
    """The default rule sets, installed by the test itself: a transactional test elsewhere may have flushed the
    migration's rows, so no test may rely on them being there."""
    from alerts.defaults import install_default_rules
    from alerts.models import AlertRule

    install_default_rules(AlertRule)
    return {rule.name: rule for rule in AlertRule.objects.filter(patient=None)}


@pytest.fixture
def team(db):
    return make_team("Ward A")


@pytest.fixture
def patient(team):
    return make_patient(team)


@pytest.fixture
def device_token(patient):
    """A multiparameter monitor enrolled to `patient`, and its token."""
    device, token = make_device(patient=patient)
    return device, token


@pytest.fixture
def device_client(device_token):
    """A test client that posts as the enrolled device."""
    _, token = device_token
    return Client(headers={"Authorization": f"Device {token}"})


@pytest.fixture
def now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def nurse(team):
    return make_user("nurse-a", role="nurse", team=team)


@pytest.fixture
def physician(team):
    return make_user("physician-a", role="physician", team=team)


@pytest.fixture
def admin(db):
    return make_user("admin1", role="admin")


# --- signed-in clients ----------------------------------------------------------------------

def signed_in(user) -> Client:
    """A client with a session for `user`: the pages, and the API through session authentication."""
    client = Client()
    client.force_login(user)
    return client


def token_client(user) -> Client:
    """A client that calls the API with the user's `Authorization: Token <key>`, as scripts do."""
    _, key = AuthToken.objects.create(user=user)
    return Client(headers={"Authorization": f"Token {key}"})


@pytest.fixture
def nurse_client(nurse) -> Client:
    return signed_in(nurse)


@pytest.fixture
def physician_client(physician) -> Client:
    return signed_in(physician)


@pytest.fixture
def admin_client(admin) -> Client:
    """Signed in as an admin-role user (this replaces pytest-django's superuser `admin_client`)."""
    return signed_in(admin)


# --- a real Celery worker -------------------------------------------------------------

@pytest.fixture
def celery_worker(transactional_db):
    """A real worker thread consuming the real Redis broker, on the test database.

    Started per test and stopped before the test's tables are flushed, so it never races a
    flush, and tasks that other tests queued without a worker are purged first. Tests using it
    need committed data, hence transactional_db.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20) as worker:
        yield worker


# --- a real web server on the test database ------------------------------------------------

def web_server_command(port: int) -> list[str]:
    """The Procfile's web process on 127.0.0.1:port."""
    return [sys.executable, "-m", "config.web", "--host", "127.0.0.1", "--port", str(port)]


def server_env() -> dict[str, str]:
    """The environment for a subprocess that must see the test database."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["RPM_ENV"] = "development"
    env.pop("TEST_DATABASE_NAME", None)
    return env


@pytest.fixture(scope="session")
def _web_server(django_db_setup, django_db_blocker):
    port = free_port()
    with django_db_blocker.unblock():
        env = server_env()
    (BASE_DIR / "var").mkdir(exist_ok=True)
    log = open(BASE_DIR / "var" / f"test-web-{port}.log", "w")
    proc = subprocess.Popen(
        web_server_command(port),
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def live_server_url(transactional_db, _web_server) -> str:
    """Base URL of a real web server process serving the test database (data must be committed)."""
    return _web_server[0]


# --- a real browser -----------------------------------------------------------------------

def chromium_path() -> str | None:
    """RPM_CHROMIUM, else Debian's chromium on PATH (.ci/ensure-chromium, run by `make test`, sees to it),
    else None to let Playwright use its own."""
    return os.environ.get("RPM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server_url):
    context = browser.new_context(base_url=live_server_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def errors_of(response) -> dict[str | None, str]:
    """The API's one error body ({"errors": [{"field", "message"}]}, rpm.errors) as {field: message},
    after checking its shape."""
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for item in body["errors"]:
        assert set(item) == {"field", "message"}, body
        assert (item["field"] is None or isinstance(item["field"], str)) and isinstance(item["message"], str), body
    return {item["field"]: item["message"] for item in body["errors"]}


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login page."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def run_async(scenario):
    """Run an async scenario from a sync test, and answer its result. On a thread of its own: Playwright's sync API
    leaves an event loop on the main thread once a browser test has run, where asgiref's async_to_sync refuses to
    start. The scenario's database calls use other connections, so such tests need committed data."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import async_to_sync

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(scenario)).result()
