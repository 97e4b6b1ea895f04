"""Is alerting alive? The parts an alert needs: the database, Redis (broker and live push), a worker that answers,
and beat running its schedule (missed measurements, offline devices, escalations, the catch-up sweep).

Beat's schedule includes `alerts.beat_heartbeat`, which a worker runs; its time in Redis says that beat's
schedule is being run. /readyz/ (config.views) asks every part; the nurse dashboard shows "alerts are delayed"
from the heartbeat alone, which costs one Redis read and goes stale when either beat or the worker stops.
"""

from __future__ import annotations

import datetime as dt

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "rpm:beat-heartbeat"


def record_heartbeat(*, now: dt.datetime | None = None) -> None:
    cache.set(HEARTBEAT_KEY, (now or timezone.now()).isoformat(), timeout=None)


def heartbeat_age(*, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long since beat's schedule last ran; None when it never has (or Redis does not answer)."""
    try:
        raw = cache.get(HEARTBEAT_KEY)
    except Exception:
        return None
    return (now or timezone.now()) - dt.datetime.fromisoformat(raw) if raw else None


def alerts_delayed(*, now: dt.datetime | None = None) -> bool:
    age = heartbeat_age(now=now)
    return age is None or age > dt.timedelta(seconds=settings.READY_BEAT_MAX_AGE_SECONDS)


def _database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def _redis() -> str | None:
    cache.set("rpm:readyz", "1", timeout=10)
    return None if cache.get("rpm:readyz") == "1" else "Redis did not keep a value"


def _worker() -> str | None:
    timeout = settings.READY_WORKER_TIMEOUT_SECONDS
    answers = current_app.control.ping(timeout=timeout)
    return None if answers else f"no Celery worker answered within {timeout:g} s"


def _beat() -> str | None:
    age = heartbeat_age()
    if age is None:
        return "beat's schedule has not run (no heartbeat)"
    if age > dt.timedelta(seconds=settings.READY_BEAT_MAX_AGE_SECONDS):
        return f"beat's schedule last ran {int(age.total_seconds())} s ago"
    return None


CHECKS = {"database": _database, "redis": _redis, "worker": _worker, "beat": _beat}


def check() -> dict[str, str | None]:
    """{part: None when it is well, else what is wrong}, every part asked even when one fails."""
    problems: dict[str, str | None] = {}
    for part, probe in CHECKS.items():
        try:
            problems[part] = probe()
        except Exception as exc:  # the part is down: say which and how, nothing more
            problems[part] = f"{part} unreachable: {type(exc).__name__}"
    return problems
