"""The bare baseline for bench/ingest.py: an ASGI app that reads a post and answers 201 with a fixed body, no
Django, no database. What the HTTP server alone costs per request, on the same server and processes."""

BODY = b'{"status":"created","id":1}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
