"""Generated SmartREST corpora: realistic rows, encoded and grouped into payloads.

The corpora are generated deterministically (``random.Random`` with a fixed
seed), encoded with :func:`smartrest.encode` and grouped with
:func:`smartrest.pack`, so the rows they were made from are the exact decode.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import random
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence

import smartrest
from smartrest import _implementation, _values

SEED = 20240501

#: Corpus names and the topic their publishes go to.
CORPORA = {"mixed": "s/us", "measurements": "s/us", "operations": "s/ds"}

#: Payload sizes: one row per payload, publishes of about 1 KB, full publishes
#: (16184-byte packets) and one long stream (the full publishes concatenated).
SIZES = ("row", "1k", "16k", "stream")

#: Bytes of data per corpus (the stream's size is a setting of its own).
TOTALS = {"row": 256_000, "1k": 1_000_000, "16k": 2_000_000}
QUICK_TOTALS = {"row": 16_000, "1k": 48_000, "16k": 96_000}
STREAM_MB = 50.0
QUICK_STREAM_MB = 1.0

#: Column of the measurement value in the measurement corpus (200 rows).
VALUE_COLUMN = 3
MEASUREMENT_COLUMNS = 6

_MEASUREMENTS = [
    # fragment, series, unit, low, high, decimals
    ("c8y_Temperature", "T", "°C", -20.0, 60.0, 2),
    ("c8y_Humidity", "h", "%RH", 0.0, 100.0, 1),
    ("c8y_Pressure", "p", "hPa", 950.0, 1050.0, 1),
    ("c8y_Voltage", "U", "V", 3.0, 5.0, 3),
    ("c8y_Current", "I", "A", 0.0, 16.0, 3),
    ("c8y_Battery", "level", "%", 0.0, 100.0, 0),
    ("c8y_SignalStrength", "rssi", "dBm", -110.0, -50.0, 0),
    ("c8y_EnergyMeter", "E", "kWh", 0.0, 100000.0, 2),
]

_EVENTS = [
    ("c8y_DoorEvent", ["Door opened, zone {n}", "Door closed, zone {n}", 'Door "{n}" left open']),
    ("c8y_MotionEvent", ["Motion detected in hall {n}, camera 2",
                         "Motion, no presence for {n} min"]),
    ("c8y_LoginEvent", ['Login from 10.0.{n}.7, user "admin"', "Login failed, {n} attempts"]),
    ("c8y_FirmwareEvent", ["Firmware 1.{n}.0, update started", "Update done, reboot in {n} s"]),
    ("c8y_PowerEvent", ["Power restored after {n} s, on battery before", "Netzausfall, USV {n} %"]),
    ("c8y_LogEvent", ["Script output:\nline 1\nline {n}", "Disk at {n} %, cleanup of C:\\logs\\",
                      " payload starts with a space {n}"]),
]

_ALARMS = [
    ("c8y_TemperatureAlarm", ["Temperature above {n} °C, check cooling",
                              "Überhitzung, Lüfter {n}"]),
    ("c8y_BatteryAlarm", ["Battery low ({n} %), replace soon"]),
    ("c8y_TamperAlarm", ['Tamper switch "lid" open', "Case opened, sensor {n}"]),
    ("c8y_UnavailabilityAlarm", ["No data received for {n} minutes, check the uplink"]),
]

_COMMANDS = [
    "reboot",
    # The spec's example; each \\n is a backslash and an n, not a line break.
    'execute this\\nand this\\nand "this"',
    'sh -c "echo {n} > /tmp/x"',
    "systemctl restart agent\nsystemctl status agent",
    'set threshold={n}, unit="°C"',
    "cat /etc/hosts\n",
    'find / -name "*.log" -mtime +{n} -delete',
]

_CONFIG = [
    "interval={n}\nmode=eco\n",
    'server="mqtt.example.com"\nport=8883\nretries={n}',
    "[network]\ndhcp=true\nmtu=1500\n[agent]\nlog=C:\\agent\\logs\\",
]

_SOFTWARE = ["nginx", "mosquitto", "python3", "c8y-agent", "collectd", "node-red"]
_OPERATIONS = ["c8y_Restart", "c8y_Command", "c8y_Configuration", "c8y_Firmware",
               "c8y_SoftwareUpdate", "c8y_LogfileRequest", "c8y_RemoteAccessConnect"]
_START = datetime.datetime(2024, 5, 1, 8, 0, 0, tzinfo=datetime.timezone(
    datetime.timedelta(hours=2)))


class _Rows:
    """Generator of realistic rows, one kind of traffic per corpus name."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.clock = _START

    def time(self) -> str:
        self.clock += datetime.timedelta(milliseconds=self.rng.randrange(1, 5000))
        return self.clock.isoformat(timespec="milliseconds")

    def text(self, choices: Sequence[str]) -> str:
        return self.rng.choice(choices).format(n=self.rng.randrange(1, 100))

    def serial(self) -> str:
        if self.rng.random() < 0.3:
            return f"sn-{self.rng.randrange(1000, 9999)}_child{self.rng.randrange(1, 40)}"
        return f"sn-{self.rng.randrange(1000, 9999)}"

    def measurement(self) -> List[str]:
        fragment, series, unit, low, high, decimals = self.rng.choice(_MEASUREMENTS)
        value = f"{self.rng.uniform(low, high):.{decimals}f}"
        return ["200", fragment, series, value, unit, self.time()]

    def upstream(self) -> List[str]:
        # The weights give about one value in five quoted, as in busy
        # gateways that forward events and operation results.
        r = self.rng.random()
        if r < 0.20:
            row = self.measurement()
            if self.rng.random() < 0.5:
                row.pop()  # the server's time is used
            return row
        if r < 0.21:
            fragment, series, unit, low, high, decimals = self.rng.choice(_MEASUREMENTS)
            row = ["201", "c8y_Sample", self.time()]
            for _ in range(self.rng.randrange(1, 4)):
                row += [fragment, series, f"{self.rng.uniform(low, high):.{decimals}f}", unit]
            return row
        if r < 0.22:
            template = self.rng.choice(("210", "211", "212"))
            row = [template, str(self.rng.randrange(-110, 60))]
            if template == "210":  # rssi, then the bit error rate
                row.append(str(self.rng.randrange(0, 8)))
            return row + [self.time()]
        if r < 0.58:
            kind, texts = self.rng.choice(_EVENTS)
            return ["400", kind, self.text(texts), self.time()]
        if r < 0.74:
            kind, texts = self.rng.choice(_ALARMS)
            return [str(self.rng.randrange(301, 305)), kind, self.text(texts), self.time()]
        if r < 0.75:
            template = self.rng.choice(("305", "306"))
            row = [template, self.rng.choice(_ALARMS)[0]]
            if template == "305":  # a new severity
                row.append(self.rng.choice(("CRITICAL", "MAJOR", "MINOR", "WARNING")))
            return row
        if r < 0.82:
            n = self.rng.randrange(1, 500)
            name = self.rng.choice([f"Sensor {n}, roof", f"Pump {n}, hall B", f'Meter "{n}"'])
            return ["101", f"child-{n:04d}", name, "c8y_MQTTChildDevice"]
        if r < 0.85:
            return ["113", self.text(_CONFIG)]
        if r < 0.87:
            return ["114"] + self.rng.sample(_OPERATIONS, self.rng.randrange(2, 6))
        if r < 0.88:
            return ["110", f"SN{self.rng.randrange(10**8)}", "Model X-100",
                    f"rev {self.rng.randrange(1, 9)}"]
        if r < 0.89:
            return ["125"]
        # Operation status updates, as an agent sends them.
        op = self.rng.choice(_OPERATIONS)
        s = self.rng.random()
        if s < 0.1:
            return ["501", op]
        if s < 0.7:
            return ["503", "c8y_Command", self.text(_COMMANDS)]
        return ["502", op, self.text(["Timeout after {n} s, giving up", 'Unknown option "-x{n}"',
                                      "exit code {n}, see log"])]

    def downstream(self) -> List[str]:
        r = self.rng.random()
        serial = self.serial()
        if r < 0.35:
            return ["511", serial, self.text(_COMMANDS)]
        if r < 0.45:
            return ["510", serial]
        if r < 0.55:
            return ["513", serial, self.text(_CONFIG)]
        if r < 0.65:
            name = self.rng.choice(_SOFTWARE)
            version = f"1.{self.rng.randrange(30)}.{self.rng.randrange(10)}"
            return ["515", serial, name, version,
                    self.rng.choice(["$PROVIDED", f"https://repo.example.com/{name}.bin"])]
        if r < 0.75:
            row = ["528", serial]
            for name in self.rng.sample(_SOFTWARE, self.rng.randrange(1, 4)):
                row += [name, f"2.{self.rng.randrange(20)}", "",
                        self.rng.choice(("install", "delete"))]
            return row
        if r < 0.85:
            return ["522", serial, "agentlog", self.time(), self.time(),
                    self.text(["ERROR", 'level="warn"', "timeout, retry {n}", ""]),
                    str(self.rng.randrange(100, 2000))]
        if r < 0.92:
            return ["519", serial] + self.rng.choices(["OPEN", "CLOSED"], k=4)
        return ["530", serial, f"10.0.0.{self.rng.randrange(1, 255)}", "22",
                f"{self.rng.getrandbits(64):016x}"]


