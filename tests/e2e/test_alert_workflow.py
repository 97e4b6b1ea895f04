"""The alert workflow and alarms on the live dashboard, in a real browser against a real server: assign, the
"mine" filter, a snooze whose end is shown and that ends early when the alert gets worse, and the opt-in sound and
desktop notification for a new high alert."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from alerts import engine, services
from alerts.models import Alert, OnCallShift
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login, signed_in
from tests.readings import store

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
M = dt.timedelta(minutes=1)


def raise_spo2(patient, value) -> Alert:
    """SpO2 91 %: a medium alert; 85 %: high (default rules, scale 1). Pushed to the dashboards after commit."""
    now = dt.datetime.now(dt.UTC)
    engine.evaluate_readings(reading_ids=store(patient, [("spo2", value, now - M)], now=now), now=now)
    return Alert.objects.filter(patient=patient).exclude(state="resolved").get()


@pytest.fixture
def ward(default_rules):
    team = make_team("Ward A")
    make_user("nurse1", team=team)
    make_user("nurse2", team=team)
    return team, make_patient(team, given_name="Ada", family_name="Mineperson", conditions=["virtual_ward"])


def test_nurse_assigns_and_snoozes_an_alert_and_sees_the_snooze_end_early_when_it_worsens(page, ward):
    _, patient = ward
    alert = raise_spo2(patient, 91)
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")
    item = page.locator(f'#open-alerts [data-alert="{alert.id}"]')
    item.locator("summary").click()

    item.get_by_role("button", name="Assign to me").click()
    expect(item.locator("[data-assigned]")).to_have_text("Assigned to nurse1")
    page.check("#mine-only")
    expect(item).to_be_visible()
    item.locator("select[name=assignee]").select_option(label="nurse2")
    item.get_by_role("button", name="Assign", exact=True).click()
    expect(item).to_have_count(0)
    page.uncheck("#mine-only")

    item.locator("summary").click()
    item.locator("select[name=minutes]").select_option("120")
    item.locator("input[name=reason]").fill("oximeter on cold fingers, rechecking")
    item.get_by_role("button", name="Snooze this alert").click()
    expect(item.locator("[data-snoozed]")).to_contain_text("Snoozed until")
    expect(item.locator("[data-snoozed]")).to_contain_text("oximeter on cold fingers")
    alert.refresh_from_db()
    assert dt.timedelta(minutes=119) < alert.snoozed_until - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=120)

    raise_spo2(patient, 85)

    expect(item.locator("[data-snooze-ended]")).to_have_text("Snooze ended early: worse")
    expect(item.locator("[data-snoozed]")).to_have_count(0)
    expect(item.locator(".sev")).to_have_text("HIGH")


def test_a_desktop_notification_and_a_sound_for_a_new_high_alert_once_opted_in(browser, live_server_url, ward):
    _, patient = ward
    context = browser.new_context(base_url=live_server_url, permissions=["notifications"])
    context.set_default_timeout(10_000)
    # watch the real Notification and Audio: record what the page shows and plays, then let it happen
    context.add_init_script("""
        window.__shown = []; window.__played = [];
        const RealNotification = window.Notification;
        window.Notification = class extends RealNotification {
          constructor(title, options) { super(title, options); window.__shown.push({title, body: options.body}); }
        };
        const play = HTMLMediaElement.prototype.play;
        HTMLMediaElement.prototype.play = function () { window.__played.push(this.src); return play.call(this); };
    """)
    page = context.new_page()
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")
    page.click("#alarms")
    expect(page.locator("#alarms")).to_have_attribute("aria-pressed", "true")

    raise_spo2(patient, 85)

    page.wait_for_function("() => window.__shown.length > 0")
    assert page.evaluate("window.__shown") == [
        {"title": "New high alert", "body": "For a patient on Ward A: open the dashboard."}]
    assert page.evaluate("window.__played")[0].endswith("/static/clinic/sounds/alarm.wav")
    context.close()


def test_an_escalation_notifies_again_with_its_level(browser, live_server_url, ward):
    team, patient = ward
    make_user("doc1", role="physician", team=team)  # nobody on call: the physicians are told
    context = browser.new_context(base_url=live_server_url, permissions=["notifications"])
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_NOTIFICATIONS)
    page = context.new_page()
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")
    page.click("#alarms")
    alert = raise_spo2(patient, 85)
    page.wait_for_function("() => window.__shown.length === 1")

    services.escalate_due_alerts(now=alert.opened_at + 5 * M)

    page.wait_for_function("() => window.__shown.length === 2")
    assert page.evaluate("window.__shown[1]") == "Escalated high alert (level 1)"
    item = page.locator(f'#open-alerts [data-alert="{alert.id}"]')
    expect(item.locator("[data-escalation]")).to_have_text("Escalation level 1 · notified doc1")
    context.close()


WATCH_NOTIFICATIONS = """
    window.__shown = [];
    const RealNotification = window.Notification;
    window.Notification = class extends RealNotification {
      constructor(title, options) { super(title, options); window.__shown.push(title); }
    };
"""


def test_no_notification_until_the_nurse_opts_in(browser, live_server_url, ward):
    _, patient = ward
    context = browser.new_context(base_url=live_server_url, permissions=["notifications"])
    context.add_init_script(WATCH_NOTIFICATIONS)
    page = context.new_page()
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")
    alert = raise_spo2(patient, 85)
    expect(page.locator(f'#open-alerts [data-alert="{alert.id}"]')).to_be_visible()
    assert page.evaluate("window.__shown") == []
    context.close()


def test_the_dashboard_says_who_is_on_call(page, ward):
    team, _ = ward
    now = dt.datetime.now(dt.UTC)
    OnCallShift.objects.create(care_team=team, user=team.memberships.get(user__username="nurse2").user,
                               starts_at=now - 60 * M, ends_at=now + 60 * M)
    browser_login(page, "nurse1")
    expect(page.locator("[data-on-call]")).to_have_text("On call for Ward A: nurse2")


def test_a_review_marked_elsewhere_shows_who_and_when_in_the_queue(page, ward):
    team, patient = ward
    alert = raise_spo2(patient, 91)
    browser_login(page, "nurse1")
    expect(page.locator("#connection")).to_have_text("● Live")

    nurse2 = team.memberships.get(user__username="nurse2").user
    assert signed_in(nurse2).post("/api/v1/alerts/reviews/", {"patient": patient.id},
                                  content_type="application/json").status_code == 201

    expect(page.locator(f'[data-alert="{alert.id}"] [data-reviewed]')).to_contain_text("Patient reviewed by nurse2")
