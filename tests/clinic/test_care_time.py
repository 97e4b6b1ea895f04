"""The care-time ledger on the patient page: timer, manual entries, own corrections (audited), month totals."""

import datetime as dt

import pytest

from patients import care_time
from patients.models import CareTimeEntry
from rpm.errors import InvalidInput
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team, make_user
from tests.conftest import signed_in

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_the_timer_logs_whole_minutes_spent(patient, nurse):
    care_time.start_timer(patient=patient, clinician=nurse, now=T0)
    entry = care_time.stop_timer(patient=patient, clinician=nurse, interactive=True,
                                 now=T0 + dt.timedelta(minutes=12, seconds=59))
    assert (entry.minutes, entry.interactive) == (12, True)
    assert list(AuditEvent.objects.filter(patient=patient).values_list("verb", flat=True).order_by("id")) == [
        "care_time.timer_start", "care_time.timer_stop"]


def test_a_timer_stopped_within_a_minute_logs_nothing(patient, nurse):
    care_time.start_timer(patient=patient, clinician=nurse, now=T0)
    assert care_time.stop_timer(patient=patient, clinician=nurse, now=T0 + dt.timedelta(seconds=59)) is None
    assert not CareTimeEntry.objects.exists()


def test_a_second_start_keeps_the_running_timer(patient, nurse):
    first = care_time.start_timer(patient=patient, clinician=nurse, now=T0)
    assert care_time.start_timer(patient=patient, clinician=nurse, now=T0 + dt.timedelta(minutes=5)).pk == first.pk


def test_the_page_starts_and_stops_the_timer_and_shows_the_months_total(patient, nurse):
    client = signed_in(nurse)
    assert client.post(f"/patients/{patient.id}/care-time/timer/start/").status_code == 302
    CareTimeEntry.objects.filter(patient=patient).update(started_at=dt.datetime.now(UTC) - dt.timedelta(minutes=21))
    client.post(f"/patients/{patient.id}/care-time/timer/stop/", {"activity": "call", "interactive": "on"})
    html = client.get(f"/patients/{patient.id}/").content.decode()
    month = dt.datetime.now(UTC).astimezone(patient.tz).strftime("%Y-%m")
    assert f'data-care-time-month="{month}">21 min</strong>' in html
    assert "with an interactive communication" in html


def test_stopping_without_a_running_timer_is_a_409_naming_the_timer(patient, nurse):
    response = signed_in(nurse).post(f"/patients/{patient.id}/care-time/timer/stop/")
    assert response.status_code == 409 and "timer: no timer is running" in response.content.decode()


@pytest.mark.parametrize(("minutes", "message"), [("0", "must be between 1 and 600"), ("ten", "must be a whole number"),
                                                  ("601", "must be between 1 and 600")])
def test_bad_minutes_are_refused_naming_the_field_and_nothing_is_logged(patient, nurse, minutes, message):
    response = signed_in(nurse).post(f"/patients/{patient.id}/care-time/", {"minutes": minutes, "activity": "review"})
    assert response.status_code == 400 and f"minutes: {message}" in response.content.decode()
    assert not CareTimeEntry.objects.exists()


def test_a_day_in_the_future_is_refused(patient, nurse):
    with pytest.raises(InvalidInput) as error:
        care_time.add_entry(patient=patient, clinician=nurse, now=T0,
                            data=care_time.EntryInput(minutes=5, day="2026-11-11"))
    assert error.value.errors == {"day": "cannot be in the future"}


def test_a_clinician_corrects_their_own_entry_and_the_audit_keeps_before_and_after(patient, nurse):
    entry = care_time.add_entry(patient=patient, clinician=nurse, now=T0, data=care_time.EntryInput(minutes=5))
    response = signed_in(nurse).post(f"/patients/{patient.id}/care-time/{entry.id}/",
                                     {"minutes": "15", "activity": "call", "interactive": "on", "day": "2026-11-10"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.minutes, entry.interactive, entry.started_at) == (15, True, T0)
    event = AuditEvent.objects.get(verb="care_time.correct")
    assert (event.detail["before"]["minutes"], event.detail["after"]["minutes"]) == (5, 15)
    assert event.actor == nurse and event.patient == patient


def test_another_clinicians_entry_cannot_be_corrected(patient, nurse, physician):
    entry = care_time.add_entry(patient=patient, clinician=physician, now=T0, data=care_time.EntryInput(minutes=5))
    response = signed_in(nurse).post(f"/patients/{patient.id}/care-time/{entry.id}/",
                                     {"minutes": "50", "activity": "review"})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.minutes == 5


def test_another_teams_patient_is_a_404(nurse):
    other = make_patient(make_team("Ward B"))
    assert signed_in(nurse).post(f"/patients/{other.id}/care-time/timer/start/").status_code == 404
    assert not CareTimeEntry.objects.exists()


def test_month_totals_per_patient_and_per_clinician(patient, nurse, physician):
    for who, minutes, day in [(nurse, 10, "2026-11-02"), (physician, 7, "2026-11-03"), (nurse, 4, "2026-10-31")]:
        care_time.add_entry(patient=patient, clinician=who, now=T0,
                            data=care_time.EntryInput(minutes=minutes, day=day))
    month = care_time.month_time(patients=[patient], year=2026, month=11)[patient.id]
    assert (month.minutes, month.interactive, month.by_clinician) == (17, False, {nurse.id: 10, physician.id: 7})


def test_the_page_shows_each_clinicians_minutes_this_month(patient, nurse):
    colleague = make_user("nurse-b", role="nurse", team=patient.care_team)
    care_time.add_entry(patient=patient, clinician=colleague, data=care_time.EntryInput(minutes=8))
    html = signed_in(nurse).get(f"/patients/{patient.id}/").content.decode()
    assert "<span data-clinician-minutes>nurse-b 8 min</span>" in html


def test_minutes_logged_with_a_note_go_into_the_ledger(patient, physician):
    signed_in(physician).post(f"/patients/{patient.id}/notes/", {"text": "Reviewed BP trend", "minutes": "20"})
    entry = CareTimeEntry.objects.get(patient=patient)
    assert (entry.minutes, entry.clinician, entry.interactive, entry.note) == (20, physician, False,
                                                                               "Reviewed BP trend")
