"""WebSocket URL routes (the live dashboard adds its consumer here)."""

websocket_urlpatterns: list = []
