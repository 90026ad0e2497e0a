#!/usr/bin/env python3
"""Simulate N SmartREST devices against an MQTT broker and report rows/s.

Each device is its own MQTT connection (ClientId ``d:<prefix>-<n>``).  It
runs the startup phase (device and child creation, subscriptions), then
publishes measurement, alarm and event rows with
:func:`smartrest.mqtt.publish_rows`, which packs them into publishes of at
most 16184 bytes.  With ``--verify`` a sink subscribes to ``s/us`` and
counts the rows it decodes, so the report covers the way back too.

Against a local broker (``mosquitto -p 1883``)::

    python examples/simulator.py --devices 20 --rows 5000 --qos 1 --verify

Needs ``pip install smartrest[mqtt]``.  Against Cumulocity itself, pass
``--host``, ``--port 8883 --tls`` and ``--user``/``--password`` of a
device; the rows then create real data.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from typing import Any, List, Optional

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

import smartrest
from smartrest.mqtt import publish_rows, startup


def device_rows(rng: random.Random, count: int) -> List[List[Any]]:
    rows: List[List[Any]] = []
    for i in range(count):
        kind = rng.random()
        if kind < 0.6:
            rows.append(["200", "c8y_Temperature", "T", round(rng.uniform(-20, 60), 2), "C"])
        elif kind < 0.8:
            rows.append(["211", round(rng.uniform(-20, 60), 1)])
        elif kind < 0.9:
            rows.append(["400", "c8y_DoorEvent", f'door "{rng.choice("AB")}" opened, count {i}'])
        else:
            rows.append(["302", "c8y_Overheat", f"temperature high\nreading {i}"])
    return rows


def connect(args: argparse.Namespace, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    if args.user:
        client.username_pw_set(args.user, args.password)
    if args.tls:
        client.tls_set()
    connected = threading.Event()
    client.on_connect = lambda c, u, flags, rc, props: connected.set() if not rc.is_failure else None
    client.connect(args.host, args.port, keepalive=60)
    client.loop_start()
    if not connected.wait(args.timeout):
        client.loop_stop()
        raise ConnectionError(f"{client_id}: no successful CONNACK from {args.host}:{args.port}")
    return client


class Sink:
    """Counts the data rows arriving on ``s/us`` (not the creation rows)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.rows = 0
        self.errors = 0
        self.lock = threading.Condition()
        self.client = connect(args, "smartrest-simulator-sink")
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self.on_message
        self.client.subscribe("s/us", qos=args.qos)
        if not subscribed.wait(args.timeout):
            raise ConnectionError("the sink could not subscribe to s/us")

    def on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            rows = smartrest.decode(message.payload, topic=message.topic, qos=message.qos)
            count = sum(row[0] not in ("100", "101") for row in rows)
        except smartrest.SmartRestError:
            count, errors = 0, 1
        else:
            errors = 0
        with self.lock:
            self.rows += count
            self.errors += errors
            self.lock.notify_all()

    def wait_for(self, rows: int, timeout: float) -> None:
        with self.lock:
            self.lock.wait_for(lambda: self.rows >= rows, timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Device(threading.Thread):
    def __init__(self, args: argparse.Namespace, index: int, start: threading.Barrier) -> None:
        super().__init__(name=f"device-{index}", daemon=True)
        self.args = args
        self.serial = f"{args.prefix}-{index:04d}"
        self.rows = device_rows(random.Random(args.seed + index), args.rows)
        self.start_barrier = start
        self.publishes = 0
        self.error: Optional[BaseException] = None
        self.client: Optional[mqtt.Client] = None

    def run(self) -> None:
        try:
            self.client = connect(self.args, f"d:{self.serial}")
            for info in startup(self.client, f"Simulated {self.serial}", "c8y_Simulated",
                                children=[f"{self.serial}-door"]):
                info.wait_for_publish(self.args.timeout)
            self.start_barrier.wait(self.args.timeout)
            infos = []
            for first in range(0, len(self.rows), self.args.batch):
                batch = self.rows[first:first + self.args.batch]
                infos += publish_rows(self.client, batch, qos=self.args.qos)
            for info in infos:
                info.wait_for_publish(self.args.timeout)
            self.publishes = len(infos)
        except BaseException as exc:  # reported by main()
            self.error = exc
            self.start_barrier.abort()

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--user", help="MQTT user name, <tenantID>/<username>")
    parser.add_argument("--password", help="MQTT password")
    parser.add_argument("--devices", type=int, default=10, help="simulated devices (default 10)")
    parser.add_argument("--rows", type=int, default=1000, help="rows per device (default 1000)")
    parser.add_argument("--batch", type=int, default=500,
                        help="rows handed to publish_rows at once (default 500)")
    parser.add_argument("--qos", type=int, choices=(0, 1, 2), default=0, help="QoS (default 0)")
    parser.add_argument("--prefix", default="sim", help="serial prefix (default 'sim')")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the broker (default 30)")
    parser.add_argument("--verify", action="store_true",
                        help="subscribe to s/us and count the rows that arrive")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.rows < 0 or args.batch < 1:
        parser.error("--devices and --batch must be positive, --rows not negative")

    try:
        sink = Sink(args) if args.verify else None
    except (OSError, ConnectionError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 1
    barrier = threading.Barrier(args.devices + 1)
    devices = [Device(args, i, barrier) for i in range(args.devices)]
    for device in devices:
        device.start()
    try:
        barrier.wait(args.timeout)
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for device in devices:
        device.join()
    elapsed = time.perf_counter() - started
    expected = args.devices * args.rows
    if sink is not None:
        sink.wait_for(expected, args.timeout)
        received_at = time.perf_counter() - started
    for device in devices:
        device.close()
    if sink is not None:
        sink.close()

    failed = [d for d in devices if d.error is not None]
    for device in failed:
        print(f"simulator: {device.serial}: {device.error!r}", file=sys.stderr)
    if failed:
        return 1
    publishes = sum(d.publishes for d in devices)
    print(f"{args.devices} devices, {expected} rows in {publishes} publishes at QoS {args.qos}"
          f" ({smartrest.IMPLEMENTATION} codec)")
    print(f"sent in {elapsed:.3f} s: {expected / elapsed:,.0f} rows/s")
    if sink is not None:
        print(f"received {sink.rows} of {expected} rows in {received_at:.3f} s: "
              f"{sink.rows / received_at:,.0f} rows/s ({sink.errors} undecodable publishes)")
        if sink.rows != expected or sink.errors:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
