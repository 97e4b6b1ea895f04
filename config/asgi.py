"""HTTP and WebSocket routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.websocket_auth import ConcurrentAuthMiddlewareStack  # noqa: E402
from config.websocket_routes import websocket_urlpatterns  # noqa: E402
from devices.device_asgi import DeviceReadings  # noqa: E402


class WithRawSend:
    """Keeps the server's own `send` in the scope (`raw_send`) for the dashboards' live frames: Channels' session
    wrapper, which acts only on the accept, cost a quarter of a web process's CPU in the fan-out (bench/live.py)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        return await self.inner({**scope, "raw_send": send}, receive, send)


application = ProtocolTypeRouter(
    {
        # the device ingest path skips Django's request stack and commits concurrent posts together
        "http": DeviceReadings(fallback=django_asgi_app),
        "websocket": WithRawSend(
            AllowedHostsOriginValidator(ConcurrentAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
