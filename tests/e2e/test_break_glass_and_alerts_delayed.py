"""In the browser: a nurse opens break-glass access from the 404 of another ward's patient; the nurse dashboard
shows "alerts are delayed" when beat's heartbeat is stale."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts import readiness
from patients.models import Notice
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_opens_break_glass_from_the_404_and_sees_the_record(page):
    north, south = make_team("Ward North"), make_team("Ward South")
    patient = make_patient(north, given_name="Glassy", family_name="Breakperson")
    physician = make_user("physician-n", role="physician", team=north)
    make_user("nurse-s", role="nurse", team=south)

    browser_login(page, "nurse-s")
    page.goto(f"/patients/{patient.id}/")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text("Breakperson")
    page.click("#break-glass-link")
    page.fill("#id_reason", "covering the ward tonight, patient unwell")
    page.click("#break-glass-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Glassy Breakperson")
    assert Notice.objects.filter(recipient=physician, kind="break_glass").exists()


def test_the_dashboard_shows_alerts_are_delayed_when_beat_has_stalled(page):
    team = make_team("Ward D")
    make_patient(team)
    make_user("nurse-d", role="nurse", team=team)
    readiness.record_heartbeat(now=timezone.now() - dt.timedelta(minutes=10))
    browser_login(page, "nurse-d")
    expect(page.locator("#alerts-delayed-banner")).to_be_visible()
    expect(page.locator("#alerts-delayed-banner")).to_contain_text("Alerts are delayed")


def test_no_banner_while_alerting_runs(page):
    team = make_team("Ward E")
    make_patient(team)
    make_user("nurse-e", role="nurse", team=team)
    readiness.record_heartbeat()
    browser_login(page, "nurse-e")
    expect(page.locator("#tiles .tile")).to_have_count(1)
    expect(page.locator("#alerts-delayed-banner")).to_be_hidden()
