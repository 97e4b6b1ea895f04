"""Session authentication for WebSockets that does not queue sockets behind each other.

Channels' AuthMiddleware loads the session and the user on the one thread that thread-sensitive sync code shares, so
a thousand dashboards connecting at once (every browser reconnecting after a deploy) are authenticated one at a
time. These are independent reads: here they run on the dashboard sockets' read pool (clinic.socket_reads).
"""

from __future__ import annotations

from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware

from clinic.socket_reads import read_concurrently

_load_user = read_concurrently(get_user.func)


class ConcurrentAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope) -> None:
        scope["user"]._wrapped = await _load_user(scope)


def ConcurrentAuthMiddlewareStack(inner):  # noqa: N802 (named like Channels' AuthMiddlewareStack)
    return CookieMiddleware(SessionMiddleware(ConcurrentAuthMiddleware(inner)))
