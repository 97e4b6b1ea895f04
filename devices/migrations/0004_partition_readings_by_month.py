"""Partition devices_reading by month of measured_at (PostgreSQL declarative partitioning), keeping every row.

The old table is renamed, a partitioned parent is made LIKE it (columns, defaults, NOT NULL and CHECK
constraints), monthly partitions cover the months with data, last month to a few months ahead, plus a default
partition that catches anything else (a reading is never refused for want of a partition). Rows are moved, then
the old table's indexes and foreign keys are recreated on the parent under their own names (so each partition
gets them), with the primary key widened to (id, measured_at) as PostgreSQL requires. Ids keep coming from one
sequence, continued past the old one's last value (alerts keep reading ids in arrays, so an id is never reused).

A unique index on a partitioned table must include the partition key, so "one reading per device message id"
moves to devices_readingmessage, keyed (device, message id), filled from the existing rows here and by ingest()
in the same statement as each reading.
"""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

PARTITIONS_AHEAD = 3  # devices.partitions keeps this many months ahead from then on (a beat task)


def _month(at: dt.datetime) -> dt.date:
    return dt.date(at.year, at.month, 1)


def _next(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def partition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'devices_reading'::regclass")
        if cursor.fetchone()[0] == "p":  # already partitioned (a database made by hand)
            return
        cursor.execute("SELECT conname FROM pg_constraint WHERE confrelid = 'devices_reading'::regclass")
        referencing = [row[0] for row in cursor.fetchall()]
        assert not referencing, f"foreign keys point at devices_reading: {referencing}"
        # what to recreate, read while the names are still the table's own
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'devices_reading' AND indexname NOT IN "
                       "('devices_reading_pkey', 'one_reading_per_device_message')")
        index_defs = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'devices_reading'::regclass AND contype = 'f'")
        foreign_keys = cursor.fetchall()
        cursor.execute("SELECT pg_get_serial_sequence('devices_reading', 'id')")
        (old_sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {old_sequence}")
        (last_id,) = cursor.fetchone()
        cursor.execute("SELECT min(measured_at), max(measured_at) FROM devices_reading")
        oldest, newest = cursor.fetchone()

        cursor.execute("ALTER TABLE devices_reading RENAME TO devices_reading_unpartitioned")
        cursor.execute("CREATE TABLE devices_reading (LIKE devices_reading_unpartitioned INCLUDING DEFAULTS "
                       "INCLUDING CONSTRAINTS) PARTITION BY RANGE (measured_at)")
        cursor.execute("ALTER TABLE devices_reading ALTER COLUMN id DROP DEFAULT")  # the old sequence's, if any
        now = dt.datetime.now(dt.UTC)
        month = _previous(_month(min(oldest, now) if oldest else now))
        last = _month(now)
        for _ in range(PARTITIONS_AHEAD):
            last = _next(last)
        if newest is not None:
            last = max(last, _month(newest))
        while month <= last:
            cursor.execute(f"CREATE TABLE devices_reading_y{month:%Y}m{month:%m} PARTITION OF devices_reading "
                           f"FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO ('{_next(month).isoformat()} 00:00+00')")
            month = _next(month)
        cursor.execute("CREATE TABLE devices_reading_default PARTITION OF devices_reading DEFAULT")

        columns = ("id, patient_id, device_id, metric, value, unit, measured_at, received_at, source, "
                   "device_message_id, quality, evaluated_at")
        cursor.execute(f"INSERT INTO devices_reading ({columns}) SELECT {columns} FROM devices_reading_unpartitioned")
        cursor.execute("INSERT INTO devices_readingmessage (device_id, message_id, reading_id, measured_at) "
                       "SELECT device_id, device_message_id, id, measured_at FROM devices_reading_unpartitioned "
                       "WHERE device_id IS NOT NULL AND device_message_id IS NOT NULL")
        cursor.execute("SELECT coalesce(max(id), 0) FROM devices_reading_unpartitioned")
        last_id = max(last_id, cursor.fetchone()[0])
        cursor.execute("DROP TABLE devices_reading_unpartitioned")  # and its identity sequence

        cursor.execute("CREATE SEQUENCE devices_reading_id_seq AS bigint OWNED BY devices_reading.id")
        if last_id:
            cursor.execute("SELECT setval('devices_reading_id_seq', %s)", [last_id])
        cursor.execute("ALTER TABLE devices_reading ALTER COLUMN id SET DEFAULT nextval('devices_reading_id_seq')")
        cursor.execute("ALTER TABLE devices_reading ADD CONSTRAINT devices_reading_pkey PRIMARY KEY (id, measured_at)")
        for index_def in index_defs:
            cursor.execute(index_def)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE devices_reading ADD CONSTRAINT {name} {definition}")
        cursor.execute("ANALYZE devices_reading")


def unpartition(apps, schema_editor):
    """Back to one plain table with the unique (device, message id) index, every row kept."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'devices_reading' "
                       "AND indexname <> 'devices_reading_pkey'")
        index_defs = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'devices_reading'::regclass AND contype = 'f' AND conparentid = 0")
        foreign_keys = cursor.fetchall()
        cursor.execute("ALTER SEQUENCE devices_reading_id_seq OWNED BY NONE")
        cursor.execute("ALTER TABLE devices_reading RENAME TO devices_reading_partitioned")
        cursor.execute("CREATE TABLE devices_reading (LIKE devices_reading_partitioned INCLUDING DEFAULTS "
                       "INCLUDING CONSTRAINTS)")
        cursor.execute("INSERT INTO devices_reading SELECT * FROM devices_reading_partitioned")
        cursor.execute("DROP TABLE devices_reading_partitioned")  # and its partitions
        cursor.execute("ALTER SEQUENCE devices_reading_id_seq OWNED BY devices_reading.id")
        cursor.execute("ALTER TABLE devices_reading ADD CONSTRAINT devices_reading_pkey PRIMARY KEY (id)")
        for index_def in index_defs:
            cursor.execute(index_def.replace(" ON ONLY ", " ON "))
        cursor.execute("CREATE UNIQUE INDEX one_reading_per_device_message ON devices_reading "
                       "(device_id, device_message_id) WHERE device_message_id IS NOT NULL")
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE devices_reading ADD CONSTRAINT {name} {definition}")


class Migration(migrations.Migration):
    dependencies = [
        ('devices', '0003_device_telemetry'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReadingMessage',
            fields=[
                ('pk', models.CompositePrimaryKey('device_id', 'message_id', blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                             to='devices.device')),
                ('message_id', models.CharField(max_length=100)),
                ('reading_id', models.BigIntegerField()),
                ('measured_at', models.DateTimeField()),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name='reading', name='one_reading_per_device_message'),
            ],
            database_operations=[
                migrations.RunPython(partition, unpartition, elidable=False),
            ],
        ),
    ]
