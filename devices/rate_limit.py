"""Per-device request rate limit: a fixed one-minute window counted in Redis.

Fails open: when Redis is unreachable, readings are still accepted (the database is
the source of truth and a lost reading is worse than a noisy device).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from functools import cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.2, socket_connect_timeout=0.2)


def allow(device_id: int, *, now: float | None = None) -> bool:
    """True if this device may make another request in the current minute (`now`: a Unix time, for tests)."""
    return allow_each([device_id], now=now)[0]


def allow_each(device_ids: list[int], *, now: float | None = None) -> list[bool]:
    """`allow` for a series of requests (a device may appear more than once) in one round trip to Redis."""
    window = int((time.time() if now is None else now) // 60)
    wanted = Counter(device_ids)
    try:
        pipe = _client().pipeline(transaction=False)  # one round trip, no MULTI/EXEC
        for device_id, n in wanted.items():
            key = f"rpm:rate:device:{device_id}:{window}"
            pipe.incrby(key, n)
            pipe.expire(key, 120)
        counts = pipe.execute()[::2]
    except redis.RedisError as exc:
        log.warning("rate limiter unavailable, allowing requests: %r", exc)
        return [True] * len(device_ids)
    # the n requests of a device counted together are numbers count - n + 1 ... count of its minute, in order
    number = {device_id: count - wanted[device_id] for device_id, count in zip(wanted, counts, strict=True)}
    allowed = []
    for device_id in device_ids:
        number[device_id] += 1
        allowed.append(number[device_id] <= settings.DEVICE_RATE_LIMIT_PER_MINUTE)
    return allowed
