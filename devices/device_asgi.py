"""The lean ASGI path for `POST /api/v1/readings/`: the device hot path, served without Django's request stack.

A single reading costs little to store but a lot to carry through Django (middleware, a request object, a thread
hop per request) and to commit alone (a WAL flush, an enqueue and a publish each). Here a post is read straight off
the ASGI connection and handed to this process's `GroupCommit`: posts that arrive while commits are under way wait
for the next one, which answers them all through `devices.device_api.answer_posts` (one credential query, one
statement, one commit, one announcement, made after the devices have their answers). Each device is answered only
after its rows are committed. Under light load a group is one post, after a linger of a few milliseconds; under
heavy load groups grow and the cost per post falls.

Everything else (another method, another path) goes to Django. What Django's middleware would add to this
endpoint's answers (security headers, the Host check) is added here; tests/devices/test_device_asgi.py compares
the two.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from csp.utils import build_policy
from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from devices.device_api import Answer, DevicePost, answer_posts, refusal
from devices.signals import StoredReading, announce_readings, announcements_held
from rpm.headers import NO_STORE

log = logging.getLogger(__name__)

PATH = "/api/v1/readings/"
# A group stops growing at this many posts or this many body bytes (at least one post): a commit of a few
# thousand readings takes a few milliseconds, so nobody waits long behind a big one.
GROUP_MAX_POSTS = 500
GROUP_MAX_BYTES = 2 * 1024 * 1024
# Groups committed at once, each on its own thread and connection. Small posts get one: those that arrive during a
# commit make the next group larger, and at 1,000 posts/s a second in flight cost CPU per post for no better
# latency. Batches get a second, whose parsing and statement fill the first one's wait on the database
# (bench/ingest.py: one process, batches of 1,000, 29% of COPY with one, 42% with two).
COMMITS_IN_FLIGHT = 2
# A group smaller than this (in posts and in bytes) waits a few milliseconds for company before it is committed: a
# commit's fixed cost (a round trip each for the credentials, the rate limit and the statement, a WAL flush, an
# announcement) is then shared by more posts. At 1,000 posts/s on one process (bench/ingest.py) the CPU per post
# went from 0.78 ms with no linger to 0.61 ms at 4 ms and 0.47 ms at 8 ms, p99 from 15 to 16 and 22 ms.
GROUP_FULL_ENOUGH = 32
GROUP_LINGER_SECONDS = 0.008
GROUP_FULL_ENOUGH_BYTES = 32 * 1024


class GroupCommit:
    """One per event loop (per server process): gathers the posts that arrive while commits are under way and
    answers them together, on at most COMMITS_IN_FLIGHT database threads (and connections) however busy."""

    _instances: dict[asyncio.AbstractEventLoop, GroupCommit] = {}

    @classmethod
    def for_this_loop(cls) -> GroupCommit:
        loop = asyncio.get_running_loop()
        if loop not in cls._instances:
            cls._instances[loop] = cls()
        return cls._instances[loop]

    def __init__(self) -> None:
        self.waiting: list[tuple[DevicePost, asyncio.Future]] = []
        self.committers = 0
        self.threads = ThreadPoolExecutor(max_workers=COMMITS_IN_FLIGHT, thread_name_prefix="ingest-group-commit")
        # Announcements (the evaluation enqueue, the live publish) are made after the devices have their answers,
        # on their own thread so that a commit thread is free for the next group meanwhile. Groups committed while
        # one is being announced are announced together: under load, fewer and larger announcements.
        self.announcer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-announce")
        self.unannounced: list[StoredReading] = []
        self.announcing = False

    async def submit(self, post: DevicePost) -> Answer:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((post, future))
        if self.committers == 0 or (self.committers < COMMITS_IN_FLIGHT and not self._small()):
            self.committers += 1
            asyncio.ensure_future(self._commit_while_waiting())
        return await future

    def _small(self) -> bool:
        """Few posts and few bytes waiting: worth a linger (a batch of readings is a group's worth on its own)."""
        return (len(self.waiting) < GROUP_FULL_ENOUGH
                and sum(len(post.body or b"") for post, _ in self.waiting) < GROUP_FULL_ENOUGH_BYTES)

    def _next_group(self) -> list[tuple[DevicePost, asyncio.Future]]:
        size, taken = 0, 0
        for post, _ in self.waiting:
            size += len(post.body or b"")
            if taken and (taken >= GROUP_MAX_POSTS or size > GROUP_MAX_BYTES):
                break
            taken += 1
        group, self.waiting = self.waiting[:taken], self.waiting[taken:]
        return group

    async def _commit_while_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiting:
                if self._small():
                    await asyncio.sleep(GROUP_LINGER_SECONDS)
                group = self._next_group()
                stored: list[StoredReading] = []
                try:
                    answers, stored = await loop.run_in_executor(self.threads, _answer_on_this_thread,
                                                                 [p for p, _ in group])
                except Exception:
                    log.exception("device ingest: a group of %d posts failed", len(group))
                    answers = [refusal(500, "the server failed; nothing was stored")] * len(group)
                for (_, future), answer in zip(group, answers, strict=True):
                    if not future.done():  # a client that hung up has its readings stored all the same
                        future.set_result(answer)
                if stored:
                    self.unannounced += stored
                    if not self.announcing:
                        self.announcing = True
                        asyncio.ensure_future(self._announce_while_waiting())
        finally:
            self.committers -= 1

    async def _announce_while_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.unannounced:
                stored, self.unannounced = self.unannounced, []
                await loop.run_in_executor(self.announcer, _announce_on_this_thread, stored)
        finally:
            self.announcing = False


def _with_fresh_connection(work, *args):
    # what Django's request_started/finished do for a request: a broken or pooled-out connection is let go
    close_old_connections()
    try:
        return work(*args)
    finally:
        close_old_connections()


def _answer_on_this_thread(posts: list[DevicePost]) -> tuple[list[Answer], list[StoredReading]]:
    with announcements_held() as stored:
        return _with_fresh_connection(answer_posts, posts), stored


def _announce_on_this_thread(stored: list[StoredReading]) -> None:
    # announce_readings logs a failing receiver; the sweep evaluates what was not announced
    _with_fresh_connection(announce_readings, stored)


def _security_headers() -> list[tuple[bytes, bytes]]:
    """What Django's SecurityMiddleware, XFrameOptionsMiddleware, rpm.headers.NoStoreMiddleware and django-csp's
    CSPMiddleware add to a JSON answer (HSTS, for a secure request only, is added in DeviceReadings)."""
    headers = [(b"content-type", b"application/json")]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append((b"referrer-policy", settings.SECURE_REFERRER_POLICY.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    headers.append((b"x-frame-options", getattr(settings, "X_FRAME_OPTIONS", "DENY").encode()))
    headers.append((b"cache-control", NO_STORE.encode()))
    policy = build_policy()
    if policy:
        headers.append((b"content-security-policy", policy.encode()))
    return headers


def _hsts_header() -> tuple[bytes, bytes]:
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return b"strict-transport-security", value.encode()


def _is_secure(scope) -> bool:
    """As HttpRequest.is_secure(): https, or the proxy's header saying so (SECURE_PROXY_SSL_HEADER)."""
    if scope.get("scheme") == "https":
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if not proxy:
        return False
    name = proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode()
    return any(key == name and value.decode("latin-1").split(",")[0].strip() == proxy[1]
               for key, value in scope["headers"])


class DeviceReadings:
    """ASGI app: POST /api/v1/readings/ here, every other HTTP request to `fallback` (Django)."""

    def __init__(self, fallback):
        self.fallback = fallback
        self.headers: list[tuple[bytes, bytes]] | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return await self.fallback(scope, receive, send)
        secure = _is_secure(scope)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return await self.fallback(scope, receive, send)  # Django answers the redirect to https
        if self.headers is None:
            self.headers = _security_headers()
        authorization, declared, host = "", None, ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-length":
                declared = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
        if not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
            answer = refusal(400, "the Host header names no host this server serves", "Host")
        else:
            try:
                body = await _read_body(receive, declared)
            except _HungUp:
                return
            answer = await GroupCommit.for_this_loop().submit(DevicePost(authorization, body, declared))
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": [*self.headers, *([_hsts_header()] if secure and settings.SECURE_HSTS_SECONDS else []),
                                (b"content-length", str(len(answer.body)).encode())]})
        await send({"type": "http.response.body", "body": answer.body})


class _HungUp(Exception):
    """The device hung up before sending its whole body: nothing to store, nobody to answer."""


async def _read_body(receive, declared: str | None) -> bytes | None:
    """The body, or None if it is (or is declared) larger than INGEST_MAX_BODY_BYTES (then it is not kept)."""
    limit = settings.INGEST_MAX_BODY_BYTES
    try:
        if declared is not None and int(declared) > limit:
            return None
    except ValueError:
        pass  # answered by answer_posts, after the credential check
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _HungUp
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        more = message.get("more_body", False)
    return None if size > limit else b"".join(chunks)
