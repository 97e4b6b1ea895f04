"""The MLLP listener: HL7 v2 messages framed 0x0B ... 0x1C 0x0D over TCP (python-hl7's MLLP streams), each
answered with its ACK on the same connection, in order. Parsing and storing run in worker threads (the ORM is
synchronous); many gateways may be connected at once."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from devices.hl7 import oru

log = logging.getLogger(__name__)
WORKERS = 4


def _handle(block: bytes) -> bytes:
    try:
        return oru.handle(block).encode()
    except Exception:  # a bug must not kill the listener; the gateway is told and will resend
        log.exception("HL7 message could not be handled")
        return oru.acknowledge(None, "AE", [oru.Error("MSH", 1, 1, "server error; it has been logged")]).encode()
    finally:
        close_old_connections()  # back to the pool between messages


async def _connection(reader, writer, executor: ThreadPoolExecutor) -> None:
    loop = asyncio.get_running_loop()
    peer = writer.get_extra_info("peername")
    try:
        while True:
            try:
                block = await reader.readblock()
            except InvalidBlockError:
                answer = oru.acknowledge(None, "AR", [oru.Error("MSH", 1, 1, "not MLLP framed: a message starts "
                                                                             "with 0x0B and ends with 0x1C 0x0D",
                                                                "100")]).encode()
            except ValueError:  # over the size limit
                answer = oru.acknowledge(None, "AR", [oru.Error("MSH", 1, 1, "message larger than "
                                                                             f"{settings.INGEST_MAX_BODY_BYTES} bytes",
                                                                "100")]).encode()
            else:
                answer = await loop.run_in_executor(executor, _handle, block)
            writer.writeblock(answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the gateway hung up
    finally:
        writer.close()
        log.debug("MLLP connection from %s closed", peer)


async def serve(*, bind: str, port: int, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Listen until `stop` is set (or forever)."""
    executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hl7")
    server = await start_hl7_server(lambda r, w: _connection(r, w, executor), bind, port,
                                    limit=settings.INGEST_MAX_BODY_BYTES, encoding="utf-8")
    if ready is not None:
        ready.set()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        server.close()
        await server.wait_closed()
        executor.shutdown(wait=True)
