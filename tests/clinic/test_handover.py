"""The change-of-shift handover of one care team: what happened since a time, scoped, audited, printable."""

import datetime as dt

import pytest

from alerts import services
from alerts.models import Alert
from patients.notes import add_clinical_note
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team
from tests.conftest import signed_in
from tests.readings import store

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


@pytest.fixture
def now():
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def an_alert(patient, rule, *, opened_at, **fields):
    return Alert.objects.create(patient=patient, rule=rule, severity="high", explanation="Test alert.",
                                opened_at=opened_at, last_triggered_at=opened_at, **fields)


def news2_set(patient, at, *, rr):
    store(patient, [("respiratory_rate", rr, at), ("spo2", 97, at), ("systolic_bp", 125, at), ("heart_rate", 72, at),
                    ("body_temperature", 36.8, at)], now=at)


def handover_of(client, team, since):
    return client.get("/handover/", {"team": team.id, "since": since.strftime("%Y-%m-%dT%H:%M")})


def test_the_handover_lists_alerts_raised_acknowledged_and_open_since_the_time(team, nurse, default_rules, now):
    rule = next(iter(default_rules.values()))
    ada, bea = make_patient(team, family_name="Adaperson"), make_patient(team, family_name="Beaperson")
    old = an_alert(ada, rule, opened_at=now - 20 * H)
    new = an_alert(bea, rule, opened_at=now - 2 * H)
    services.acknowledge_alert(alert=old, by=nurse, now=now - H)
    closed = an_alert(ada, rule, opened_at=now - 3 * H, state="resolved", resolved_at=now - 2 * H)

    response = handover_of(signed_in(nurse), team, now - 12 * H)
    html = response.content.decode()

    assert response.status_code == 200
    raised = html[html.index('id="raised"'):html.index('id="acknowledged"')]
    acknowledged = html[html.index('id="acknowledged"'):html.index('id="no-data"')]
    still_open = html[html.index('id="still-open"'):html.index('id="raised"')]
    assert f'data-alert="{new.id}"' in raised and f'data-alert="{closed.id}"' in raised
    assert f'data-alert="{old.id}"' not in raised
    assert f'data-alert="{old.id}"' in acknowledged and "nurse-a" in acknowledged
    assert f'data-alert="{old.id}"' in still_open and f'data-alert="{new.id}"' in still_open
    assert f'data-alert="{closed.id}"' not in still_open


def test_patients_with_no_data_since_the_time_and_those_whose_news2_rose(team, nurse, now):
    quiet = make_patient(team, family_name="Quietperson")
    store(quiet, [("heart_rate", 70, now - 20 * H)], now=now - 20 * H)
    never = make_patient(team, family_name="Neverperson")
    worse = make_patient(team, family_name="Worseperson", conditions=["virtual_ward"])
    news2_set(worse, now - 12 * H - 30 * M, rr=16)  # NEWS2 0 at the start of the shift
    news2_set(worse, now - 10 * M, rr=26)  # respiratory rate >= 25 scores 3 (RCP NEWS2 Chart 1)
    make_patient(team, family_name="Goneperson", status="discharged")

    html = handover_of(signed_in(nurse), team, now - 12 * H).content.decode()

    no_data = html[html.index('id="no-data"'):html.index('id="news2-rose"')]
    assert "Quietperson" in no_data and "Neverperson" in no_data and "last reading never" in no_data
    assert "Worseperson" not in no_data and "Goneperson" not in no_data
    rose = html[html.index('id="news2-rose"'):html.index('id="notes"')]
    assert f'data-patient="{worse.id}"' in rose and "NEWS2 0 → <strong>3</strong>" in rose
    assert never.family_name not in rose


def test_notes_written_since_the_time_are_listed_and_older_ones_are_not(team, nurse, now):
    patient = make_patient(team, family_name="Noteperson")
    add_clinical_note(patient=patient, author=nurse, text="Phoned: feeling better", minutes=5, now=now - H)
    add_clinical_note(patient=patient, author=nurse, text="Old note", minutes=5, now=now - 30 * H)

    html = handover_of(signed_in(nurse), team, now - 12 * H).content.decode()

    notes = html[html.index('id="notes"'):]
    assert "Phoned: feeling better" in notes and "Old note" not in notes


def test_the_handover_is_audited_per_patient_and_another_team_is_a_404(team, nurse, now):
    patient = make_patient(team)
    client = signed_in(nurse)
    handover_of(client, team, now - 12 * H)
    assert AuditEvent.objects.filter(verb="patient.handover", patient=patient, actor=nurse).exists()

    other = make_team("Ward B")
    make_patient(other, family_name="Otherward")
    response = handover_of(client, other, now - 12 * H)
    assert response.status_code == 404


def test_a_bad_or_too_old_since_answers_400_naming_it(team, nurse, now):
    client = signed_in(nurse)
    bad = client.get("/handover/", {"team": team.id, "since": "yesterday"})
    assert bad.status_code == 400 and "since: &#x27;yesterday&#x27; is not a date and time" in bad.content.decode()
    old = handover_of(client, team, now - dt.timedelta(days=8))
    assert old.status_code == 400 and "within the last 7 days" in old.content.decode()


def test_the_handover_is_printable(team, nurse, now):
    html = handover_of(signed_in(nurse), team, now - 12 * H).content.decode()
    assert "clinic/css/handover.css" in html and 'class="controls no-print"' in html


def test_an_admin_has_no_handover(admin_client):
    assert admin_client.get("/handover/").status_code == 404
