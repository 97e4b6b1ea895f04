"""The live dashboard's WebSocket: /ws/dashboard/.

A signed-in clinician's socket joins one channel-layer group per care team it may see
(ward-sized, see alerts.live) and nothing else. It relays the events of visible patients,
coalescing bursts into one frame per `LIVE_COALESCE_MS`, answers a `resume` with what the
browser missed (from the database), and re-checks the user's care teams every
`LIVE_RECHECK_SECONDS`, so a removal takes effect without a reload.

Client -> server: {"type": "resume", "since": "<ISO time of the last event seen>"}
Server -> client: {"type": "hello"|"reading"|"alert"|"patient"|"batch"|"resync"|"heartbeat", ...}
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from alerts import dashboard
from alerts.live import team_group

log = logging.getLogger(__name__)

# A sequence number still missing this long after a later one arrived was lost, not merely reordered.
GAP_GRACE_SECONDS = 1.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.teams: set[int] = set()
        self.visible: set[int] = set()
        self.pending: list[bytes] = []
        self.flush_handle: asyncio.Handle | None = None
        self.last_flush = 0.0
        self.coalesce = settings.LIVE_COALESCE_MS / 1000
        self.last_seq: dict[str, int] = {}
        self.missing: dict[str, set[int]] = {}
        self.gap_check: asyncio.Handle | None = None
        self.gaps = 0
        await self.accept()
        await self.refresh_scope(announce=False)
        await self.send_json({"type": "hello", "at": _iso(_now()), "patients": sorted(self.visible),
                              "recheck_seconds": settings.LIVE_RECHECK_SECONDS})
        self.recheck = asyncio.ensure_future(self.recheck_loop())

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        if hasattr(self, "recheck"):
            self.recheck.cancel()
        for handle in (self.flush_handle, self.gap_check):
            if handle is not None:
                handle.cancel()
        for team in self.teams:
            await self.channel_layer.group_discard(team_group(team), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = orjson.loads(text_data or bytes_data or b"")
            since = dt.datetime.fromisoformat(message["since"]) if message.get("type") == "resume" else None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            await self.send_json({"type": "error", "error": "send {\"type\": \"resume\", \"since\": \"<ISO time>\"}"})
            return
        if since is not None:
            await self.catch_up(since if since.tzinfo else since.replace(tzinfo=dt.UTC))

    async def catch_up(self, since: dt.datetime) -> None:
        events = await database_sync_to_async(dashboard.missed_events)(user=self.user, since=since, now=_now())
        if events is None:
            await self.send_json({"type": "resync", "reason": "disconnected for longer than the catch-up window"})
        elif events:
            await self.send_json({"type": "batch", "catch_up": True, "events": events})

    # --- events from the channel layer -------------------------------------------------------

    async def live_event(self, message: dict) -> None:
        self.track_sequence(message["group"], message["seq"])
        if message["patient"] not in self.visible:
            return
        self.pending.extend(message["events"])
        if self.flush_handle is None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self.last_flush + self.coalesce - loop.time())
            self.flush_handle = loop.call_later(delay, lambda: asyncio.ensure_future(self.flush()))

    async def flush(self) -> None:
        events, self.pending, self.flush_handle = self.pending, [], None
        self.last_flush = asyncio.get_running_loop().time()
        if not events:
            return
        frame = events[0] if len(events) == 1 else b'{"type":"batch","events":[' + b",".join(events) + b"]}"
        await self.send(text_data=frame.decode())

    def track_sequence(self, group: str, seq: int) -> None:
        """Notice a message the layer lost: pub/sub drops silently when a subscriber falls behind."""
        last = self.last_seq.get(group)
        missing = self.missing.setdefault(group, set())
        missing.discard(seq)
        if last is not None and seq > last + 1:
            missing.update(range(last + 1, seq))
            if self.gap_check is None:
                noticed_at = _now()
                self.gap_check = asyncio.get_running_loop().call_later(
                    GAP_GRACE_SECONDS, lambda: asyncio.ensure_future(self.fill_gaps(noticed_at)))
        self.last_seq[group] = seq if last is None else max(last, seq)

    async def fill_gaps(self, noticed_at: dt.datetime) -> None:
        self.gap_check = None
        lost = sum(len(m) for m in self.missing.values())
        if not lost:
            return
        self.gaps += lost
        for missing in self.missing.values():
            missing.clear()
        log.warning("live push: %d message(s) lost by the channel layer on one dashboard; catching up from the "
                    "database", lost)
        await self.send_json({"type": "gap", "lost": lost, "total_lost": self.gaps})
        await self.catch_up(noticed_at - dt.timedelta(seconds=GAP_GRACE_SECONDS + 5))

    # --- who may see what ---------------------------------------------------------------------

    async def recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_RECHECK_SECONDS)
            session = self.scope.get("session")
            signed_in = await database_sync_to_async(dashboard.still_signed_in)(
                user=self.user, session_key=getattr(session, "session_key", None))
            if not signed_in:
                await self.close(code=4401)
                return
            await self.refresh_scope(announce=True)
            await self.send_json({"type": "heartbeat", "at": _iso(_now())})

    async def refresh_scope(self, *, announce: bool) -> None:
        teams, visible = await database_sync_to_async(dashboard.live_scope)(user=self.user)
        for team in teams - self.teams:
            await self.channel_layer.group_add(team_group(team), self.channel_name)
        for team in self.teams - teams:
            await self.channel_layer.group_discard(team_group(team), self.channel_name)
        added, removed = visible - self.visible, self.visible - visible
        self.teams, self.visible = teams, visible
        if not announce:
            return
        for patient_id in sorted(removed):
            await self.send_json({"type": "patient", "event": "removed", "patient": patient_id})
        if added:
            tiles = await database_sync_to_async(dashboard.census)(user=self.user, now=_now(), patient_ids=added)
            for tile in tiles:
                await self.send_json({"type": "patient", "event": "added", "patient": tile["id"], "tile": tile})

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=orjson.dumps(content).decode())
