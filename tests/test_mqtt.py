"""End-to-end tests of :mod:`smartrest.mqtt` against a real mosquitto broker."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

mqtt = pytest.importorskip("paho.mqtt.client")

from mosquitto import Broker, broker_fixture  # noqa: E402

import smartrest  # noqa: E402
from smartrest import LIMIT, custom, packet_size, templates  # noqa: E402
from smartrest import mqtt as sr_mqtt  # noqa: E402

pytestmark = pytest.mark.mqtt

ROOT = Path(__file__).resolve().parents[1]
WAIT = 20.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    yield from broker_fixture()


class Connection:
    """A paho client with its network loop running, connected to the broker."""

    def __init__(self, broker: Broker, client_id: str = "",
                 protocol: Any = None) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=protocol or mqtt.MQTTv311)
        self.connected = threading.Event()
        self.disconnects: List[str] = []
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.set()
        self.client.on_disconnect = lambda c, u, f, rc, p: self.disconnects.append(str(rc))
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.connected.wait(WAIT), "no CONNACK"

    def subscribe(self, topics: List[Tuple[str, int]]) -> None:
        self.subscribed.clear()
        self.client.subscribe(topics)
        assert self.subscribed.wait(WAIT), "no SUBACK"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def connect(broker: Broker) -> Iterator[Callable[..., Connection]]:
    opened: List[Connection] = []

    def open_(client_id: str = "", protocol: Any = None) -> Connection:
        connection = Connection(broker, client_id, protocol)
        opened.append(connection)
        return connection

    yield open_
    for connection in opened:
        connection.close()


class Collector:
    """Receives decoded messages through :class:`smartrest.mqtt.MessageHandler`."""

    def __init__(self, messages: bool = True) -> None:
        self.messages = messages
        self.received: List[sr_mqtt.Received] = []
        self.rows: List[Tuple[str, List[List[str]]]] = []
        self.errors: List[Tuple[str, Exception]] = []
        self.lock = threading.Condition()
        self.handler = sr_mqtt.MessageHandler(self._on_received, on_error=self._on_error)

    def on_message(self, client: Any, userdata: Any, message: Any) -> None:
        """Keep the plain rows too, then decode through the handler."""
        with self.lock:
            self.rows.append((message.topic, smartrest.decode(message.payload, limit=None)))
            self.lock.notify_all()
        if self.messages:
            self.handler(client, userdata, message)

    def _on_received(self, received: sr_mqtt.Received) -> None:
        with self.lock:
            self.received.append(received)
            self.lock.notify_all()

    def _on_error(self, topic: str, error: Exception) -> None:
        with self.lock:
            self.errors.append((topic, error))
            self.lock.notify_all()

    def count(self) -> int:
        with self.lock:
            if self.messages:
                return sum(len(r.messages) for r in self.received)
            return sum(len(rows) for _, rows in self.rows)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: predicate() or bool(self.errors), timeout)


# --------------------------------------------------------------- the corpus

_WORDS = ["temp", "c8y_Temperature", "T", "C", "major", "door open", "übertemperatur",
          "温度", "x,y", 'say "hi"', "line one\nline two", " padded ", "back\\slash",
          "tab\there", "ends with backslash\\", "crlf\r\nin value", ""]


def corpus(count: int, seed: int) -> List[List[str]]:
    """Deterministic static-template rows with every kind of quoting."""
    rng = random.Random(seed)
    rows: List[List[str]] = []
    for i in range(count):
        kind = rng.randrange(5)
        time_ = f"2024-05-{1 + i % 28:02d}T12:{i % 60:02d}:{rng.randrange(60):02d}.000+02:00"
        if kind == 0:
            rows.append(["200", "c8y_Temperature", "T", f"{rng.uniform(-40, 90):.3f}", "C", time_])
        elif kind == 1:
            rows.append(["211", str(rng.randrange(-40, 90))])
        elif kind == 2:
            rows.append([rng.choice(["301", "302", "303", "304"]), "c8y_" + rng.choice(_WORDS[:3]),
                         " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 6))), time_])
        elif kind == 3:
            rows.append(["400", "c8y_Event", rng.choice(_WORDS) + f" #{i}"])
        else:
            rows.append(["503", "c8y_Command",
                         "\n".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 4)))])
    return rows


def rows_by_topic(received: List[Tuple[str, List[List[str]]]]) -> Dict[str, List[List[str]]]:
    out: Dict[str, List[List[str]]] = {}
    for topic, rows in received:
        out.setdefault(topic, []).extend(rows)
    return out


# ------------------------------------------------------------------- tests


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_thousands_of_rows_arrive_complete_and_in_order(connect, qos):
    sink = connect()
    collector = Collector(messages=True)
    sink.client.on_message = collector.on_message
    sink.subscribe([("s/us", 2), ("s/us/#", 2)])

    device = connect("d:sim-0001")
    plan = {"s/us": corpus(3000, seed=qos), "s/us/child-1": corpus(1500, seed=100 + qos)}
    infos = []
    for topic, rows in plan.items():
        infos += sr_mqtt.publish_rows(device.client, rows, topic=topic, qos=qos)
    for info in infos:
        info.wait_for_publish(WAIT)
    assert len(infos) > 2 * len(plan), "the corpus should need several publishes per topic"

    total = sum(len(rows) for rows in plan.values())
    assert collector.wait_for(lambda: collector.count() >= total)
    assert collector.errors == []
    assert rows_by_topic(collector.rows) == plan
    assert [m.to_row() for r in collector.received for m in r.messages] == [
        row for rows in plan.values() for row in rows]
    # Same publisher, same QoS: the broker keeps the publishes in order.
    assert [topic for topic, _ in collector.rows] == [
        topic for topic, rows in plan.items()
        for _ in smartrest.pack(rows, topic=topic, qos=qos)]


@pytest.mark.parametrize("qos", [0, 1])
def test_broker_enforces_the_exact_packet_limit(connect, qos):
    sink = connect()
    got: List[bytes] = []
    sink.client.on_message = lambda c, u, m: got.append(m.payload)
    sink.subscribe([("s/us/limit", 1)])
    room = max(n for n in range(LIMIT - 20, LIMIT) if packet_size("s/us/limit", n, qos) <= LIMIT)
    assert packet_size("s/us/limit", room, qos) == LIMIT

    fits = connect()
    fits.client.publish("s/us/limit", b"x" * room, qos=qos).wait_for_publish(WAIT)
    deadline = time.monotonic() + WAIT
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [len(p) for p in got] == [room]

    # One byte more: mosquitto drops the connection and the message.
    over = connect()
    over.client.publish("s/us/limit", b"y" * (room + 1), qos=qos)
    deadline = time.monotonic() + WAIT
    while not over.disconnects and time.monotonic() < deadline:
        time.sleep(0.02)
    assert over.disconnects, "the broker accepted a packet over the limit"
    fits.client.publish("s/us/limit", b"z", qos=qos).wait_for_publish(WAIT)
    deadline = time.monotonic() + WAIT
    while len(got) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert got == [b"x" * room, b"z"]


def test_pack_fills_publishes_up_to_the_limit_and_the_broker_takes_them(connect):
    sink = connect()
    got: List[bytes] = []
    done = threading.Event()
    sink.client.on_message = lambda c, u, m: (got.append(m.payload), done.set())
    sink.subscribe([("s/us/big", 1)])
    rows = [["400", "c8y_Big", "é" * 1000 + str(i)] for i in range(60)]
    device = connect()
    infos = sr_mqtt.publish_rows(device.client, rows, topic="s/us/big", qos=1)
    for info in infos:
        info.wait_for_publish(WAIT)
    deadline = time.monotonic() + WAIT
    while len(got) < len(infos) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert device.disconnects == []
    assert len(got) == len(infos)
    assert max(packet_size("s/us/big", len(p), 1) for p in got) > LIMIT - 2100
    assert [r for p in got for r in smartrest.decode(p, topic="s/us/big", qos=1)] == rows


def test_decode_message_by_topic():
    errors = sr_mqtt.decode_message("s/e", b"50,100,Error on device creation, message: x\n"
                                           b"41,,MqttAuth: no\n")
    assert [(m.template_id, m["message_id"], m["text"]) for m in errors] == [
        (50, "100", "Error on device creation, message: x"), (41, "", "MqttAuth: no")]
    [creds] = sr_mqtt.decode_message("s/dcr", b"70,t123,device_ab,s3cr3t\n")
    assert (creds.template_id, creds["tenant_id"], creds["username"], creds["password"]) == (
        70, "t123", "device_ab", "s3cr3t")
    [token] = sr_mqtt.decode_message("s/dat", b"71,eyJhbGc.eyJzdWIi.sig")
    assert token["token"] == "eyJhbGc.eyJzdWIi.sig"
    [op] = sr_mqtt.decode_message("s/ds", b'511,dev-1,"ls -l\necho \\"done\\""\n', qos=1)
    assert isinstance(op, templates.Message)
    assert (op.template_id, op.device, op.to_row()[2]) == (511, "dev-1", 'ls -l\necho "done"')
    assert sr_mqtt.decode_message("s/dc/myTemplates", b'100,dev,"a,b"\n') == [
        sr_mqtt.CustomRow("myTemplates", "100", ("dev", "a,b"))]
    assert sr_mqtt.decode_message("s/dd", b"7\n") == [sr_mqtt.CustomRow(None, "7", ())]
    with pytest.raises(smartrest.SmartRestError):
        sr_mqtt.decode_message("s/dcr", b"71,token\n")
    with pytest.raises(smartrest.SmartRestError):
        sr_mqtt.decode_message("s/ds", b"200,c8y_T,T,1\n")  # upstream template downstream
    with pytest.raises(smartrest.PayloadTooLarge):
        sr_mqtt.decode_message("s/e", b"4" * LIMIT)


def test_custom_template_responses(connect):
    collection = custom.TemplateCollection(
        "myXid", [["11", "100", "", "c8y_SendConfiguration", "deviceId"]])
    device = connect("d:sensor-9:myXid")
    received = Collector()
    received.handler = sr_mqtt.MessageHandler(received._on_received, on_error=received._on_error,
                                              collections={"myXid": collection},
                                              default_xid="myXid")
    device.client.on_message = received.on_message
    device.subscribe([("s/dc/myXid", 1), ("s/dd", 1), ("s/dc/other", 1)])
    platform = connect()
    for topic in ("s/dc/myXid", "s/dd", "s/dc/other"):
        platform.client.publish(topic, b"100,sensor-9,4801\n", qos=1)
    assert received.wait_for(lambda: len(received.received) == 3)
    assert received.errors == []
    by_topic = {r.topic: r.messages for r in received.received}
    for topic in ("s/dc/myXid", "s/dd"):
        [response] = by_topic[topic]
        assert isinstance(response, custom.Response)
        assert (response.msg_id, response.device, response["deviceId"]) == (
            "100", "sensor-9", "4801")
    assert by_topic["s/dc/other"] == [sr_mqtt.CustomRow("other", "100", ("sensor-9", "4801"))]


def test_startup_creates_device_and_children_and_receives_operations(connect):
    platform = connect()
    uplink = Collector()
    platform.client.on_message = uplink.on_message
    platform.subscribe([("s/us", 1)])

    device = connect("d:sensor-7")
    downlink = Collector()
    device.client.on_message = downlink.on_message
    device.subscribed.clear()
    infos = sr_mqtt.startup(device.client, "Sensor 7", "c8y_Sensor",
                            children=["door", ("window", "Window", None)])
    assert device.subscribed.wait(WAIT)
    for info in infos:
        info.wait_for_publish(WAIT)
    assert uplink.wait_for(lambda: uplink.count() == 3)
    assert uplink.rows[0][1] == [
        ["100", "Sensor 7", "c8y_Sensor"], ["101", "door"], ["101", "window", "Window"]]
    assert [m.template_id for m in uplink.received[0].messages] == [100, 101, 101]

    platform.client.publish("s/ds", b'510,sensor-7\n511,door,"run \\"this\\"\nnow"\n', qos=1)
    platform.client.publish("s/e", b"41,100,Device already existing\n", qos=1)
    assert downlink.wait_for(lambda: downlink.count() == 3)
    by_topic = {r.topic: r.messages for r in downlink.received}
    assert [(m.template_id, m["message_id"], m["text"]) for m in by_topic["s/e"]] == [
        (41, "100", "Device already existing")]
    operations = by_topic["s/ds"]
    assert all(isinstance(m, templates.Message) for m in operations)
    assert [(m.template_id, m.device) for m in operations] == [(510, "sensor-7"), (511, "door")]
    assert rows_by_topic(downlink.rows)["s/ds"][1][2] == 'run "this"\nnow'


def test_bad_rows_go_to_on_error(connect):
    device = connect()
    collector = Collector()
    device.client.on_message = collector.handler
    device.subscribe([("s/dcr", 1)])
    device.client.publish("s/dcr", b'70,"unterminated', qos=1)
    assert collector.wait_for(lambda: bool(collector.errors))
    topic, error = collector.errors[0]
    assert topic == "s/dcr"
    assert isinstance(error, smartrest.UnterminatedQuote)


def test_bad_rows_are_logged_without_on_error(caplog):
    received = []
    handler = sr_mqtt.MessageHandler(received.append)
    message = mqtt.MQTTMessage(topic=b"s/ds")
    message.payload = b"999,dev\n"
    with caplog.at_level("ERROR", logger="smartrest.mqtt"):
        handler(None, None, message)
    assert received == []
    assert "s/ds" in caplog.text and "999" in caplog.text
    message.payload = b"510,dev\n"
    handler(None, None, message)
    assert [m.template_id for m in received[0].messages] == [510]


def test_bootstrap_credentials_loop(connect):
    platform = connect()
    requests: List[bytes] = []

    def answer(client: Any, userdata: Any, message: Any) -> None:
        requests.append(message.payload)
        if len(requests) == 3:  # accepted in Device registration meanwhile
            client.publish("s/dcr", b'70,t4711,device_sensor-7,"pa,\\"ss w0rd"\n', qos=1)

    platform.client.on_message = answer
    platform.subscribe([("s/ucr", 1)])

    bootstrap = connect("d:sensor-7")
    creds = sr_mqtt.request_credentials(bootstrap.client, timeout=WAIT, interval=0.05, qos=1)
    assert creds == sr_mqtt.Credentials("t4711", "device_sensor-7", 'pa,"ss w0rd')
    assert creds.user == "t4711/device_sensor-7"
    assert len(requests) >= 3 and set(requests) == {b""}


def test_bootstrap_credentials_time_out(connect):
    bootstrap = connect("d:nobody")
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        sr_mqtt.request_credentials(bootstrap.client, timeout=0.3, interval=0.1)
    assert time.monotonic() - start < 5


def test_device_simulator_example(broker):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "simulator.py"), "--port", str(broker.port),
         "--devices", "4", "--rows", "2000", "--qos", "1", "--verify"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
            str(ROOT), os.environ.get("PYTHONPATH")]))},
    )
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout
    assert "received 8000 of 8000 rows" in result.stdout
