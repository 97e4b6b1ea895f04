"""One web process: uvicorn serving config.asgi on a socket bound with SO_REUSEPORT.

    python -m config.web [--host 127.0.0.1] [--port 8000]

Several of these may listen on one port (`make run` with WEB_PROCESSES=N starts N); the kernel spreads new
connections over them, and each is an ordinary process that a process manager starts, stops and restarts alone.
The uvicorn settings live here once, for the Procfile, the tests and the benches.
"""

from __future__ import annotations

import argparse
import gc
import os
import socket

import uvicorn

# A connect storm (every dashboard reconnecting after a deploy) arrives faster than a process accepts: the kernel
# queue must hold it (uvicorn's default is 2,048; the kernel caps it at net.core.somaxconn).
BACKLOG = int(os.environ.get("WEB_BACKLOG", "4096"))
# permessage-deflate costs a compression per frame per socket; dashboard frames are small JSON, so with a thousand
# sockets it is the largest CPU cost of the fan-out and saves little bandwidth.
WS_PER_MESSAGE_DEFLATE = os.environ.get("WEB_WS_DEFLATE", "0") == "1"
# a line per request; the proxy in front keeps its own (config.settings turns the logger on to match)
ACCESS_LOG = os.environ.get("WEB_ACCESS_LOG", "0") == "1"


def config(*, host: str, port: int, app="config.asgi:application") -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, loop="uvloop", http="httptools", ws="websockets-sansio",
        lifespan="off", access_log=ACCESS_LOG, backlog=BACKLOG, ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
        ws_ping_interval=20.0, ws_ping_timeout=20.0, timeout_graceful_shutdown=10,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket that other processes may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("RPM_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RPM_WEB_PORT", "8000")))
    parser.add_argument("--app", default="config.asgi:application", help=argparse.SUPPRESS)  # bench's bare app
    args = parser.parse_args()
    settings = config(host=args.host, port=args.port, app=args.app)
    settings.load()  # Django and every module, before the freeze below
    # A full collection walks every tracked object, and a loaded Django holds hundreds of thousands that live as
    # long as the process: each full collection stalled every request for 50 to 100 ms (bench/ingest.py's open
    # loop, p99). Frozen, they are not walked again; what requests leave behind is collected as before.
    gc.collect()
    gc.freeze()
    uvicorn.Server(settings).run(sockets=[bind(args.host, args.port)])


if __name__ == "__main__":
    main()
