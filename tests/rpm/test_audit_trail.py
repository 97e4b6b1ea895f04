"""The audit trail is tamper-evident: append-only in the database, hash-chained, verified by
`manage.py verify_audit`, closed to edits in Django admin, and every row says where the request came from."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from rpm import audit
from rpm.models import AuditEvent
from tests.builders import make_user


def write(n: int, actor=None) -> list[AuditEvent]:
    return [audit.record(actor=actor, action=AuditEvent.Action.VIEW, verb=f"test.row{i}") for i in range(n)]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def tamper(sql: str, params: list) -> None:
    """What someone with database access could do: switch the triggers off, then edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_audit_row_cannot_be_updated(db):
    (event,) = write(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="test.forged")
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.row0"


def test_an_audit_row_cannot_be_deleted_even_in_sql(db):
    (event,) = write(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM rpm_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_intact_trail_verifies(db):
    write(5)
    assert "audit chain intact: 5 rows" in verify()


def test_the_verifier_names_a_row_changed_by_hand_in_sql(db):
    events = write(4)
    tamper("UPDATE rpm_auditevent SET verb = 'test.innocent' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match=rf"row #{events[2].pk}: its content does not match its hash"):
        verify()


def test_the_verifier_notices_a_row_removed_from_the_middle(db):
    events = write(4)
    tamper("DELETE FROM rpm_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=rf"row #{events[2].pk}: does not follow row #{events[0].pk}"):
        verify()


def test_a_forged_row_with_a_made_up_hash_breaks_the_chain(db):
    events = write(2)
    tamper("INSERT INTO rpm_auditevent (at, action, verb, object_type, object_id, detail, user_agent, prev_hash, hash)"
           " VALUES (now(), 'export', 'patient.export.csv', '', '', '{}', '', %s, %s)", [events[1].hash, "f" * 64])
    with pytest.raises(CommandError, match="its content does not match its hash"):
        verify()


@pytest.mark.django_db(transaction=True)
def test_writers_at_the_same_time_keep_one_chain():
    user = make_user("auditor", role=None)

    def writer():
        write(10, actor=user)
        connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "audit chain intact: 40 rows" in verify()


def test_rows_say_which_address_and_browser_the_request_came_from(nurse, patient):
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Synthetic-Browser/1.0")
    client.force_login(nurse)
    assert client.get(f"/api/v1/patients/{patient.id}/").status_code == 200
    event = AuditEvent.objects.get(verb="patient.detail", patient=patient)
    assert (event.ip, event.user_agent) == ("203.0.113.7", "Synthetic-Browser/1.0")


def test_django_admin_offers_no_add_change_or_delete_of_audit_rows(db):
    root = make_user("root", role=None)
    root.is_staff = root.is_superuser = True
    root.save()
    (event,) = write(1)
    client = Client()
    client.force_login(root)
    assert client.get("/django-admin/rpm/auditevent/add/").status_code == 403
    response = client.post(f"/django-admin/rpm/auditevent/{event.pk}/change/", {"verb": "test.forged"})
    assert response.status_code in (403, 200)
    assert client.post(f"/django-admin/rpm/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.row0"
