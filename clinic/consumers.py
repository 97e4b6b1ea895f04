"""The live dashboard's WebSocket: /ws/dashboard/.

A signed-in clinician's socket joins one group per care team it may see (ward-sized, through
this process's LiveHub, see clinic.live) and nothing else. It relays the events of visible patients
(the hub coalesces bursts into one frame per group per `LIVE_COALESCE_MS`), answers a `resume` with what the
browser missed (from the database), and re-checks the user's care teams every
`LIVE_RECHECK_SECONDS`, so a removal takes effect without a reload (and then refreshes the
NEWS2 of the patients that had news, as the alert engine computes it).

Client -> server: {"type": "resume", "since": "<ISO time of the last event seen>"}
Server -> client: {"type": "hello"|"reading"|"alert"|"patient"|"batch"|"resync"|"heartbeat", ...}
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from alerts import readiness
from clinic import dashboard
from clinic.live import Frame, LiveHub, team_group
from clinic.socket_reads import read_concurrently
from rpm import audit, sessions
from rpm.models import AuditEvent

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
        self.last_seq: dict[str, int] = {}
        self.missing: dict[str, dict[int, dt.datetime]] = {}
        self.gap_check: asyncio.Handle | None = None
        self.gaps = 0
        self.touched: set[int] = set()  # patients with news since the last re-check: their NEWS2 is refreshed
        self.hub = LiveHub.for_this_loop()
        # live frames go straight to the server (config.asgi.WithRawSend); everything else through Channels
        self.raw_send = self.scope.get("raw_send") or self.base_send
        headers = dict(self.scope.get("headers") or [])
        audit.set_origin(ip=(self.scope.get("client") or [None])[0],
                         user_agent=headers.get(b"user-agent", b"").decode("latin-1"))
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        # sign-out (this session) and deactivation (this user) close the socket at once, over the channel layer
        self.session_groups = [sessions.user_group(user.pk)] + (
            [sessions.session_group(self.session_key)] if self.session_key else [])
        for group in self.session_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.expiry_watch = asyncio.ensure_future(self.watch_expiry())
        await self.refresh_scope(announce=False)
        await self.audit("dashboard.live", self.visible)
        await self.send_json({"type": "hello", "at": _iso(_now()), "patients": sorted(self.visible),
                              "recheck_seconds": settings.LIVE_RECHECK_SECONDS})
        self.recheck = asyncio.ensure_future(self.recheck_loop())

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        for task in (getattr(self, "recheck", None), getattr(self, "expiry_watch", None)):
            if task is not None:
                task.cancel()
        for group in getattr(self, "session_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.gap_check is not None:
            self.gap_check.cancel()
        for team in self.teams:
            await self.hub.leave(team_group(team), self)

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
        events = await read_concurrently(dashboard.missed_events)(user=self.user, since=since, now=_now())
        if events is None:
            await self.send_json({"type": "resync", "reason": "disconnected for longer than the catch-up window"})
            return
        if events:
            await self.audit("dashboard.catch_up", {event["patient"] for event in events})
        # sent even when nothing was missed: the client knows its catch-up is complete
        await self.send_json({"type": "batch", "catch_up": True, "events": events})

    # --- events from the hub --------------------------------------------------------------------

    def deliver(self, frame: Frame) -> None:
        for head, _ in frame.messages:
            self.track_sequence(head["group"], head["seq"])
        text = frame.text_for(self.visible)
        if text is None:
            return
        self.touched |= frame.patients & self.visible
        asyncio.ensure_future(self.raw_send({"type": "websocket.send", "text": text}))

    def track_sequence(self, group: str, seq: int) -> None:
        """Notice a message the layer lost: pub/sub drops silently when a subscriber falls behind."""
        last = self.last_seq.get(group)
        missing = self.missing.setdefault(group, {})
        missing.pop(seq, None)
        if last is not None and seq > last + 1:
            noticed_at = _now()
            missing.update(dict.fromkeys(range(last + 1, seq), noticed_at))
            self.schedule_gap_check(GAP_GRACE_SECONDS)
        self.last_seq[group] = seq if last is None else max(last, seq)

    def schedule_gap_check(self, delay: float) -> None:
        if self.gap_check is None:
            self.gap_check = asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(self.fill_gaps()))

    async def fill_gaps(self) -> None:
        """Count as lost what is still missing a grace period after it was noticed (publishers in several
        processes can deliver out of order), and send the browser what it missed, from the database."""
        self.gap_check = None
        now, grace = _now(), dt.timedelta(seconds=GAP_GRACE_SECONDS)
        overdue = [(group, seq, at) for group, missing in self.missing.items() for seq, at in missing.items()
                   if now - at >= grace]
        for group, seq, _ in overdue:
            del self.missing[group][seq]
        pending = [at for missing in self.missing.values() for at in missing.values()]
        if pending:
            self.schedule_gap_check(max(0.05, (min(pending) + grace - now).total_seconds()))
        if not overdue:
            return
        self.gaps += len(overdue)
        log.warning("live push: %d message(s) lost on the way to one dashboard; catching up from the database",
                    len(overdue))
        await self.send_json({"type": "gap", "lost": len(overdue), "total_lost": self.gaps})
        await self.catch_up(min(at for _, _, at in overdue) - grace - dt.timedelta(seconds=5))

    # --- the session's end ---------------------------------------------------------------------

    async def watch_expiry(self) -> None:
        """Close when the session's expiry date passes: it slides with the user's page activity, so it is
        re-read when reached, and closed if it has not moved on (rpm.sessions)."""
        while True:
            expiry = await read_concurrently(sessions.session_expiry)(self.session_key)
            if expiry is None:
                await self.close(code=4401)
                return
            await asyncio.sleep(max(0.0, (expiry - _now()).total_seconds()) + 0.25)

    async def session_end(self, event: dict) -> None:
        await self.close(code=4401)

    # --- who may see what ---------------------------------------------------------------------

    async def recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_RECHECK_SECONDS)
            session = self.scope.get("session")
            signed_in = await read_concurrently(dashboard.still_signed_in)(
                user=self.user, session_key=getattr(session, "session_key", None))
            if not signed_in:
                await self.close(code=4401)
                return
            await self.refresh_scope(announce=True)
            await self.refresh_news2()
            delayed = await read_concurrently(readiness.alerts_delayed)()
            await self.send_json({"type": "heartbeat", "at": _iso(_now()), "alerts_delayed": delayed})

    async def refresh_news2(self) -> None:
        touched, self.touched = self.touched, set()
        if not touched:
            return
        scores = await read_concurrently(dashboard.news2_scores)(user=self.user, patient_ids=touched, now=_now())
        events = [{"type": "patient", "event": "news2", "patient": pid, "news2": score}
                  for pid, score in scores.items()]
        await self.send_json({"type": "batch", "events": events})

    async def refresh_scope(self, *, announce: bool) -> None:
        teams, visible = await read_concurrently(dashboard.live_scope)(user=self.user)
        for team in teams - self.teams:
            await self.hub.join(team_group(team), self)
        for team in self.teams - teams:
            await self.hub.leave(team_group(team), self)
        added, removed = visible - self.visible, self.visible - visible
        self.teams, self.visible = teams, visible
        if not announce:
            return
        for patient_id in sorted(removed):
            await self.send_json({"type": "patient", "event": "removed", "patient": patient_id})
        if added:
            tiles = await read_concurrently(dashboard.census)(user=self.user, now=_now(), patient_ids=added)
            await self.audit("dashboard.census", {tile["id"] for tile in tiles})
            for tile in tiles:
                await self.send_json({"type": "patient", "event": "added", "patient": tile["id"], "tile": tile})

    async def audit(self, verb: str, patient_ids: set[int]) -> None:
        """A row per patient whose data this socket is about to stream (or has just sent from the database)."""
        await read_concurrently(audit.record_many)(actor=self.user, action=AuditEvent.Action.VIEW, verb=verb,
                                                   patient_ids=patient_ids)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=orjson.dumps(content).decode())
