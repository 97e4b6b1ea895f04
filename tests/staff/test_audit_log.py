"""The audit log page: admins see every audited action and filter by who, what, patient and date."""

import datetime as dt
import re

import pytest

from devices.services import enrol_device, register_device, retire_device
from rpm import audit
from rpm.models import AuditEvent
from tests.builders import make_patient, make_user
from tests.conftest import signed_in


def shown_verbs(client, query="") -> list[str]:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return re.findall(r"<td>([a-z_]+\.[a-z_]+)</td>", response.content.decode())


def test_device_actions_appear_on_the_audit_log_with_who_and_which_patient(admin_client, admin, patient):
    device = register_device(serial="SN-AUD", kind="cgm", by=admin)
    enrol_device(device=device, patient=patient, by=admin)
    html = admin_client.get("/audit/").content.decode()
    row = re.search(r'<tr data-audit="\d+">((?:(?!</tr>).)*device\.assign(?:(?!</tr>).)*)</tr>', html, re.S).group(1)
    assert "admin1" in row and patient.mrn in row and f"devices.device #{device.id}" in row


def test_filter_by_actor(admin_client, admin):
    other = make_user("admin2", role="admin")
    register_device(serial="SN-1", kind="cgm", by=admin)
    register_device(serial="SN-2", kind="cgm", by=other)
    html = admin_client.get("/audit/?actor=admin2").content.decode()
    assert "admin2" in html and "<td>admin1</td>" not in html


def test_filter_by_action_and_verb_prefix(admin_client, admin):
    device = register_device(serial="SN-3", kind="cgm", by=admin)
    retire_device(device=device, by=admin)
    audit.record(actor=admin, action=AuditEvent.Action.CREATE, verb="care_team.create")
    assert set(shown_verbs(admin_client, "?verb=device.")) == {"device.register", "device.unassign", "device.retire"}
    assert set(shown_verbs(admin_client, "?action=create")) == {"device.register", "care_team.create"}


def test_filter_by_patient_mrn(admin_client, admin, team):
    patient_a, patient_b = make_patient(team, mrn="MRN-A"), make_patient(team, mrn="MRN-B")
    enrol_device(device=register_device(serial="SN-A", kind="cgm"), patient=patient_a, by=admin)
    enrol_device(device=register_device(serial="SN-B", kind="cgm"), patient=patient_b, by=admin)
    html = admin_client.get("/audit/?patient=MRN-B").content.decode()
    assert "MRN-B" in html and "MRN-A" not in html


def test_filter_by_date_range_includes_both_end_days(admin_client, admin):
    for day, verb in [(1, "test.before"), (2, "test.first_day"), (3, "test.last_day"), (4, "test.after")]:
        audit.record(actor=admin, action=AuditEvent.Action.CHANGE, verb=verb,
                     at=dt.datetime(2026, 3, day, 23, 59, tzinfo=dt.UTC))
    verbs = shown_verbs(admin_client, "?start=2026-03-02&end=2026-03-03")
    assert verbs == ["test.last_day", "test.first_day"]


def test_an_inverted_date_range_is_refused_with_a_message(admin_client):
    response = admin_client.get("/audit/?start=2026-03-05&end=2026-03-01")
    assert response.status_code == 400
    assert "must be on or after the start date" in response.content.decode()


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinicians_get_403_on_the_audit_log(role, db):
    client = signed_in(make_user(f"{role}-a", role=role))
    assert client.get("/audit/").status_code == 403
