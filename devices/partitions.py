"""The readings table's monthly partitions (PostgreSQL declarative partitioning by measured_at, UTC months):
making them ahead of time, and dropping whole months past the retention setting.

Partitions are named devices_reading_yYYYYmMM and cover [first of the month, first of the next) in UTC; a
default partition (devices_reading_default) catches any reading outside them, so nothing is ever refused for
want of a partition. Both jobs run from beat (devices.tasks) and are safe to run again at any time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.db import connection, transaction

from rpm.audit import record
from rpm.models import AuditEvent

log = logging.getLogger(__name__)

PARENT = "devices_reading"
DEFAULT = "devices_reading_default"
_NAME = re.compile(r"^devices_reading_y(\d{4})m(\d{2})$")


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    month: dt.date  # the first day of the month it holds

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.month.year, self.month.month, 1, tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return month_start(add_months(self.month, 1))


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)


def month_of(at: dt.datetime) -> dt.date:
    at = at.astimezone(dt.UTC)
    return dt.date(at.year, at.month, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_y{month:%Y}m{month:%m}"


def monthly_partitions() -> list[Partition]:
    """The monthly partitions that exist, oldest first (the default partition is not one of them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [PARENT])
        names = [row[0] for row in cursor.fetchall()]
    found = [(m, name) for name in names if (m := _NAME.match(name))]
    return sorted((Partition(name, dt.date(int(m[1]), int(m[2]), 1)) for m, name in found), key=lambda p: p.month)


def ensure_partitions(*, now: dt.datetime, ahead: int) -> list[str]:
    """Make the monthly partitions from this month to `ahead` months on that do not exist yet; returns their
    names. Readings already in the default partition for such a month are moved into it in the same
    transaction (PostgreSQL refuses a new partition whose range the default partition holds rows of)."""
    existing = {p.month for p in monthly_partitions()}
    made = []
    this_month = month_of(now)
    for n in range(ahead + 1):
        month = add_months(this_month, n)
        if month not in existing:
            _create(month)
            made.append(partition_name(month))
    if made:
        log.info("readings partitions created: %s", ", ".join(made))
    return made


def _create(month: dt.date) -> None:
    name, start, end = partition_name(month), month_start(month), month_start(add_months(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        # the default partition is locked for the move: a reading of that month arriving meanwhile waits
        cursor.execute(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE measured_at >= %s AND measured_at < %s)",
                       [start, end])
        if not cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)", [start, end])
            return
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"WITH moved AS (DELETE FROM {DEFAULT} WHERE measured_at >= %s AND measured_at < %s "
                       f"RETURNING *) INSERT INTO {name} SELECT * FROM moved", [start, end])
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end])


def retention_cutoff(*, now: dt.datetime, keep_months: int, backfill_days: int) -> dt.datetime:
    """Readings measured before this may go: the start of the month `keep_months` before this one, and never
    within the ingest backfill window (a reading that may still arrive is not dropped on arrival)."""
    if keep_months < 1:
        raise ValueError("RPM_READINGS_RETENTION_MONTHS must be 1 or more (or unset: keep everything)")
    by_months = month_start(add_months(month_of(now), -keep_months))
    by_backfill = month_start(month_of(now - dt.timedelta(days=backfill_days)))
    return min(by_months, by_backfill)


@dataclass(frozen=True, slots=True)
class Dropped:
    partition: str
    readings: int


def drop_expired(*, now: dt.datetime, keep_months: int | None, backfill_days: int) -> list[Dropped]:
    """Drop every monthly partition wholly before the retention cutoff, with the message ids of its readings
    (and any reading before the cutoff in the default partition). Each drop is logged and audited with the
    partition and its row count only: no patient data. `keep_months` None keeps everything."""
    if keep_months is None:
        return []
    cutoff = retention_cutoff(now=now, keep_months=keep_months, backfill_days=backfill_days)
    dropped = []
    for part in monthly_partitions():
        if part.end <= cutoff:
            dropped.append(_drop(part.name, cutoff=cutoff, keep_months=keep_months))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE measured_at < %s)", [cutoff])
        stale_default = cursor.fetchone()[0]
    if stale_default:
        dropped.append(_drop(DEFAULT, cutoff=cutoff, keep_months=keep_months))
    return dropped


def _drop(table: str, *, cutoff: dt.datetime, keep_months: int) -> Dropped:
    """Drop one monthly partition, or empty the default one below the cutoff, with its readings' message ids."""
    whole = table != DEFAULT
    below = "" if whole else "AND r.measured_at < %(cutoff)s"
    with transaction.atomic(), connection.cursor() as cursor:
        # rows written earlier in a caller's transaction may still owe their deferred foreign-key checks, and a
        # table with pending checks cannot be dropped: run them now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DELETE FROM devices_readingmessage k USING {table} r WHERE k.device_id = r.device_id "
                       f"AND k.message_id = r.device_message_id {below}", {"cutoff": cutoff})
        if whole:
            cursor.execute(f"SELECT count(*) FROM {table}")
            (count,) = cursor.fetchone()
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {table}")
            cursor.execute(f"DROP TABLE {table}")
        else:
            cursor.execute(f"DELETE FROM {table} WHERE measured_at < %s", [cutoff])
            count = cursor.rowcount
        record(actor=None, action=AuditEvent.Action.DELETE, verb="readings.retention",
               detail={"partition": table, "readings": count, "before": cutoff.isoformat(),
                       "keep_months": keep_months})
    log.info("readings retention: dropped %s (%d readings measured before %s)", table, count, cutoff.isoformat())
    return Dropped(table, count)
