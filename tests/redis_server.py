"""A real redis-server on a free 127.0.0.1 port with its own temporary folder, for the tests.

When ``redis-server`` is not installed the tests that need it are skipped on a
developer's machine and fail in CI (``CI=true``), where it must be installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
READY_POLL_SECONDS = 0.05
PORT_ATTEMPTS = 5
MISSING = "redis-server is not installed (Debian: apt-get install redis-server)"


def redis_server_binary() -> str:
    """The redis-server to start; skip (locally) or fail (CI=true) when there is none."""
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process: loopback only, no persistence, stopped by :meth:`stop`."""

    def __init__(self, folder: Path) -> None:
        binary = redis_server_binary()
        for _ in range(PORT_ATTEMPTS):  # another process may take the free port before redis binds it
            self.port = _free_port()
            self.process = subprocess.Popen(
                [binary, "--bind", LOOPBACK, "--port", str(self.port), "--dir", str(folder),
                 "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return
            self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def _wait_ready(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    time.sleep(READY_POLL_SECONDS)  # polls readiness; orders nothing
            return False
        finally:
            client.close()

    def flush(self) -> None:
        """Empty every database, so each test starts clean."""
        with redis.Redis(host=LOOPBACK, port=self.port) as client:
            client.flushall()

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
