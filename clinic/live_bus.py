"""Where the live push travels: Redis pub/sub on one Redis server, or on a Redis Cluster (LIVE_REDIS_CLUSTER).

One server: PUBLISH and SUBSCRIBE. A cluster of Redis 7 or later: sharded pub/sub (SPUBLISH and SSUBSCRIBE), so a
group's messages go only to the shard that owns its channel's hash slot, and each server process subscribes on the
shards that own its groups, instead of every node carrying every message. Redis 6 clusters have no sharded pub/sub;
there a PUBLISH is broadcast over the cluster bus to every node, and one node serves every subscription. The groups'
sequence counters are ordinary keys, which the cluster client routes by slot.

    Publisher(url, cluster=...)     sync, per process: reserve(counts) -> {key: last}, publish([(channel, data)])
    Subscriber(url, on_message, cluster=...)    async, per event loop: await add(channel), await remove(channel)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import redis
import redis.asyncio
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

log = logging.getLogger(__name__)


def _sharded(info: dict) -> bool:
    """Sharded pub/sub came with Redis 7.0."""
    return int(str(info["redis_version"]).split(".")[0]) >= 7


class Publisher:
    def __init__(self, url: str, *, cluster: bool) -> None:
        options = {"socket_timeout": 1, "socket_connect_timeout": 0.5}
        self.cluster = redis.RedisCluster.from_url(url, **options) if cluster else None
        self.redis = None if cluster else redis.Redis.from_url(url, **options)
        self.sharded = cluster and _sharded(self.cluster.get_default_node().redis_connection.info("server"))

    def reserve(self, counts: dict[str, int]) -> dict[str, int]:
        """INCRBY each counter key by its count in one round trip (per shard); answers the keys' new values."""
        pipe = (self.cluster or self.redis).pipeline(transaction=False)
        for key, n in counts.items():
            pipe.incrby(key, n)
        return dict(zip(counts, pipe.execute(), strict=True))

    def publish(self, messages: list[tuple[str, bytes]]) -> None:
        if self.cluster is None:
            self._send(self.redis, "publish", messages)
        elif not self.sharded:  # any node: the cluster bus broadcasts it
            self._send(self.cluster.get_default_node().redis_connection, "publish", messages)
        else:
            try:
                self._send_by_shard(messages)
            except (redis.ConnectionError, redis.ResponseError):  # a failover or a moved slot: learn the map again
                self.cluster.nodes_manager.initialize()
                self._send_by_shard(messages)

    def _send_by_shard(self, messages: list[tuple[str, bytes]]) -> None:
        by_node: dict[str, tuple[redis.Redis, list[tuple[str, bytes]]]] = {}
        for channel, data in messages:
            node = self.cluster.get_node_from_key(channel)
            by_node.setdefault(node.name, (node.redis_connection, []))[1].append((channel, data))
        for client, own in by_node.values():
            self._send(client, "spublish", own)

    @staticmethod
    def _send(client: redis.Redis, command: str, messages: list[tuple[str, bytes]]) -> None:
        pipe = client.pipeline(transaction=False)
        for channel, data in messages:
            getattr(pipe, command)(channel, data)
        pipe.execute()


class Subscriber:
    """This event loop's subscriptions; `on_message(data: bytes)` is called for every message of every channel."""

    def __init__(self, url: str, on_message: Callable[[bytes], None], *, cluster: bool) -> None:
        self.url = url
        self.on_message = on_message
        self.cluster: AsyncRedisCluster | None = AsyncRedisCluster.from_url(url) if cluster else None
        self.sharded: bool | None = None if cluster else False
        self.pubsubs: dict[str, redis.asyncio.client.PubSub] = {}  # one per node ("" on one server)
        self.readers: dict[str, asyncio.Task] = {}
        self.home: dict[str, str] = {}  # channel -> the node it is subscribed on
        # redis-py's PubSub does not take concurrent (un)subscribe commands: sockets connecting at once queue here
        self.lock = asyncio.Lock()

    async def add(self, channel: str) -> None:
        async with self.lock:
            if self.sharded is None:
                await self.cluster.initialize()
                self.sharded = _sharded(await self.cluster.get_default_node().execute_command("INFO", "server"))
            node = await self._node_for(channel)
            pubsub = self._pubsub(node)
            await (pubsub.ssubscribe if self.sharded else pubsub.subscribe)(channel)
            self.home[channel] = node[0]

    async def remove(self, channel: str) -> None:
        async with self.lock:
            name = self.home.pop(channel, None)
            if name is not None and name in self.pubsubs:
                pubsub = self.pubsubs[name]
                await (pubsub.sunsubscribe if self.sharded else pubsub.unsubscribe)(channel)

    async def _node_for(self, channel: str) -> tuple[str, str, int]:
        if self.cluster is None:
            return ("", "", 0)
        node = self.cluster.get_node_from_key(channel) if self.sharded else self.cluster.get_default_node()
        return (node.name, node.host, node.port)

    def _pubsub(self, node: tuple[str, str, int]) -> redis.asyncio.client.PubSub:
        name, host, port = node
        if name not in self.pubsubs:
            client = redis.asyncio.Redis(host=host, port=port) if name else redis.asyncio.Redis.from_url(self.url)
            self.pubsubs[name] = client.pubsub()
            self.readers[name] = asyncio.ensure_future(self._read(name))
        return self.pubsubs[name]

    async def _read(self, name: str) -> None:
        pubsub = self.pubsubs[name]
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: redis-py resubscribes; sockets fill the gap from the DB
                log.warning("live push: reading from Redis %s failed: %r", name or "server", exc)
                await asyncio.sleep(1)
                if self.cluster is not None:
                    await self._rehome()
                continue
            if message is None:
                if not pubsub.subscribed:
                    await asyncio.sleep(0.1)
                continue
            kind = message["type"]
            if kind in ("message", "smessage"):
                self.on_message(message["data"])
            elif kind == "sunsubscribe" and message["channel"].decode() in self.home:
                await self._rehome()  # the server dropped a channel we still want: its slot moved

    async def _rehome(self) -> None:
        """Learn the cluster's map again and move each channel whose owner changed (failover, resharding)."""
        try:
            await self.cluster.initialize()
        except Exception as exc:
            log.warning("live push: the Redis Cluster map could not be read: %r", exc)
            return
        async with self.lock:
            for channel, name in list(self.home.items()):
                node = await self._node_for(channel)
                if node[0] != name:
                    old = self.pubsubs.get(name)
                    if old is not None:
                        try:
                            await (old.sunsubscribe if self.sharded else old.unsubscribe)(channel)
                        except Exception:  # the old owner is gone: nothing to leave
                            pass
                    pubsub = self._pubsub(node)
                    await (pubsub.ssubscribe if self.sharded else pubsub.subscribe)(channel)
                    self.home[channel] = node[0]
