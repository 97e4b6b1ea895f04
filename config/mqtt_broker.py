"""The embedded MQTT broker (amqtt) that `make run` starts when MQTT_URL is unset: 127.0.0.1, port
EMBEDDED_MQTT_PORT (21883), anonymous, in the foreground (honcho's `broker` process).

    python -m config.mqtt_broker [--port PORT]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from amqtt.broker import Broker

from config import embedded


def config(port: int) -> dict:
    return {"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}}


async def serve(port: int) -> None:
    broker = Broker(config(port))
    await broker.start()
    print(f"Embedded MQTT broker (amqtt) on mqtt://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await broker.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=embedded.MQTT_PORT)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
