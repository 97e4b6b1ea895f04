"""Admins set how a care team is reached: apprise channels and the on-call rota, on the care-teams page; audited,
validated, and never open to clinicians."""

import datetime as dt

import pytest

from alerts.models import NotificationChannel, OnCallShift
from rpm.models import AuditEvent
from tests.builders import make_user
from tests.conftest import signed_in


@pytest.fixture
def nurse_on_team(team):
    return make_user("nurse-rota", role="nurse", team=team)


def test_admin_adds_a_team_channel_and_a_shift_that_the_page_then_lists(admin_client, team, nurse_on_team):
    assert admin_client.post(f"/care-teams/{team.id}/channels/",
                             {"label": "Ward pager", "url": "json://pager.example.test/hook"}).status_code == 302
    assert admin_client.post(f"/care-teams/{team.id}/shifts/", {
        "user": nurse_on_team.id, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-01T20:00"}).status_code == 302
    page = admin_client.get("/care-teams/").content.decode()
    assert "Ward pager" in page and "nurse-rota · 1 Jan 2099 08:00 to 1 Jan 2099 20:00 UTC" in page
    assert "pager.example.test/hook" not in page  # the URL holds secrets: only its start is shown
    shift = OnCallShift.objects.get()
    assert (shift.user, shift.starts_at) == (nurse_on_team, dt.datetime(2099, 1, 1, 8, tzinfo=dt.UTC))
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"care_team.channel_add", "care_team.shift_add"} <= verbs
    assert "pager.example.test" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_a_url_apprise_does_not_understand_is_refused_with_the_reason(admin_client, team):
    response = admin_client.post(f"/care-teams/{team.id}/channels/", {"label": "Pager", "url": "nonsense"},
                                 follow=True)
    assert "url: not a notification URL apprise understands" in response.content.decode()
    assert not NotificationChannel.objects.exists()


@pytest.mark.parametrize(("ends_at", "message"), [("2099-01-01T08:00", "a shift ends after it starts"),
                                                  ("2099-01-08T08:01", "a shift is at most 7 days")])
def test_a_shift_must_end_after_it_starts_and_last_a_week_at_most(admin_client, team, nurse_on_team, ends_at,
                                                                    message):
    response = admin_client.post(f"/care-teams/{team.id}/shifts/", {
        "user": nurse_on_team.id, "starts_at": "2099-01-01T08:00", "ends_at": ends_at}, follow=True)
    assert message in response.content.decode()
    assert not OnCallShift.objects.exists()


def test_someone_off_the_team_cannot_be_put_on_call(admin_client, team):
    outsider = make_user("nurse-outside", role="nurse")
    response = admin_client.post(f"/care-teams/{team.id}/shifts/", {
        "user": outsider.id, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-01T20:00"}, follow=True)
    assert "nurse-outside is not an active member of Ward A" in response.content.decode()
    assert not OnCallShift.objects.exists()


def test_clinicians_cannot_change_how_the_team_is_reached(team, nurse_on_team):
    response = signed_in(nurse_on_team).post(f"/care-teams/{team.id}/channels/",
                                             {"label": "Mine", "url": "json://x.example.test/"})
    assert response.status_code in (302, 403, 404) and not NotificationChannel.objects.exists()
