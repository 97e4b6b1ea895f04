"""The alert workflow on the patient page, in a real browser: snooze one rule for this patient with its end shown,
a note in the thread, mark the patient reviewed (who and when)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from alerts import engine
from alerts.models import Alert, RuleSnooze
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login
from tests.readings import store

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alert(default_rules):
    team = make_team("Ward A")
    make_user("nurse1", team=team)
    patient = make_patient(team, conditions=["virtual_ward"])
    now = dt.datetime.now(dt.UTC)
    engine.evaluate_readings(reading_ids=store(patient, [("spo2", 91, now)], now=now), now=now)
    return Alert.objects.get(patient=patient)


def test_nurse_snoozes_a_rule_for_the_patient_notes_it_and_marks_the_patient_reviewed(page, alert):
    browser_login(page, "nurse1")
    page.goto(f"/patients/{alert.patient_id}/")
    card = page.locator(f'[data-alert-card="{alert.id}"]')

    card.get_by_label("Snooze for").select_option("240")
    card.get_by_label("Reason").fill("known low baseline, GP aware")
    card.get_by_role("button", name="Snooze this rule for this patient").click()

    expect(card.locator("[data-snoozed]")).to_contain_text("known low baseline, GP aware")
    snooze = RuleSnooze.objects.get(patient_id=alert.patient_id, rule_id=alert.rule_id)
    assert dt.timedelta(minutes=239) < snooze.until - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=240)

    card.get_by_label("Note (optional)").fill("will recheck at 18:00")
    card.get_by_role("button", name="Add note").click()
    expect(page.locator(f'[data-alert-card="{alert.id}"] .thread')).to_contain_text("will recheck at 18:00")

    page.get_by_role("button", name="Mark patient reviewed").click()
    expect(page.locator("[data-reviewed]")).to_contain_text("Reviewed by nurse1")
    assert AuditEvent.objects.filter(verb="patient.review", patient_id=alert.patient_id).count() == 1


def test_a_bad_snooze_says_what_is_wrong_and_changes_nothing(page, alert):
    browser_login(page, "nurse1")
    page.goto(f"/patients/{alert.patient_id}/")
    card = page.locator(f'[data-alert-card="{alert.id}"]')

    card.get_by_role("button", name="Snooze this alert").click()  # no reason given

    expect(card.locator(".error")).to_contain_text("reason")
    alert.refresh_from_db()
    assert alert.snoozed_until is None
