"""Loopback port checks shared by the embedded services, the tests and the benchmarks."""

from __future__ import annotations

import socket
import time


def port_open(port: int) -> bool:
    """Is something accepting connections on 127.0.0.1:port?"""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")
