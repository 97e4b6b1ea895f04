"""Break-glass: a clinician opens access to a patient outside their care teams with a reason, for an hour; it is
audited, the patient's team is told in-app, and every path honours it while it lasts (and only then)."""

import datetime as dt

import pytest

from clinic.break_glass import open_break_glass
from patients.models import BreakGlassAccess, Notice
from rpm.models import AuditEvent
from tests.builders import make_patient, make_team, make_user
from tests.clinic.test_consumer import connected, sign_in
from tests.conftest import errors_of, run_async, signed_in

PATHS = ["/patients/{id}/", "/api/v1/patients/{id}/", "/api/v1/patients/{id}/readings/?metric=heart_rate",
         "/api/v1/patients/{id}/export/csv/", "/api/v1/patients/{id}/export/fhir/", "/fhir/Patient/{id}",
         "/api/v1/alerts/?patient={id}"]


@pytest.fixture
def wards(db):
    north, south = make_team("Ward North"), make_team("Ward South")
    outsider = make_user("nurse-south", role="nurse", team=south)
    physician = make_user("physician-north", role="physician", team=north)
    nurse = make_user("nurse-north", role="nurse", team=north)
    return outsider, physician, nurse, make_patient(north)


def reachable(client, patient) -> dict[str, int]:
    return {path: client.get(path.format(id=patient.id)).status_code for path in PATHS}


def test_without_break_glass_another_wards_patient_is_a_404_everywhere(wards):
    outsider, _, _, patient = wards
    codes = reachable(signed_in(outsider), patient)
    assert {path: code for path, code in codes.items() if "alerts" not in path} == dict.fromkeys(
        [p for p in PATHS if "alerts" not in p], 404)


def test_break_glass_opens_every_path_for_an_hour_audited_and_the_team_is_told(
        wards, django_capture_on_commit_callbacks):
    outsider, physician, nurse, patient = wards
    client = signed_in(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/patients/{patient.id}/break-glass/",
                               {"reason": "covering the night shift, patient deteriorating"},
                               content_type="application/json")
    assert response.status_code == 201, response.content
    expires = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=60)
    codes = reachable(client, patient)
    assert codes == dict.fromkeys(PATHS, 200), codes
    opened = AuditEvent.objects.get(verb="patient.break_glass")
    assert (opened.actor, opened.patient) == (outsider, patient)
    assert opened.detail["reason"] == "covering the night shift, patient deteriorating"
    told = {n.recipient for n in Notice.objects.filter(kind="break_glass")}
    assert told == {physician, nurse}
    assert "nurse-south opened break-glass access" in Notice.objects.filter(recipient=physician).get().message
    assert "nurse-south opened break-glass access" in signed_in(physician).get("/").content.decode()


def test_break_glass_expires_after_the_hour(wards):
    outsider, _, _, patient = wards
    open_break_glass(user=outsider, patient_id=patient.id, reason="needed it yesterday evening",
                     now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
    assert signed_in(outsider).get(f"/api/v1/patients/{patient.id}/").status_code == 404


def test_break_glass_needs_a_reason(wards):
    outsider, _, _, patient = wards
    response = signed_in(outsider).post(f"/api/v1/patients/{patient.id}/break-glass/", {"reason": "  "},
                                        content_type="application/json")
    assert response.status_code == 400 and "reason" in errors_of(response)
    response = signed_in(outsider).post(f"/api/v1/patients/{patient.id}/break-glass/", {"reason": "because"},
                                        content_type="application/json")
    assert response.status_code == 400 and "at least 10 characters" in errors_of(response)["reason"]
    assert not BreakGlassAccess.objects.exists()


def test_admins_cannot_break_glass(wards):
    *_, patient = wards
    admin = make_user("admin-x", role="admin")
    response = signed_in(admin).post(f"/api/v1/patients/{patient.id}/break-glass/",
                                     {"reason": "just curious about this one"}, content_type="application/json")
    assert response.status_code == 403
    assert signed_in(admin).get(f"/patients/{patient.id}/break-glass/").status_code == 403


def test_an_unknown_patient_is_a_404_naming_it(wards):
    outsider, *_ = wards
    response = signed_in(outsider).post("/api/v1/patients/999999/break-glass/",
                                        {"reason": "patient deteriorating now"}, content_type="application/json")
    assert response.status_code == 404 and "patient" in errors_of(response)


def test_the_break_glass_page_names_no_patient_and_opens_the_record(wards):
    outsider, _, _, patient = wards
    client = signed_in(outsider)
    form = client.get(f"/patients/{patient.id}/break-glass/").content.decode()
    assert patient.family_name not in form and patient.mrn not in form
    refused = client.post(f"/patients/{patient.id}/break-glass/", {"reason": "short"})
    assert refused.status_code == 400 and "at least 10 characters" in refused.content.decode()
    response = client.post(f"/patients/{patient.id}/break-glass/", {"reason": "called by the patient's GP"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.id}/"
    assert patient.family_name in client.get(f"/patients/{patient.id}/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_socket_streams_a_break_glass_patient():
    north, south = make_team("Ward N2"), make_team("Ward S2")
    outsider, patient = make_user("nurse-s2", role="nurse", team=south), make_patient(north)
    open_break_glass(user=outsider, patient_id=patient.id, reason="covering for a colleague tonight")
    sign_in(outsider)

    async def scenario():
        comm = await connected(outsider)
        await comm.disconnect()

    run_async(scenario)
    assert AuditEvent.objects.filter(verb="dashboard.live", actor=outsider, patient=patient).exists()


def test_the_sockets_scope_takes_in_the_break_glass_patient_and_its_wards_group(wards):
    from clinic.dashboard import live_scope

    outsider, _, _, patient = wards
    open_break_glass(user=outsider, patient_id=patient.id, reason="covering for a colleague tonight")
    teams, visible = live_scope(user=outsider)
    assert patient.id in visible and patient.care_team_id in teams


def test_a_notice_stays_on_the_dashboard_until_its_reader_dismisses_it(wards, django_capture_on_commit_callbacks):
    outsider, physician, nurse, patient = wards
    with django_capture_on_commit_callbacks(execute=True):
        open_break_glass(user=outsider, patient_id=patient.id, reason="covering for a colleague tonight")
    notice = Notice.objects.get(recipient=physician)
    signed_in(nurse).post(f"/notices/{notice.id}/read/")  # not theirs: nothing happens
    client = signed_in(physician)
    assert "opened break-glass access" in client.get("/").content.decode()
    assert client.post(f"/notices/{notice.id}/read/").status_code == 302
    assert "opened break-glass access" not in client.get("/").content.decode()
    assert Notice.objects.get(recipient=nurse).read_at is None
