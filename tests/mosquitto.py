"""A real mosquitto broker on a free loopback port, for the MQTT tests.

The broker enforces the 16184-byte packet limit: mosquitto 2.0 counts a
packet without its fixed header's 2-byte remaining length field (for the
sizes that matter here), so ``max_packet_size 16182`` refuses exactly the
packets larger than 16184 bytes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from smartrest import LIMIT

MAX_PACKET_SIZE = LIMIT - 2


def mosquitto_binary() -> Optional[str]:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    def __init__(self, binary: str, workdir: Path, extra_config: str = "") -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.config = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        self.config.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            f"max_packet_size {MAX_PACKET_SIZE}\n"
            "persistence false\n"
            # Thousands of QoS 1/2 publishes may be queued for a subscriber.
            "max_queued_messages 0\n"
            + extra_config
        )
        self._logfile = open(self.log, "wb")
        self.process = subprocess.Popen(
            [binary, "-c", str(self.config), "-v"],
            stdout=self._logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}:\n"
                                   + self.log.read_text(errors="replace"))
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not accept connections on port {self.port}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._logfile.close()


def broker_fixture() -> Iterator[Broker]:
    """Start a broker, yield it, stop it (the body of a pytest fixture).

    Without a mosquitto binary the tests are skipped, except under CI
    (environment variable ``CI`` set), where that is a failure.
    """
    binary = mosquitto_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed (CI requires the MQTT tests)")
        pytest.skip("mosquitto is not installed")
    with tempfile.TemporaryDirectory(prefix="smartrest-mosquitto-") as workdir:
        broker = Broker(binary, Path(workdir))
        try:
            broker.wait_ready()
            yield broker
        finally:
            broker.stop()
