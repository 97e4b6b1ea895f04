"""Per-device request rate limit: a fixed one-minute window counted in Redis.

Fails open: when Redis is unreachable, readings are still accepted (the database is
the source of truth and a lost reading is worse than a noisy device).
"""

from __future__ import annotations

import logging
import time
from functools import cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.2, socket_connect_timeout=0.2)


def allow(device_id: int, *, now: float | None = None) -> bool:
    """True if this device may make another request in the current minute (`now`: a Unix time, for tests)."""
    window = int((time.time() if now is None else now) // 60)
    key = f"rpm:rate:device:{device_id}:{window}"
    try:
        pipe = _client().pipeline(transaction=False)  # one round trip, no MULTI/EXEC
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
    except redis.RedisError as exc:
        log.warning("rate limiter unavailable, allowing request: %r", exc)
        return True
    return count <= settings.DEVICE_RATE_LIMIT_PER_MINUTE
