"""The live nurse dashboard in a real browser against real web server processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from alerts.models import Alert, AlertRule
from devices.ingest import ingest
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import browser_login, free_port, server_env, wait_for_port, web_server_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BASE_DIR = Path(__file__).resolve().parents[2]


def tile_value(page, patient, metric: str = "heart_rate"):
    return page.locator(f'[data-patient="{patient.id}"][data-metric="{metric}"] .value b')


def post_reading(base_url: str, token: str, **reading) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/readings/", data=json.dumps(reading).encode(), method="POST",
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@pytest.fixture
def ward():
    team = make_team("Ward A")
    nurse = make_user("nurse1", team=team)
    patient = make_patient(team, given_name="Ada", family_name="Mineperson")
    return team, nurse, patient


def test_census_shows_only_the_nurses_patients(page, ward):
    _, _, mine = ward
    theirs = make_patient(make_team("Ward B"), given_name="Bea", family_name="Otherperson")

    browser_login(page, "nurse1")

    expect(page.locator(f'.tile[data-patient="{mine.id}"]')).to_contain_text("Ada Mineperson")
    expect(page.locator(".tile")).to_have_count(1)
    assert page.locator(f'[data-patient="{theirs.id}"]').count() == 0


def test_search_by_mrn_leaves_only_the_matching_tile(page, ward):
    team, _, ada = ward
    bea = make_patient(team, given_name="Bea", family_name="Secondperson", mrn="MRN-SEARCH-42")
    browser_login(page, "nurse1")

    page.fill("#search", "search-42")

    expect(page.locator(f'.tile[data-patient="{bea.id}"]')).to_be_visible()
    expect(page.locator(f'.tile[data-patient="{ada.id}"]')).to_be_hidden()


def test_out_of_range_value_is_marked_by_text_not_colour_alone(page, ward):
    _, _, patient = ward
    AlertRule.objects.create(name="SpO2 low (test)", kind="threshold", metric="spo2", scope="patient",
                             patient=patient, params={"bands": [{"op": "<", "value": 92, "severity": "high"}]})
    ingest(patient_id=patient.id, source="manual",
           items=[{"metric": "spo2", "value": 86, "unit": "%", "measured_at": now_iso()}])
    browser_login(page, "nurse1")

    expect(page.locator(f'[data-patient="{patient.id}"][data-metric="spo2"] .flag')).to_have_text("▼ Low")


def test_reading_posted_by_a_device_appears_in_its_tile_within_two_seconds(page, ward, live_server_url):
    _, _, patient = ward
    _, token = make_device(patient=patient)
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")

    status = post_reading(live_server_url, token, id="e2e-1", metric="heart_rate", value=123, unit="/min",
                          measured_at=now_iso())

    assert status == 201
    expect(tile_value(page, patient)).to_have_text("123", timeout=2000)


def test_alert_acknowledged_in_one_browser_leaves_the_open_list_in_another(browser, live_server_url, ward):
    team, _, patient = ward
    make_user("nurse1b", team=team)
    rule = AlertRule.objects.create(name="Heart rate high (test)", kind="threshold", metric="heart_rate",
                                    params={"bands": [{"op": ">", "value": 130, "severity": "high"}]})
    now = dt.datetime.now(dt.UTC)
    alert = Alert.objects.create(patient=patient, rule=rule, metric="heart_rate", severity="high", opened_at=now,
                                 last_triggered_at=now, explanation="Heart rate 140 /min, above 130 /min")
    pages = []
    for username in ("nurse1", "nurse1b"):
        context = browser.new_context(base_url=live_server_url)
        context.set_default_timeout(10_000)
        pages.append(context.new_page())
        browser_login(pages[-1], username)
        expect(pages[-1].locator("#connection")).to_have_text("● Live")
    first, second = pages
    expect(second.locator(f'#open-alerts [data-alert="{alert.id}"]')).to_be_visible()

    first.locator(f'[data-alert="{alert.id}"] button[value="acknowledge"]').click()

    expect(second.locator(f'#open-alerts [data-alert="{alert.id}"]')).to_have_count(0, timeout=2000)
    expect(second.locator(f'#acknowledged-alerts [data-alert="{alert.id}"]')).to_contain_text("nurse1")
    for p in pages:
        p.context.close()


@pytest.fixture
def restartable_server(transactional_db):
    """A web server process of our own, so the test can kill it and start it again on the same port."""
    port = free_port()
    env = server_env()
    log = open(BASE_DIR / "var" / f"test-web-restart-{port}.log", "w")
    procs = []

    def start():
        proc = subprocess.Popen(web_server_command(port), cwd=BASE_DIR, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(proc)
        wait_for_port(port)

    def kill():
        os.killpg(procs[-1].pid, signal.SIGKILL)
        procs[-1].wait(10)

    start()
    yield f"http://127.0.0.1:{port}", start, kill
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    log.close()


def test_dashboard_reconnects_after_the_server_drops_and_shows_the_missed_reading(browser, ward,
                                                                                   restartable_server):
    _, _, patient = ward
    base_url, start, kill = restartable_server
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_login(page, "nurse1")
    indicator = page.locator("#connection")
    expect(indicator).to_have_text("● Live")

    kill()
    expect(indicator).to_have_text("Reconnecting…")
    expect(page.locator("#stale-banner")).to_be_visible()
    ingest(patient_id=patient.id, source="manual",
           items=[{"metric": "heart_rate", "value": 88, "unit": "/min", "measured_at": now_iso()}])
    start()

    expect(indicator).to_have_text("● Live", timeout=15_000)
    expect(tile_value(page, patient)).to_have_text("88")
    context.close()

