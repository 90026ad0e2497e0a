"""End-to-end tests of the mosquitto plugin (mosquitto-plugin/) in a real
broker: valid publishes pass, invalid ones are dropped, the publisher gets
an error line, the broker log names the reason, and a flood of fuzzed
payloads from several clients leaves the broker running with nothing valid
lost.  Missing mosquitto or its headers fail these tests (CI installs the
Debian packages mosquitto, mosquitto-dev and libmosquitto-dev)."""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Iterator, List

import pytest

import smartrest
from mosquitto import Broker, mosquitto_binary
from plugin import Client, build_plugin, missing_headers, plugin_config, wait_published
from smartrest.errors import SmartRestError

pytestmark = pytest.mark.mqtt

VALID = b"200,c8y_Temperature,T,25.3,C\n"
# mosquitto 2.0.11 drops the connection of a client whose publish is denied
# when max_queued_messages is 0 (its quota check on that path); any
# positive value keeps it connected.
QUEUE = "max_queued_messages 1000000\n"


@pytest.fixture(scope="module")
def plugin_path() -> Path:
    if mosquitto_binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)", pytrace=False)
    missing = missing_headers()
    if missing:
        pytest.fail(f"mosquitto headers missing: {', '.join(missing)} (apt-get install "
                    "mosquitto-dev libmosquitto-dev)", pytrace=False)
    return build_plugin()


def _broker(plugin: Path, **options: str) -> Iterator[Broker]:
    binary = mosquitto_binary()
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="smartrest-plugin-") as workdir:
        broker = Broker(binary, Path(workdir), QUEUE + plugin_config(plugin, **options))
        try:
            broker.wait_ready()
            yield broker
        finally:
            broker.stop()


@pytest.fixture
def broker(plugin_path: Path) -> Iterator[Broker]:
    yield from _broker(plugin_path, error_topic="s/e", limit="2000")


@pytest.fixture
def log_broker(plugin_path: Path) -> Iterator[Broker]:
    yield from _broker(plugin_path, action="log", topics="s/us,s/us/+")


def _clients(broker: Broker, *ids: str) -> List[Client]:
    return [Client(broker.host, broker.port, i) for i in ids]


def _log(broker: Broker) -> str:
    return broker.log.read_text(errors="replace")


def test_valid_pass_invalid_are_dropped_and_reported(broker):
    sub, pub = _clients(broker, "sub", "dev-1")
    for topic in ("+/us/#", "s/uc/#", "s/e"):
        sub.subscribe(topic)
    sent = [("s/us", VALID), ("s/us", b"200,c8y_Temperature,T,hot,C\n"),
            ("t/us/child", b"201,c8y_T,2020-01-01T00:00:00Z,c8y_T,T,25,C\n"),
            ("s/us", b"999,x\n"), ("s/us", b'200,"open\n'), ("s/us", b"\xff\n"),
            ("s/us/child", b"211,21.5\n"), ("q/us", b"110," + b"x" * 3000 + b"\n"),
            ("s/us", b"200,,T,1\n"), ("s/uc/xid", b"anything,goes\n")]
    wait_published([pub.publish(t, p) for t, p in sent])
    valid = [(t, p) for t, p in sent if _valid(p, t)]
    assert sub.wait_for(len(valid))
    time.sleep(0.3)
    assert sorted(sub.received) == sorted(valid)
    assert pub.wait_for(len(sent) - len(valid))
    expected = sorted(_error_line(p, t) for t, p in sent if not _valid(p, t))
    assert sorted(p.decode() for _, p in pub.received) == expected
    assert all(t == "s/e" for t, _ in pub.received)
    assert all(t != "s/e" for t, _ in sub.received)  # for the offending client only
    log = _log(broker)
    assert "smartrest: rejected publish from client dev-1 on s/us: invalid value" in log
    assert "unknown template" in log and "6 of 9 checked publishes invalid" in log
    assert pub.disconnects == 0 and broker.process.poll() is None
    for c in (sub, pub):
        c.close()


# How the plugin's error lines name the errors of decode_messages.
_REASONS = {"PayloadTooLarge": "packet larger than the limit",
            "UnterminatedQuote": "unterminated quoted field", "InvalidUtf8": "invalid UTF-8",
            "UnknownTemplate": "unknown template", "MissingValue": "missing value",
            "InvalidValue": "invalid value"}


def _error_line(payload: bytes, topic: str) -> str:
    """The error line the plugin sends for an invalid payload."""
    with pytest.raises(SmartRestError) as info:
        smartrest.validate(payload, topic=topic, qos=1, limit=2000)
    e = info.value
    code = 40 if type(e).__name__ == "UnknownTemplate" else 41
    tid = getattr(e, "template_id", None)
    field = f", field {e.field}" if e.field is not None else ""
    return (f"{code},{'' if tid is None else tid},{_REASONS[type(e).__name__]} at byte "
            f"{e.offset} (row {e.row}{field})")


def _valid(payload: bytes, topic: str) -> bool:
    try:
        smartrest.validate(payload, topic=topic, qos=1, limit=2000)
    except SmartRestError:
        return topic == "s/uc/xid"  # not a topic the plugin checks
    return True


def test_log_action_passes_and_logs(log_broker):
    sub, pub = _clients(log_broker, "sub", "dev-2")
    sub.subscribe("s/us/#")
    wait_published([pub.publish("s/us", b"200,f,s,x,C\n"), pub.publish("s/us", VALID)])
    assert sub.wait_for(2)
    assert "smartrest: invalid (passed) publish from client dev-2 on s/us: invalid value" \
        in _log(log_broker)
    for c in (sub, pub):
        c.close()


def _fuzzed(rng: random.Random) -> bytes:
    rows = [VALID, b"211,21.5\n", b"400,c8y_MyEvent,Something happened\n",
            b'201,c8y_T,,c8y_T,T,25,C,c8y_H,"H",50,%\n', b"110,SN1,model,1.0\n"]
    payload = b"".join(rng.choice(rows) for _ in range(rng.randint(1, 40)))
    for _ in range(rng.choice([0, 0, 1, 2])):
        at = rng.randrange(len(payload) + 1)
        junk = rng.choice([b'"', b"\xff", b"\\", b",", b"\n", b"x", b"", b"\xc3", b"9"])
        payload = payload[:at] + junk + payload[at + rng.randint(0, 2):]
    return payload


def test_flood_of_fuzzed_payloads(broker):
    rng = random.Random(1234)
    topics = ["s/us", "t/us/c1", "c/us", "q/us/c2"]
    sub = Client(broker.host, broker.port, "flood-sub")
    sub.subscribe("+/us/#", 1)
    pubs = _clients(broker, *(f"flood-{i}" for i in range(4)))
    sent = []
    infos = []
    for n in range(3000):
        pub = pubs[n % len(pubs)]
        topic = topics[n % len(topics)]
        payload = _fuzzed(rng)
        sent.append((topic, payload))
        infos.append(pub.publish(topic, payload, qos=1))
    wait_published(infos, 60)
    valid = [(t, p) for t, p in sent if _valid(p, t)]
    assert 0 < len(valid) < len(sent)
    assert sub.wait_for(len(valid), 60)
    time.sleep(0.5)
    got = Counter(sub.received)
    assert got == Counter(valid)  # nothing valid lost, nothing invalid through
    assert broker.process.poll() is None
    log = _log(broker)
    assert log.count("smartrest: rejected publish from client flood-") == len(sent) - len(valid)
    assert f"; {len(sent) - len(valid)} of " in log
    for c in (sub, *pubs):
        c.close()
