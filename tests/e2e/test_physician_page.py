"""A physician opens a patient's page in a real browser: charts plot, the range switches, a CSV downloads."""

import csv
import datetime as dt
import io

import pytest

from alerts.defaults import install_default_rules
from alerts.models import Alert, AlertRule
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login
from tests.readings import add_readings, every

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient_waits(page):
    """Four charts load at once: on a busy 2-core machine that can take longer than the shared 10 s default."""
    page.set_default_timeout(30_000)


@pytest.fixture
def patient_with_history(live_server_url):
    install_default_rules(AlertRule)  # a transactional test flushes what the data migration installed
    team = make_team("Ward A")
    make_user("physician1", role="physician", team=team)
    patient = make_patient(team, family_name="Chartperson")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    hourly = every(now - dt.timedelta(days=20), dt.timedelta(hours=1), 20 * 24)
    add_readings(patient, "heart_rate", ((at, 70 + i % 20) for i, at in enumerate(hourly)))
    add_readings(patient, "systolic_bp", ((at, 135) for at in hourly[::12]))
    spikes = add_readings(patient, "diastolic_bp", ((at, 85) for at in hourly[::12]))
    rule = AlertRule.objects.get(name="Hypertensive crisis", patient=None)
    Alert.objects.create(patient=patient, rule=rule, metric="diastolic_bp", severity="high", state="open",
                         explanation="Diastolic 85 mmHg (synthetic marker)", reading_ids=[spikes[-1].id],
                         opened_at=now, last_triggered_at=now)
    return patient


def chart(page, metric):
    locator = page.locator(f'[data-chart="{metric}"][data-state="ready"]')
    locator.wait_for()
    return locator


def test_physician_sees_a_chart_with_plotted_points(page, patient_with_history):
    browser_login(page, "physician1")
    page.goto(f"/patients/{patient_with_history.id}/")
    heart = chart(page, "heart_rate")
    # the last 7 days of hourly readings (the edge reading depends on the second the browser asks)
    assert 7 * 24 - 1 <= int(heart.get_attribute("data-points")) <= 7 * 24
    assert heart.locator(".scatterlayer .trace .point").count() > 0 or \
        heart.locator(".scatterlayer .trace path.js-line").count() > 0
    assert chart(page, "blood_pressure").locator(".scatterlayer .trace").count() == 3  # systolic, diastolic, alerts


def test_switching_to_30_days_fetches_the_longer_range(page, patient_with_history):
    browser_login(page, "physician1")
    page.goto(f"/patients/{patient_with_history.id}/")
    chart(page, "heart_rate")
    page.get_by_role("button", name="30 d").click()
    page.wait_for_function(
        "() => document.querySelector('[data-chart=\"heart_rate\"]').dataset.rawCount === String(20 * 24)")
    assert page.get_by_role("button", name="30 d").get_attribute("aria-pressed") == "true"


def test_physician_downloads_the_shown_range_as_csv(page, patient_with_history):
    browser_login(page, "physician1")
    page.goto(f"/patients/{patient_with_history.id}/")
    chart(page, "heart_rate")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(open(download.path()).read())))
    assert download.suggested_filename.endswith(".csv")
    assert 7 * 24 - 1 <= len([r for r in rows if r["metric"] == "heart_rate"]) <= 7 * 24


def test_zooming_in_fetches_the_readings_of_the_visible_range(page, patient_with_history):
    browser_login(page, "physician1")
    page.goto(f"/patients/{patient_with_history.id}/")
    chart(page, "heart_rate")
    page.evaluate("""() => {
        const div = document.querySelector('[data-chart="heart_rate"]');
        const [start, end] = div.layout.xaxis.range;
        const day = 24 * 3600 * 1000;
        const to = new Date(new Date(end.replace(' ', 'T') + 'Z') - day).toISOString().slice(0, 19);
        const from = new Date(new Date(end.replace(' ', 'T') + 'Z') - 2 * day).toISOString().slice(0, 19);
        return Plotly.relayout(div, {'xaxis.range[0]': from, 'xaxis.range[1]': to});
    }""")
    # a function, not a string: the page's CSP refuses eval, which Playwright uses for a string predicate
    page.wait_for_function("() => document.querySelector('[data-chart=\"heart_rate\"]').dataset.rawCount === '24'")


STATES = {
    "open": {},
    "acknowledged": {"state": "acknowledged"},
    "recovered": {"recovered_at": True, "recovery": "systolic blood pressure back at or above 95 mmHg"},
    "reopened": {"reopened_at": True},
    "resolved by a nurse": {"state": "resolved", "resolved_by": True, "resolution": "rechecked"},
    "resolved itself": {"state": "resolved", "resolution": "Resolved automatically: back at or above 95 mmHg"},
}


@pytest.fixture
def patients_in_every_alert_state(live_server_url):
    install_default_rules(AlertRule)
    team = make_team("Ward S")
    make_user("physician1", role="physician", team=team)
    nurse = make_user("nurse-s", role="nurse", team=team)
    rule = AlertRule.objects.get(name="Systolic BP low", patient=None)
    now = dt.datetime.now(dt.UTC)
    out = {}
    for label, fields in STATES.items():
        patient = make_patient(team, family_name=f"State{len(out)}")
        values = {key: (now if value is True and key.endswith("_at") else nurse if value is True else value)
                  for key, value in fields.items()}
        if values.get("state") in ("acknowledged", "resolved"):
            values.update(acknowledged_at=now, acknowledged_by=nurse if "resolved_by" in values else None)
        if values.get("state") == "resolved":
            values["resolved_at"] = now
        out[label] = (patient, Alert.objects.create(
            patient=patient, rule=rule, metric="systolic_bp", severity="high", explanation="Systolic 84 mmHg",
            opened_at=now, last_triggered_at=now, **values))
    return out


@pytest.mark.parametrize("label", list(STATES))
def test_the_page_opens_whatever_state_the_patients_alert_is_in(page, patients_in_every_alert_state, label):
    patient, alert = patients_in_every_alert_state[label]
    browser_login(page, "physician1")
    response = page.goto(f"/patients/{patient.id}/")
    assert response.status == 200
    row = page.locator(f'#alerts tr[data-alert="{alert.id}"]')
    expected = {"recovered": "recovered, not yet reviewed", "resolved itself": "resolved",
                "resolved by a nurse": "resolved", "reopened": "open"}.get(label, label)
    assert row.locator("td").nth(3).inner_text() == expected
    if label == "resolved itself":
        assert "automatically" in row.inner_text()
