"""The smartrest mosquitto plugin (mosquitto-plugin/) for tests and benchmarks:
building it, a broker config that loads it, and a paho client that keeps
what it receives."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "mosquitto-plugin"
#: The headers the plugin is compiled against (Debian: mosquitto-dev, libmosquitto-dev).
HEADERS = ("/usr/include/mosquitto_plugin.h", "/usr/include/mosquitto_broker.h",
           "/usr/include/mosquitto.h")
WAIT = 20.0


def missing_headers() -> List[str]:
    """The mosquitto headers that are not installed."""
    return [h for h in HEADERS if not os.path.exists(h)]


def build_plugin() -> Path:
    """Build the plugin with ``make -C mosquitto-plugin`` (a no-op when it is
    up to date) and return the path of the shared object.

    Raises:
        RuntimeError: the build failed (the message holds its output).
    """
    done = subprocess.run(["make", "-C", str(PLUGIN_DIR), f"PYTHON={sys.executable}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"make -C mosquitto-plugin failed:\n{done.stdout}{done.stderr}")
    return PLUGIN_DIR / "build" / "smartrest_plugin.so"


def plugin_config(path: Path, **options: str) -> str:
    """The mosquitto.conf lines that load the plugin with ``options``
    (``plugin_opt_<name> <value>``)."""
    return f"plugin {path}\n" + "".join(f"plugin_opt_{k} {v}\n" for k, v in options.items())


class Client:
    """A paho client (MQTT 3.1.1) with its network loop running, connected
    to the broker, that keeps every message it receives."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        import paho.mqtt.client as mqtt

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.received: List[Tuple[str, bytes]] = []
        self.disconnects = 0
        self.cond = threading.Condition()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self._connected.set()
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not self._connected.wait(WAIT):
            raise RuntimeError("no CONNACK")

    def _on_disconnect(self, *args: Any) -> None:
        self.disconnects += 1

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self.cond:
            self.received.append((message.topic, bytes(message.payload)))
            self.cond.notify_all()

    def subscribe(self, topic: str, qos: int = 1) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos)
        if not self._subscribed.wait(WAIT):
            raise RuntimeError("no SUBACK")

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> Any:
        return self.client.publish(topic, payload, qos)

    def wait_for(self, count: int, timeout: float = WAIT) -> bool:
        """Whether ``count`` messages arrived within ``timeout`` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.received) >= count, timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_published(infos: List[Any], timeout: Optional[float] = WAIT) -> None:
    """Wait until every publish of ``infos`` (paho MQTTMessageInfo) is acknowledged."""
    for info in infos:
        info.wait_for_publish(timeout)
