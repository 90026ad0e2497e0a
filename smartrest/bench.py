"""Benchmark harness: ``smartrest bench`` (also ``python -m smartrest.bench``).

Every contender runs in one process on the same generated data.  Each result
gives the speed ratio to the standard library, MB/s, rows/s and whether the
output equals the exact decode of the data, because a fast parser that gets
quoted values wrong answers a different question.

The corpora are generated deterministically (``random.Random`` with a fixed
seed), encoded with :func:`smartrest.encode` and grouped with
:func:`smartrest.pack`, so the rows they were made from are the exact decode.

Public helpers reused by tests and ``benchmarks/``: :func:`corpus`,
:func:`rows`, :func:`build_corpus`, :data:`TASKS` and :func:`contenders`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import functools
import gc
import importlib
import io
import itertools
import json
import math
import os
import platform
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import smartrest
from smartrest import _implementation, _pure, _values

__all__ = [
    "CORPORA",
    "SIZES",
    "TASKS",
    "Contender",
    "Corpus",
    "Task",
    "add_arguments",
    "build_corpus",
    "contenders",
    "corpus",
    "main",
    "rows",
    "run",
]

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

#: Chunk size for the streaming decoder contenders.
FEED_CHUNK = 4096

#: Column of the measurement value in the measurement corpus (200 rows).
VALUE_COLUMN = 3
MEASUREMENT_COLUMNS = 6

#: The implementations, imported when a contender runs.
_C, _PY = "smartrest._codec", "smartrest._pure"

CSV_OPTIONS: Dict[str, Any] = {"doublequote": False, "escapechar": "\\"}

FOOTNOTES = {
    "csv": ('csv.reader(doublequote=False, escapechar="\\\\") reads every backslash as an '
            'escape of the next character: the two characters \\n in a value come out as "n".'),
    "naive": 'naive split(",") cuts quoted values at their commas and line breaks.',
    "csv-writer": ('csv.writer(doublequote=False, escapechar="\\\\") writes a backslash as '
                   "\\\\ and may leave a value holding a quote unquoted, which SmartREST "
                   "reads differently."),
    "pyarrow": ("pyarrow builds Arrow columns, not Python lists: its MB/s is not comparable "
                "with the list builders one for one."),
    "threads": ("decode_batch, 2 threads: two Python threads each decode half of the "
                "payloads; it gains only if decode_batch releases the GIL."),
}

# --------------------------------------------------------------------- corpora

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
        out = []
        it = iter(self.rows)
        for payload in self.payloads:
            n = len(_pure.decode(payload, limit=None))
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


def _stream_total(stream_mb: float) -> int:
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
        total = _stream_total(STREAM_MB) if size == "stream" else TOTALS[size]
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


# ------------------------------------------------------------------ contenders


def _flatten(per_payload: Sequence[Sequence[Any]]) -> List[Any]:
    return [item for part in per_payload for item in part]


Make = Callable[["Corpus"], Callable[[], Any]]


def _on(module_name: str, maker: Callable[..., Callable[[], Any]], *args: Any) -> Make:
    """``maker(*args, module, corpus)`` with the implementation loaded when used."""
    def make(c: Corpus) -> Callable[[], Any]:
        return maker(*args, importlib.import_module(module_name), c)
    return make


def _decode_limit(c: Corpus) -> Optional[int]:
    # Publishes are checked against the packet limit as a consumer would;
    # the stream is one buffer of many publishes, so the check is off there.
    return None if c.size == "stream" else smartrest.LIMIT


def _decode(module: ModuleType, c: Corpus) -> Callable[[], Any]:
    decode, payloads, limit = module.decode, c.payloads, _decode_limit(c)
    return lambda: [decode(p, limit=limit) for p in payloads]


def _feed(module: ModuleType, c: Corpus) -> Callable[[], Any]:
    views = [memoryview(p) for p in c.payloads]

    def run() -> List[List[List[str]]]:
        out = []
        for view in views:
            decoder = module.Decoder()
            got: List[List[str]] = []
            for i in range(0, len(view), FEED_CHUNK):
                got += decoder.feed(view[i:i + FEED_CHUNK])
            got += decoder.close()
            out.append(got)
        return out
    return run


def _batch(threads: int, module: ModuleType, c: Corpus) -> Callable[[], Any]:
    decode_batch, payloads = module.decode_batch, c.payloads
    if threads == 1:
        return lambda: decode_batch(payloads)
    step = -(-len(payloads) // threads)
    parts = [payloads[i:i + step] for i in range(0, len(payloads), step)]
    pool = _pool(threads)
    return lambda: _flatten(list(pool.map(decode_batch, parts)))


@functools.lru_cache(maxsize=None)
def _pool(threads: int) -> ThreadPoolExecutor:
    # One pool for the whole run, so that thread start-up is not timed.
    return ThreadPoolExecutor(threads, thread_name_prefix="smartrest-bench")


def _csv_reader(c: Corpus) -> Callable[[], Any]:
    payloads = c.payloads
    return lambda: [list(csv.reader(io.StringIO(p.decode()), **CSV_OPTIONS)) for p in payloads]


def _naive(c: Corpus) -> Callable[[], Any]:
    payloads = c.payloads
    return lambda: [[line.split(",") for line in p.decode().split("\n") if line]
                    for p in payloads]


def _pyarrow_options(**convert: Any) -> Tuple[Any, Any, Any, Any]:
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    read = pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True)
    parse = pacsv.ParseOptions(double_quote=False, escape_char="\\", newlines_in_values=True)
    return pacsv.read_csv, read, parse, pacsv.ConvertOptions(**convert)


def _pyarrow_table(c: Corpus) -> Callable[[], Any]:
    import pyarrow as pa

    names = [f"f{i}" for i in range(MEASUREMENT_COLUMNS)]
    read_csv, read, parse, convert = _pyarrow_options(
        column_types={n: pa.string() for n in names})
    payloads = c.payloads
    return lambda: [read_csv(io.BytesIO(p), read_options=read, parse_options=parse,
                             convert_options=convert) for p in payloads]


def _table_rows(tables: Sequence[Any]) -> List[List[str]]:
    out: List[List[str]] = []
    for table in tables:
        out += [list(r) for r in zip(*(col.to_pylist() for col in table.columns))]
    return out


def _pyarrow_column(c: Corpus) -> Callable[[], Any]:
    import pyarrow as pa

    # Like tokenize + column: every field is lexed, one column is converted.
    name = f"f{VALUE_COLUMN}"
    read_csv, read, parse, convert = _pyarrow_options(
        include_columns=[name], column_types={name: pa.float64()})
    payloads = c.payloads
    return lambda: [read_csv(io.BytesIO(p), read_options=read, parse_options=parse,
                             convert_options=convert).column(0) for p in payloads]


def _tokenize_column(module: ModuleType, c: Corpus) -> Callable[[], Any]:
    tokenize, payloads = module.tokenize, c.payloads
    return lambda: [tokenize(p).column(VALUE_COLUMN, dtype=float) for p in payloads]


def _decode_column(module: ModuleType, c: Corpus) -> Callable[[], Any]:
    decode, payloads, limit = module.decode, c.payloads, _decode_limit(c)
    return lambda: [[float(r[VALUE_COLUMN]) for r in decode(p, limit=limit)]
                    for p in payloads]


def _csv_column(c: Corpus) -> Callable[[], Any]:
    payloads = c.payloads
    return lambda: [[float(r[VALUE_COLUMN])
                     for r in csv.reader(io.StringIO(p.decode()), **CSV_OPTIONS)]
                    for p in payloads]


def _column_values(parts: Sequence[Any]) -> List[float]:
    out: List[float] = []
    for part in parts:
        if not isinstance(part, list):  # a numpy or Arrow array
            import numpy

            part = numpy.asarray(part, dtype=float).tolist()
        out += part
    return out


def _encode(module: ModuleType, c: Corpus) -> Callable[[], Any]:
    encode, groups = module.encode, c.groups
    return lambda: [encode(g) for g in groups]


def _csv_writer(c: Corpus) -> Callable[[], Any]:
    groups = c.groups

    def run() -> List[bytes]:
        out = []
        for g in groups:
            buf = io.StringIO()
            csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n",
                       **CSV_OPTIONS).writerows(g)
            out.append(buf.getvalue().encode())
        return out
    return run


def _decoded(payloads: Sequence[bytes]) -> Optional[List[List[str]]]:
    """What the exact decoder reads from encoded output (None: not SmartREST)."""
    try:
        return _flatten([_pure.decode(p, limit=None) for p in payloads])
    except smartrest.SmartRestError:
        return None


def _has_c(attr: str) -> Callable[[], Optional[str]]:
    def missing() -> Optional[str]:
        if smartrest.IMPLEMENTATION != "c":
            return ("SMARTREST_PURE_PYTHON is set" if _implementation.PURE_REQUESTED
                    else "C extension not built")
        module = _implementation.c_api().module
        if getattr(module, attr, None) is None:
            return f"{_C} has no {attr}"
        return None
    return missing


def _has_module(name: str) -> Callable[[], Optional[str]]:
    def missing() -> Optional[str]:
        try:
            importlib.import_module(name)
        except ImportError:
            return f"{name} not installed"
        return None
    return missing


@dataclass(frozen=True)
class Contender:
    """One way of doing a task.

    ``make(corpus)`` prepares a call that does the work on the whole corpus
    (only that call is timed); ``output(result)`` turns its result into what
    is compared with the task's expected output (not timed).
    """

    key: str
    label: str
    make: Callable[[Corpus], Callable[[], Any]]
    output: Callable[[Any], Any] = _flatten
    exact: bool = True  # claims the exact result on any corpus (benchmarks/ assert it)
    missing: Callable[[], Optional[str]] = lambda: None  # why it cannot run
    corpora: Tuple[str, ...] = tuple(CORPORA)
    sizes: Tuple[str, ...] = SIZES
    footnote: Optional[str] = None

    def applies(self, corpus: str, size: str) -> bool:
        return corpus in self.corpora and size in self.sizes


_PAYLOAD_SIZES = ("row", "1k", "16k")

_DECODE = (
    Contender("c", "smartrest C", _on(_C, _decode), missing=_has_c("decode")),
    Contender("python", "smartrest pure Python", _on(_PY, _decode)),
    Contender("csv", "csv.reader", _csv_reader, exact=False, footnote="csv"),
    Contender("naive", 'naive split(",")', _naive, exact=False, footnote="naive"),
    Contender("pyarrow", "pyarrow.csv.read_csv, 1 thread", _pyarrow_table, output=_table_rows,
              exact=False, missing=_has_module("pyarrow"), corpora=("measurements",),
              footnote="pyarrow"),
    Contender("c-feed", f"smartrest C Decoder.feed, {FEED_CHUNK // 1024} KB chunks", _on(_C, _feed),
              missing=_has_c("Decoder"), sizes=("stream",)),
    Contender("python-feed",
              f"smartrest pure Python Decoder.feed, {FEED_CHUNK // 1024} KB chunks",
              _on(_PY, _feed), sizes=("stream",)),
    Contender("c-batch", "smartrest C decode_batch", _on(_C, _batch, 1),
              missing=_has_c("decode_batch"), sizes=_PAYLOAD_SIZES),
    Contender("c-batch-2", "smartrest C decode_batch, 2 threads", _on(_C, _batch, 2),
              missing=_has_c("decode_batch"), sizes=_PAYLOAD_SIZES, footnote="threads"),
)

_ENCODE = (
    Contender("c", "smartrest C", _on(_C, _encode), output=_decoded, missing=_has_c("encode")),
    Contender("python", "smartrest pure Python", _on(_PY, _encode), output=_decoded),
    Contender("csv", "csv.writer", _csv_writer, output=_decoded, exact=False,
              footnote="csv-writer"),
)

_COLUMNS = (
    Contender("c-tokenize", "smartrest C tokenize + column", _on(_C, _tokenize_column),
              output=_column_values, missing=_has_c("tokenize")),
    Contender("c", "smartrest C decode + float()", _on(_C, _decode_column), output=_column_values,
              missing=_has_c("decode")),
    Contender("python", "smartrest pure Python decode + float()", _on(_PY, _decode_column),
              output=_column_values),
    Contender("csv", "csv.reader + float()", _csv_column, output=_column_values, exact=False),
    Contender("pyarrow", "pyarrow.csv.read_csv, 1 thread, one column", _pyarrow_column,
              output=_column_values, exact=False, missing=_has_module("pyarrow"),
              footnote="pyarrow"),
)


@dataclass(frozen=True)
class Task:
    """What is measured, on which corpora, against which baseline."""

    name: str
    title: str
    contenders: Tuple[Contender, ...]
    baseline: str
    corpora: Tuple[str, ...]
    sizes: Tuple[str, ...]
    expected: Callable[[Corpus], Any]


def _value_column(c: Corpus) -> List[float]:
    return [float(r[VALUE_COLUMN]) for r in c.rows]


TASKS = {
    "decode": Task("decode", "decode payloads to rows", _DECODE, "csv", tuple(CORPORA), SIZES,
                   lambda c: c.rows),
    "encode": Task("encode", "encode rows to payloads", _ENCODE, "csv", tuple(CORPORA),
                   _PAYLOAD_SIZES, lambda c: c.rows),
    "columns": Task("columns", f"parse column {VALUE_COLUMN} (the value) as float", _COLUMNS,
                    "csv", ("measurements",), ("16k", "stream"), _value_column),
}


def contenders(task: str) -> Tuple[Contender, ...]:
    """The contenders of ``task`` ("decode", "encode" or "columns")."""
    return TASKS[task].contenders


# ---------------------------------------------------------------------- timing


def _round(call: Callable[[], Any], min_time: float) -> float:
    """Mean time of one ``call()`` over calls lasting at least ``min_time``."""
    loops = 0
    start = time.perf_counter()
    while True:
        call()
        loops += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / loops


def measure(call: Callable[[], Any], *, repeat: int, min_time: float) -> float:
    """Best time in seconds of one ``call()``.

    Each of ``repeat`` rounds calls it until ``min_time`` has passed and
    keeps the mean; the best round wins (the least disturbed one).  The
    garbage collector is off while timing, as in :mod:`timeit`.
    """
    return measure_all([call], repeat=repeat, min_time=min_time)[0]


def measure_all(calls: Sequence[Callable[[], Any]], *, repeat: int,
                min_time: float) -> List[float]:
    """Best time of each call, the rounds of all calls interleaved.

    Round r of every contender runs before round r + 1 of any, so a burst
    of load from elsewhere on a shared machine hits all contenders alike
    and the ratios between them stay fair.
    """
    best = [math.inf] * len(calls)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for i, call in enumerate(calls):
                best[i] = min(best[i], _round(call, min_time))
    finally:
        if enabled:
            gc.enable()
    return best


@dataclass
class Settings:
    tasks: Tuple[str, ...]
    corpora: Tuple[str, ...]
    sizes: Tuple[str, ...]
    contenders: Optional[Tuple[str, ...]]
    totals: Dict[str, int]
    repeat: int
    min_time: float
    seed: int


@dataclass
class Result:
    task: str
    corpus: str
    size: str
    contender: str
    label: str
    status: str  # "ok", "skipped" or "error"
    reason: Optional[str] = None
    seconds: Optional[float] = None
    bytes: int = 0
    rows: int = 0
    mb_per_s: Optional[float] = None
    rows_per_s: Optional[float] = None
    baseline: Optional[str] = None
    ratio: Optional[float] = None  # speed relative to the baseline
    correct: Optional[bool] = None
    exact_claimed: bool = True
    footnote: Optional[str] = None


class Progress:
    """A one-line progress bar on stderr (nothing when not wanted)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.enabled = enabled

    def show(self, what: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = width * self.done // self.total
        line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {what}"
        sys.stderr.write("\r\x1b[K" + line[:110])
        sys.stderr.flush()

    def advance(self) -> None:
        self.done += 1

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _plan(settings: Settings) -> List[Tuple[Task, str, str]]:
    return [(task, name, size)
            for task in (TASKS[t] for t in settings.tasks)
            for name in task.corpora if name in settings.corpora
            for size in task.sizes if size in settings.sizes]


def _selected(task: Task, corpus: str, size: str, settings: Settings) -> List[Contender]:
    return [k for k in task.contenders if k.applies(corpus, size)
            and (settings.contenders is None or k.key in settings.contenders)]


def _prepare(task: Task, k: Contender, c: Corpus, expected: Any
             ) -> Tuple[Result, Optional[Callable[[], Any]]]:
    """The contender's result record and its timed call (None if it cannot run)."""
    result = Result(task.name, c.name, c.size, k.key, k.label, "ok", bytes=c.nbytes,
                    rows=len(c.rows), exact_claimed=k.exact, footnote=k.footnote)
    reason = k.missing()
    if reason is not None:
        result.status, result.reason = "skipped", reason
        return result, None
    try:
        call = k.make(c)
        result.correct = k.output(call()) == expected  # also the warm-up call
    except Exception as exc:  # a contender that breaks must not end the run
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
        return result, None
    return result, call


def benchmark(settings: Settings, progress: Progress) -> Tuple[List[Corpus], List[Result]]:
    """Run every selected task, corpus, size and contender.

    The contenders of one task, corpus and size are timed with their rounds
    interleaved (:func:`measure_all`).
    """
    plan = _plan(settings)
    corpora: Dict[Tuple[str, str], Corpus] = {}
    progress.total = max(sum(len(_selected(*step, settings)) for step in plan), 1)
    results: List[Result] = []
    for task, name, size in plan:
        if (name, size) not in corpora:
            progress.show(f"generating {name} {size}")
            corpora[name, size] = build_corpus(name, size, settings.totals[size], settings.seed)
        c = corpora[name, size]
        expected = task.expected(c)
        group = []
        timed = []
        for k in _selected(task, name, size, settings):
            progress.show(f"{task.name} {name} {size}: {k.label}")
            result, call = _prepare(task, k, c, expected)
            group.append(result)
            if call is not None:
                timed.append((result, call))
            progress.advance()
        progress.show(f"{task.name} {name} {size}: timing {len(timed)} contenders")
        try:
            seconds = measure_all([call for _, call in timed], repeat=settings.repeat,
                                  min_time=settings.min_time)
        except Exception as exc:  # pragma: no cover - the warm-up call succeeded
            for result, _ in timed:
                result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
            seconds = []
        for (result, _), sec in zip(timed, seconds):
            result.seconds = sec
            result.mb_per_s = c.nbytes / sec / 1e6
            result.rows_per_s = len(c.rows) / sec
        base = next((r.seconds for r in group if r.contender == task.baseline), None)
        for r in group:
            if base is not None and r.seconds is not None:
                r.baseline = next(k.label for k in task.contenders if k.key == task.baseline)
                r.ratio = base / r.seconds
        results += group
    progress.finish()
    return list(corpora.values()), results


# --------------------------------------------------------------------- targets

# (label, task, corpus, size, contender, the contender it is compared with)
TARGETS = (
    ("C decode vs csv.reader", "decode", "mixed", "16k", "c", "csv"),
    ('C decode vs naive split(",")', "decode", "mixed", "16k", "c", "naive"),
    ("C encode vs csv.writer", "encode", "mixed", "16k", "c", "csv"),
    ("pure-Python decode vs csv.reader", "decode", "mixed", "16k", "python", "csv"),
    ("C Decoder.feed (4 KB chunks) vs C decode (whole buffer)", "decode", "mixed", "stream",
     "c-feed", "c"),
    ("pure-Python Decoder.feed (4 KB chunks) vs pure-Python decode (whole buffer)", "decode",
     "mixed", "stream", "python-feed", "python"),
    ("C tokenize + column vs pyarrow read_csv (1 thread)", "columns", "measurements", "16k",
     "c-tokenize", "pyarrow"),
    ("C tokenize + column vs pyarrow read_csv (1 thread)", "columns", "measurements", "stream",
     "c-tokenize", "pyarrow"),
    ("C decode_batch, 2 threads vs 1 thread", "decode", "mixed", "16k", "c-batch-2", "c-batch"),
)


def targets(results: Sequence[Result]) -> List[Dict[str, Any]]:
    """The speed ratios the project targets, from one run's results."""
    found = {(r.task, r.corpus, r.size, r.contender): r for r in results}
    out = []
    for label, task, name, size, key, other in TARGETS:
        a, b = found.get((task, name, size, key)), found.get((task, name, size, other))
        entry: Dict[str, Any] = {"label": label, "task": task, "corpus": name, "size": size,
                                 "contender": key, "versus": other, "ratio": None,
                                 "reason": None}
        if a is None or b is None:
            entry["reason"] = "not run"
        elif a.seconds is None or b.seconds is None:
            entry["reason"] = next(r.reason for r in (a, b) if r.seconds is None)
        else:
            entry["ratio"] = b.seconds / a.seconds
        out.append(entry)
    return out


# ---------------------------------------------------------------------- report


def machine() -> Dict[str, Any]:
    """CPU model, cores, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "pyarrow"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "smartrest": smartrest.__version__,
        "c_extension": _has_c("decode")() is None,
        "c_extension_note": _has_c("decode")(),
        "default_implementation": smartrest.IMPLEMENTATION,
        **versions,
    }


def _rate(x: Optional[float]) -> str:
    if x is None:
        return ""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def format_report(info: Dict[str, Any], corpora: Sequence[Corpus],
                  results: Sequence[Result], settings: Settings) -> str:
    """The tables as text: one per task, corpus and size, then the targets."""
    lines = [
        "smartrest bench",
        f"CPU: {info['cpu']} ({info['cores']} cores)",
        f"Python: {info['python']} on {info['platform']}",
        f"smartrest {info['smartrest']}: C extension "
        f"{'in use' if info['c_extension'] else 'off (' + info['c_extension_note'] + ')'}; "
        f"numpy {info['numpy'] or '-'}, "
        f"pyarrow {info['pyarrow'] or '-'}",
        f"Timing: best of {settings.repeat} interleaved rounds of at least {settings.min_time:g} s each, "
        "GC off.",
        "MB/s counts payload bytes (MB = 10^6 bytes), rows/s the rows of the exact decode; "
        "vs: speed ratio to the baseline, above 1 is faster.",
    ]
    notes: List[str] = []
    described = {(c.name, c.size): c for c in corpora}
    key = None
    table: List[List[str]] = []

    def flush() -> None:
        if not table:
            return
        # The last column is left open: it holds the reason a contender did not run.
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
        widths.append(len(table[0][-1]))
        for n, row in enumerate(table):
            cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in
                                                  zip(row[1:-1], widths[1:-1])]
            lines.append("  " + "  ".join(cells + [row[-1]]).rstrip())
            if n == 0:
                lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
        table.clear()

    for r in results:
        if (r.task, r.corpus, r.size) != key:
            flush()
            key = (r.task, r.corpus, r.size)
            task = TASKS[r.task]
            lines += ["", f"{r.task} · {r.corpus} · {r.size}: {task.title}",
                      f"  {described[r.corpus, r.size].describe()}"]
            base = next((k.label for k in task.contenders if k.key == task.baseline), "")
            table.append(["contender", f"vs {base}", "MB/s", "rows/s", "exact"])
        label = r.label
        if r.footnote:
            if r.footnote not in notes:
                notes.append(r.footnote)
            label += f" [{notes.index(r.footnote) + 1}]"
        if r.status != "ok":
            table.append([label, "", "", "", f"{r.status}: {r.reason}"])
            continue
        table.append([label, f"{r.ratio:.2f}x" if r.ratio else "", f"{r.mb_per_s:,.1f}",
                      _rate(r.rows_per_s), "yes" if r.correct else "no"])
    flush()
    lines += ["", "exact: the output equals the rows the payloads were encoded from "
              "(encode: the exact decode of the output gives the input rows back)."]
    lines += [f"[{i + 1}] {FOOTNOTES[n]}" for i, n in enumerate(notes)]
    lines += ["", "Targets (speed ratios from this run, above 1 is faster):"]
    for t in targets(results):
        ratio = f"{t['ratio']:.2f}x" if t["ratio"] is not None else f"n/a ({t['reason']})"
        lines.append(f"  {t['label']}, {t['corpus']} {t['size']}: {ratio}")
    return "\n".join(lines) + "\n"


def report_json(info: Dict[str, Any], corpora: Sequence[Corpus], results: Sequence[Result],
                settings: Settings) -> Dict[str, Any]:
    """The run as a JSON-ready dict (schema 1)."""
    return {
        "schema": 1,
        "machine": info,
        "settings": {"repeat": settings.repeat, "min_time": settings.min_time,
                     "seed": settings.seed, "totals": settings.totals},
        "corpora": [c.summary() for c in corpora],
        "results": [vars(r) for r in results],
        "targets": targets(results),
        "footnotes": FOOTNOTES,
    }


def plot(results: Sequence[Result], path: str) -> None:
    """Bar charts of MB/s per contender and payload size, one per task and corpus.

    Raises:
        ImportError: matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: Dict[Tuple[str, str], List[Result]] = {}
    for r in results:
        if r.mb_per_s is not None:
            groups.setdefault((r.task, r.corpus), []).append(r)
    fig, axes = plt.subplots(max(len(groups), 1), 1, figsize=(11, 3.2 * max(len(groups), 1)),
                             squeeze=False)
    for ax, ((task, name), group) in zip(axes.flat, groups.items()):
        sizes = [s for s in SIZES if any(r.size == s for r in group)]
        labels = list(dict.fromkeys(r.label for r in group))
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            by_size = {r.size: r.mb_per_s for r in group if r.label == label}
            xs = [j + i * width for j, s in enumerate(sizes) if s in by_size]
            ax.bar(xs, [by_size[s] for s in sizes if s in by_size], width, label=label)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(sizes))], sizes)
        ax.set_yscale("log")
        ax.set_ylabel("MB/s (log)")
        ax.set_title(f"{task} · {name}")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``smartrest bench`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="small corpora, fewer rounds (a smoke run of a few seconds)")
    parser.add_argument("--task", action="append", choices=list(TASKS),
                        help="task to run (repeatable; default: all)")
    parser.add_argument("--corpus", action="append", choices=list(CORPORA),
                        help="corpus to use (repeatable; default: all)")
    parser.add_argument("--size", action="append", choices=SIZES,
                        help="payload size (repeatable; default: all)")
    parser.add_argument("--contender", action="append", metavar="KEY",
                        help="only these contenders (repeatable), by key: " + ", ".join(
                            dict.fromkeys(k.key for t in TASKS.values() for k in t.contenders)))
    parser.add_argument("--stream-mb", type=float, metavar="MB",
                        help=f"size of the stream corpus (default {STREAM_MB:g}, "
                             f"{QUICK_STREAM_MB:g} with --quick)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="timing rounds per measurement, the best is kept (default 5, 3 "
                             "with --quick)")
    parser.add_argument("--min-time", type=float, metavar="S",
                        help="least time per round in seconds (default 0.2, 0.02 with --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help="corpus seed")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE; then "
                             "no table is printed)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw MB/s per contender and size (needs matplotlib)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (it is shown only when stderr is a terminal)")


def _settings(args: argparse.Namespace) -> Settings:
    quick = args.quick
    stream_mb = args.stream_mb if args.stream_mb is not None else (
        QUICK_STREAM_MB if quick else STREAM_MB)
    totals = dict(QUICK_TOTALS if quick else TOTALS, stream=_stream_total(stream_mb))
    return Settings(
        tasks=tuple(args.task or TASKS),
        corpora=tuple(args.corpus or CORPORA),
        sizes=tuple(args.size or SIZES),
        contenders=tuple(args.contender) if args.contender else None,
        totals=totals,
        repeat=args.repeat if args.repeat is not None else (3 if quick else 5),
        min_time=args.min_time if args.min_time is not None else (0.02 if quick else 0.2),
        seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``smartrest bench`` with parsed ``args``.

    Returns 0, 1 if a contender failed with an exception (shown in the
    table), or 2 for bad options.
    """
    settings = _settings(args)
    known = {k.key for t in TASKS.values() for k in t.contenders}
    unknown = sorted(set(settings.contenders or ()) - known)
    if unknown:
        print(f"smartrest bench: unknown contender {', '.join(unknown)}; choose from "
              f"{', '.join(sorted(known))}", file=sys.stderr)
        return 2
    if settings.repeat < 1 or settings.min_time < 0 or settings.totals["stream"] < 1:
        print("smartrest bench: --repeat must be at least 1, --min-time and --stream-mb "
              "positive", file=sys.stderr)
        return 2
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("smartrest bench: --plot needs matplotlib (pip install 'smartrest[plot]')",
                  file=sys.stderr)
            return 2
    progress = Progress(0, sys.stderr.isatty() and not args.no_progress)
    corpora, results = benchmark(settings, progress)
    info = machine()
    if args.json != "-":
        sys.stdout.write(format_report(info, corpora, results, settings))
    if args.json is not None:
        text = json.dumps(report_json(info, corpora, results, settings), indent=2) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text)
    if args.plot:
        plot(results, args.plot)
    return 1 if any(r.status == "error" for r in results) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smartrest.bench",
        description="Benchmark smartrest against csv, a naive split and pyarrow.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
