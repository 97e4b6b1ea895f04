"""`python manage.py mllp_listener`: the HL7 v2 MLLP listener process (in the Procfile, started by `make run`)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from devices.hl7.listener import serve


class Command(BaseCommand):
    help = "Listen for HL7 v2 ORU^R01 messages over MLLP and answer each with an ACK."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.MLLP_BIND)
        parser.add_argument("--port", type=int, default=settings.MLLP_PORT)

    def handle(self, *args, bind: str, port: int, **options):
        asyncio.run(self._run(bind, port))

    async def _run(self, bind: str, port: int) -> None:
        stop, ready = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        task = asyncio.create_task(serve(bind=bind, port=port, ready=ready, stop=stop))
        await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            self.stdout.write(f"HL7 v2 MLLP listener on {bind}:{port}", ending="\n")
            self.stdout.flush()
        await task
