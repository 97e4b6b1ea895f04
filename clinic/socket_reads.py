"""The database reads of dashboard sockets (sign-in, care teams, catch-up), run concurrently on a small thread pool.

Channels' database_sync_to_async is thread-sensitive by default: every socket's reads in a process queue on one
thread, so a thousand dashboards connecting at once (every browser reconnecting after a deploy) wait for each other.
These reads are independent, so they share READ_THREADS threads instead, each holding at most one pooled database
connection at a time (returned after every call), whatever the number of sockets or event loops.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async

READ_THREADS = int(os.environ.get("LIVE_READ_THREADS", "4"))
_pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="socket-reads")


def read_concurrently(func):
    """`func` as an awaitable that runs on the socket-reads pool (and closes its connection after each call)."""
    return database_sync_to_async(func, thread_sensitive=False, executor=_pool)