def _row_stream(name: str, seed: int) -> Iterator[List[str]]:
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}")
    gen = _Rows(random.Random(f"{name}:{seed}"))
    make = {"mixed": gen.upstream, "measurements": gen.measurement,
            "operations": gen.downstream}[name]
    while True:
        yield make()


def rows(name: str, n: int, *, seed: int = SEED) -> List[List[str]]:
    """The first ``n`` rows of the corpus ``name``, as lists of ``str``.

    Deterministic for a given ``name``, ``n`` and ``seed``.

    Raises:
        ValueError: unknown corpus name.
    """
    return list(itertools.islice(_row_stream(name, seed), n))


@dataclass
class Corpus:
    """Generated payloads and the rows they encode (their exact decode)."""

    name: str
    size: str
    topic: str
    payloads: List[bytes]
    rows: List[List[str]]
    nbytes: int = field(init=False)
    fields: int = field(init=False)
    quoted: int = field(init=False)

    def __post_init__(self) -> None:
        self.nbytes = sum(len(p) for p in self.payloads)
        self.fields = sum(len(r) for r in self.rows)
        needs_quotes = _values.needs_quotes  # the encoder's own rule
        self.quoted = sum(1 for r in self.rows for v in r if needs_quotes(v))

    @functools.cached_property
    def groups(self) -> List[List[List[str]]]:
        """The rows of each payload (the input of the encode contenders)."""
        decode = _implementation.python_api().decode  # the reference: the exact decode
        out = []
        it = iter(self.rows)
        for payload in self.payloads:
            n = len(decode(payload, limit=None))
            out.append(list(itertools.islice(it, n)))
        return out

    def describe(self) -> str:
        kind = {"row": "one-row payloads", "1k": "~1 KB payloads", "16k": "16 KB publishes",
                "stream": "one stream"}[self.size]
        return (f"{len(self.payloads):,} {kind}, {self.nbytes / 1e6:.2f} MB, "
                f"{len(self.rows):,} rows, {self.fields:,} values, "
                f"{self.quoted / max(self.fields, 1):.0%} quoted")

    def summary(self) -> Dict[str, Any]:
        return {"name": self.name, "size": self.size, "topic": self.topic,
                "payloads": len(self.payloads), "bytes": self.nbytes, "rows": len(self.rows),
                "fields": self.fields, "quoted_fraction": self.quoted / max(self.fields, 1)}


