"""No patient data in logs: an end-to-end run on the demo data (a web server with its access log on, a real
worker, a device posting an alarming reading, nurses, a physician and an admin using the pages, a FHIR search by
name) leaves none of the demo patients' names or MRNs in any log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from alerts.models import Alert
from patients.models import Patient
from rpm.metrics import DEVICE_KIND_METRICS
from tests.conftest import BASE_DIR, browser_login, free_port, server_env, wait_for_port, web_server_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-password-for-log-test"


@pytest.fixture
def demo(tmp_path, monkeypatch, transactional_db, default_rules):  # an earlier test may have flushed the rules
    monkeypatch.setenv("RPM_VAR_DIR", str(tmp_path))
    call_command("seed_demo", password=PASSWORD, patients=4, days=1)
    return json.loads((tmp_path / "demo" / "device-tokens.json").read_text())["devices"]


@pytest.fixture
def logged_server(demo):
    """The Procfile's web process with its access log on, its output kept."""
    port = free_port()
    path = BASE_DIR / "var" / f"test-web-logged-{port}.log"
    with open(path, "w") as log:
        proc = subprocess.Popen(web_server_command(port), cwd=BASE_DIR, env={**server_env(), "WEB_ACCESS_LOG": "1"},
                                stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            wait_for_port(port)
            yield f"http://127.0.0.1:{port}", path
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


def post(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_an_end_to_end_run_leaves_no_demo_patient_name_or_mrn_in_the_logs(
        browser, demo, logged_server, celery_worker, caplog):
    caplog.set_level(logging.DEBUG)
    base, log_path = logged_server
    patients = list(Patient.objects.all())
    first = patients[0]
    token = next(d["token"] for d in demo if "heart_rate" in DEVICE_KIND_METRICS[d["kind"]])

    context = browser.new_context(base_url=base)
    page = context.new_page()
    browser_login(page, "nurse1", PASSWORD)
    page.fill("#search", first.family_name)
    page.fill("#search", first.mrn)
    page.goto(f"/patients/{first.id}/")
    expect(page.locator("h1")).to_contain_text(first.family_name)
    page.request.get(f"/fhir/Patient?name={first.family_name}&identifier={first.mrn}")
    page.request.get(f"/api/v1/patients/{first.id}/export/csv/")
    context.close()

    context = browser.new_context(base_url=base)
    page = context.new_page()
    browser_login(page, "admin1", PASSWORD)
    page.goto("/audit/")
    page.fill("#id_patient", first.mrn)
    page.click("#audit-this-month")
    expect(page.locator("tr[data-audit]").first).to_contain_text(first.mrn)
    assert first.mrn not in page.url
    context.close()

    at = dt.datetime.now(dt.UTC).isoformat()
    assert post(f"{base}/api/v1/readings/", token, {"id": "log-test-1", "metric": "heart_rate", "value": 160,
                                                    "unit": "/min", "measured_at": at}) == 201
    deadline = time.monotonic() + 60  # a wait, not a time limit: a loaded machine takes longer
    while not Alert.objects.exists() and time.monotonic() < deadline:  # the worker judged it and raised an alert
        time.sleep(0.1)
    assert Alert.objects.exists()

    logs = log_path.read_text() + caplog.text
    assert "GET /patients/" in logs  # the access log was on and kept
    leaked = [term for p in patients for term in (p.mrn, p.family_name, p.given_name) if term in logs]
    assert leaked == []
