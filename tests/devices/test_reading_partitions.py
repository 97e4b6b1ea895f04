"""The readings table partitioned by month: the migration that converts a table with data, idempotent ingest
without a unique index on the readings, partition pruning for a chart, and the partitions' upkeep (made ahead,
dropped past retention)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from devices import partitions, tasks
from devices.ingest import ingest
from devices.models import Reading, ReadingMessage
from devices.readings import _RAW_SQL, latest_two, latest_values, raw_series
from rpm.metrics import OK
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient
from tests.devices.test_device_asgi import post
from tests.readings import add_readings, every

UTC = dt.UTC


def partition_of(reading_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM devices_reading WHERE id = %s", [reading_id])
        return cursor.fetchone()[0]


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in cursor.fetchall()}


# --- the migration, on a table with data ------------------------------------------------------

LATEST = ("devices", "0004_partition_readings_by_month")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_every_row_in_monthly_partitions_with_indexes_and_idempotency(now):
    patient = make_patient()
    device, _ = make_device(patient=patient)
    migrate(("devices", "0003_device_telemetry"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'devices_reading'")
            assert cursor.fetchone()[0] == "r"  # a plain table again, with its unique (device, message id)
            rows = [(patient.id, device.id, "heart_rate", 60.0 + n, "/min", at, at, "api", f"old-{n}", "ok")
                    for n, at in enumerate([dt.datetime(2025, 1, 31, 23, 59, tzinfo=UTC),
                                            dt.datetime(2025, 2, 1, 0, 0, tzinfo=UTC),
                                            dt.datetime(2025, 6, 15, 12, tzinfo=UTC),
                                            now - dt.timedelta(days=1)])]
            rows.append((patient.id, None, "spo2", 97.0, "%", now, now, "manual", None, "ok"))
            cursor.executemany("INSERT INTO devices_reading (patient_id, device_id, metric, value, unit, "
                               "measured_at, received_at, source, device_message_id, quality) "
                               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
            cursor.execute("SELECT id, patient_id, device_id, metric, value, measured_at, device_message_id "
                           "FROM devices_reading ORDER BY id")
            before = cursor.fetchall()
    finally:
        migrate(LATEST)

    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'devices_reading'")
        assert cursor.fetchone()[0] == "p"
        cursor.execute("SELECT id, patient_id, device_id, metric, value, measured_at, device_message_id "
                       "FROM devices_reading ORDER BY id")
        assert cursor.fetchall() == before
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'devices_reading_pkey'")
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, measured_at)"
    by_id = {row[6]: row[0] for row in before if row[6]}
    assert partition_of(by_id["old-0"]) == "devices_reading_y2025m01"
    assert partition_of(by_id["old-1"]) == "devices_reading_y2025m02"
    assert partition_of(by_id["old-2"]) == "devices_reading_y2025m06"
    months = {p.month for p in partitions.monthly_partitions()}
    this_month = partitions.month_of(now)
    assert {partitions.add_months(this_month, n) for n in range(-1, 4)} <= months
    # every month from the oldest reading on has its partition; each partition has the table's indexes
    assert {dt.date(2025, m, 1) for m in range(1, 13)} <= months
    assert {"reading_series", "reading_unevaluated", "devices_reading_pkey"} <= index_names("devices_reading")
    assert len(index_names("devices_reading_y2025m06")) == len(index_names("devices_reading"))
    assert ReadingMessage.objects.filter(device=device).count() == 4

    # a retry of a message stored before the migration is still a duplicate, and new ids follow the old ones
    outcome = ingest(patient_id=patient.id, device_id=device.id, device_kind=device.kind, source="api", now=now,
                     items=[{"id": "old-3", "metric": "heart_rate", "value": 99, "unit": "/min",
                             "measured_at": now - dt.timedelta(hours=2)},
                            {"id": "new-1", "metric": "heart_rate", "value": 70, "unit": "/min",
                             "measured_at": now}])
    assert [r.status for r in outcome.results] == ["duplicate", "created"]
    assert outcome.results[1].reading_id > max(row[0] for row in before)
    assert Reading.objects.count() == len(before) + 1


# --- idempotency over the real ingest path ----------------------------------------------------------

@pytest.fixture
def monitor(db):
    patient = make_patient()
    device, token = make_device(patient=patient)
    return patient, device, token


def test_the_same_message_sent_twice_is_stored_once(live_server_url, monitor):
    patient, device, token = monitor
    at = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    body = {"id": "twice", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": at.isoformat()}
    first, again = post(live_server_url, token, body), post(live_server_url, token, body)
    assert (first[0], first[1].get("status")) == (201, "created"), first
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    assert Reading.objects.filter(device=device).count() == 1


def test_a_message_id_sent_again_with_another_month_is_still_one_reading(live_server_url, monitor, now):
    """The readings' own unique index could only hold per month (it must include measured_at); the message key
    holds across months."""
    _, device, token = monitor
    this_month = partitions.month_start(partitions.month_of(now))
    body = {"id": "moved", "metric": "heart_rate", "value": 72, "unit": "/min",
            "measured_at": (this_month - dt.timedelta(hours=1)).isoformat()}
    assert post(live_server_url, token, body)[0] == 201
    status, answer, _ = post(live_server_url, token, {**body, "measured_at": (now - dt.timedelta(minutes=1))
                                                      .isoformat()})
    assert (status, answer["status"]) == (200, "duplicate")
    assert Reading.objects.filter(device=device).count() == 1


def test_another_device_may_use_the_same_message_id(monitor, now):
    patient, device, _ = monitor
    other, _ = make_device(patient=make_patient())
    item = {"id": "m-1", "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now}
    for dev in (device, other):
        outcome = ingest(patient_id=dev.assignments.get().patient_id, items=[item], source="api", device_id=dev.id,
                         device_kind=dev.kind, now=now)
        assert outcome.results[0].status == "created"
    assert Reading.objects.filter(device_message_id="m-1").count() == 2


# --- partition pruning ----------------------------------------------------------------------

def test_the_30_day_chart_reads_only_the_partitions_of_its_months(monitor, now):
    patient, _, _ = monitor
    start, end = now - dt.timedelta(days=30), now
    add_readings(patient, "heart_rate", [(at, 70.0) for at in every(start, dt.timedelta(hours=6), 120)])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _RAW_SQL, [patient.id, "heart_rate", start, end, OK])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = set(re.findall(r" on (devices_reading\w*)", plan))
    assert scanned == {partitions.partition_name(partitions.month_of(start)),
                       partitions.partition_name(partitions.month_of(end))}, plan
    assert len(raw_series(patient_id=patient.id, metric="heart_rate", start=start, end=end)) == 120


# --- upkeep: partitions made ahead, and retention -------------------------------------------------

def test_partitions_are_made_months_ahead_and_again_safely(db):
    now = dt.datetime(2031, 5, 20, tzinfo=UTC)
    made = partitions.ensure_partitions(now=now, ahead=2)
    assert made == ["devices_reading_y2031m05", "devices_reading_y2031m06", "devices_reading_y2031m07"]
    assert partitions.ensure_partitions(now=now, ahead=2) == []
    assert "reading_series" not in index_names("devices_reading_y2031m06")  # its own name for the parent's index
    assert len(index_names("devices_reading_y2031m06")) == len(index_names("devices_reading"))


def test_the_beat_task_keeps_the_next_months_made(db, settings):
    settings.RPM_READINGS_PARTITIONS_AHEAD = 5
    tasks.ensure_reading_partitions()
    months = {p.month for p in partitions.monthly_partitions()}
    this_month = partitions.month_of(dt.datetime.now(UTC))
    assert {partitions.add_months(this_month, n) for n in range(6)} <= months


def test_readings_that_fell_into_the_default_partition_move_into_their_new_month(monitor):
    patient, _, _ = monitor
    (stray,) = add_readings(patient, "heart_rate", [(dt.datetime(2032, 3, 9, tzinfo=UTC), 71.0)])
    assert partition_of(stray.id) == "devices_reading_default"
    partitions.ensure_partitions(now=dt.datetime(2032, 3, 1, tzinfo=UTC), ahead=0)
    assert partition_of(stray.id) == "devices_reading_y2032m03"
    assert Reading.objects.get(id=stray.id).value == 71.0


@pytest.mark.parametrize(("now", "keep", "cutoff"), [
    # keep 12 months: everything from the start of the month a year back stays
    (dt.datetime(2026, 11, 29, tzinfo=UTC), 12, dt.datetime(2025, 11, 1, tzinfo=UTC)),
    (dt.datetime(2026, 11, 1, tzinfo=UTC), 12, dt.datetime(2025, 11, 1, tzinfo=UTC)),
    (dt.datetime(2026, 10, 31, 23, 59, tzinfo=UTC), 12, dt.datetime(2025, 10, 1, tzinfo=UTC)),
    # keep 1 month, but never inside the 30-day backfill window
    (dt.datetime(2026, 3, 1, tzinfo=UTC), 1, dt.datetime(2026, 1, 1, tzinfo=UTC)),
    (dt.datetime(2026, 3, 31, tzinfo=UTC), 1, dt.datetime(2026, 2, 1, tzinfo=UTC)),
])
def test_retention_cutoff(now, keep, cutoff):
    assert partitions.retention_cutoff(now=now, keep_months=keep, backfill_days=30) == cutoff


def test_retention_of_zero_months_is_refused_with_its_setting_named():
    with pytest.raises(ValueError, match="RPM_READINGS_RETENTION_MONTHS"):
        partitions.retention_cutoff(now=dt.datetime(2026, 1, 1, tzinfo=UTC), keep_months=0, backfill_days=30)


def test_retention_drops_whole_old_months_and_keeps_the_rest(monitor):
    patient, device, _ = monitor
    now = dt.datetime(2034, 6, 10, tzinfo=UTC)
    for month in ("2033-04", "2033-05", "2033-06"):
        partitions.ensure_partitions(now=dt.datetime.fromisoformat(f"{month}-01T00:00+00:00"), ahead=0)
    partitions.ensure_partitions(now=now, ahead=0)
    def store(*times: dt.datetime, keyed: bool = True) -> list[Reading]:
        made = Reading.objects.bulk_create(
            Reading(patient=patient, device=device, metric="heart_rate", value=60.0, unit="/min", measured_at=at,
                    received_at=at, source="api", device_message_id=f"m-{at:%Y%m%d%H%M}" if keyed else None)
            for at in times)
        ReadingMessage.objects.bulk_create(ReadingMessage(device=device, message_id=r.device_message_id,
                                                          reading_id=r.id, measured_at=r.measured_at)
                                           for r in made if keyed)
        return made

    store(dt.datetime(2033, 4, 30, 23, 59, tzinfo=UTC), dt.datetime(2033, 5, 2, tzinfo=UTC))
    store(dt.datetime(2033, 1, 2, tzinfo=UTC), keyed=False)  # no partition of its own: in the default one
    kept = store(dt.datetime(2033, 6, 1, tzinfo=UTC), dt.datetime(2034, 6, 9, tzinfo=UTC))

    assert partitions.drop_expired(now=now, keep_months=None, backfill_days=30) == []
    dropped = partitions.drop_expired(now=now, keep_months=12, backfill_days=30)

    # (the test database's partitions of today's months are years old by then: dropped too, empty)
    assert [(d.partition, d.readings) for d in dropped if d.readings] == [
        ("devices_reading_y2033m04", 1), ("devices_reading_y2033m05", 1), ("devices_reading_default", 1)]
    assert all(d.partition < "devices_reading_y2033m06" for d in dropped)
    assert set(Reading.objects.values_list("id", flat=True)) == {r.id for r in kept}
    assert set(ReadingMessage.objects.values_list("reading_id", flat=True)) == {r.id for r in kept}
    assert {p.month for p in partitions.monthly_partitions()} >= {dt.date(2033, 6, 1), dt.date(2034, 6, 1)}
    assert dt.date(2033, 5, 1) not in {p.month for p in partitions.monthly_partitions()}
    events = list(AuditEvent.objects.filter(verb="readings.retention").order_by("id"))
    assert [e.detail["partition"] for e in events] == [d.partition for d in dropped]
    assert all(e.patient_id is None and e.actor_id is None and e.action == "delete" for e in events)
    assert set(events[0].detail) == {"partition", "readings", "before", "keep_months"}  # no patient data


# --- the newest readings per patient and metric, recent or not --------------------------------------

def test_the_newest_readings_are_found_however_old_they_are(monitor, now):
    """A tile's value and trend come from the recent partitions first, then from older ones for what is short."""
    patient, _, _ = monitor
    quiet = make_patient()
    add_readings(patient, "heart_rate", [(now - dt.timedelta(days=120), 60.0), (now - dt.timedelta(days=90), 61.0),
                                         (now - dt.timedelta(hours=1), 62.0)])
    add_readings(patient, "spo2", [(now - dt.timedelta(days=2), 95.0), (now - dt.timedelta(days=1), 96.0),
                                   (now - dt.timedelta(days=40), 94.0)])
    add_readings(quiet, "body_weight", [(now - dt.timedelta(days=300), 80.0)])

    two = latest_two(patient_ids=[patient.id, quiet.id], metrics=["heart_rate", "spo2", "body_weight"])
    assert two == {(patient.id, "heart_rate"): [(62.0, now - dt.timedelta(hours=1)),
                                                (61.0, now - dt.timedelta(days=90))],
                   (patient.id, "spo2"): [(96.0, now - dt.timedelta(days=1)), (95.0, now - dt.timedelta(days=2))],
                   (quiet.id, "body_weight"): [(80.0, now - dt.timedelta(days=300))]}
    latest = latest_values([patient.id, quiet.id])
    assert {m: v["value"] for m, v in latest[patient.id].items()} == {"heart_rate": 62.0, "spo2": 96.0}
    assert latest[quiet.id] == {"body_weight": {"value": 80.0, "unit": "kg",
                                                "measured_at": now - dt.timedelta(days=300)}}