def stream_total(stream_mb: float) -> int:
    """The bytes of a stream corpus of ``stream_mb`` MB (MB = 10^6 bytes)."""
    return int(stream_mb * 1_000_000)


@functools.lru_cache(maxsize=32)
def build_corpus(name: str, size: str, total: Optional[int] = None,
                 seed: int = SEED) -> Corpus:
    """Generate the corpus ``name`` at payload size ``size`` (cached).

    ``total`` is the number of payload bytes wanted (default: :data:`TOTALS`,
    or 50 MB for the stream); generation stops at the first row past it.

    Raises:
        ValueError: unknown corpus name or size.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
    topic = CORPORA.get(name)
    if topic is None:
        raise ValueError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}")
    if total is None:
        total = stream_total(STREAM_MB) if size == "stream" else TOTALS[size]
    source: List[List[str]] = []
    used = 0
    for row in _row_stream(name, seed):
        source.append(row)
        used += len(smartrest.encode_row(row))
        if used >= total:
            break
    if size == "row":
        payloads = [smartrest.encode([row]) for row in source]
    elif size == "1k":
        payloads = smartrest.pack(source, topic=topic, limit=1024)
    else:
        payloads = smartrest.pack(source, topic=topic)
        if size == "stream":
            payloads = [b"".join(payloads)]
    return Corpus(name, size, topic, payloads, source)


def corpus(name: str, size: str, total: Optional[int] = None,
           seed: int = SEED) -> List[bytes]:
    """The payloads of a generated corpus; see :func:`build_corpus`."""
    return build_corpus(name, size, total, seed).payloads
