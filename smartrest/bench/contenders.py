"""The contenders of ``smartrest bench``: the ways of doing each task.

Every contender runs in one process on the same generated data.  The
smartrest contenders take their implementation from
:mod:`smartrest._implementation` (the C codec or the pure-Python reference),
loaded when the contender is prepared; the others are the standard library,
a naive split, pyarrow, polars and duckdb.
"""

from __future__ import annotations

import csv
import datetime
import functools
import importlib
import io
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import smartrest
from smartrest import _implementation

from .corpora import CORPORA, MEASUREMENT_COLUMNS, SIZES, VALUE_COLUMN, Corpus

#: Chunk size for the streaming decoder contenders.
FEED_CHUNK = 4096

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
    "list-floor": ("list floor: the same list[list[str]] built from the field records of "
                   "each payload, found beforehand by the C tokenizer (not timed), every str "
                   "and list made as the C decode makes them: the C decode with a scan "
                   "that costs nothing."),
    "tables": ("decode_tables reads the 16 KB publishes in one call (for the stream: the "
               "publishes it was joined from); the CSV readers read each publish (the stream: "
               "the one buffer), given the column types, and check no template: they are "
               "exact here only because measurement rows hold no quoted value."),
    "polars": "polars.read_csv runs on its own thread pool (POLARS_MAX_THREADS).",
}


def _flatten(per_payload: Sequence[Sequence[Any]]) -> List[Any]:
    return [item for part in per_payload for item in part]


Make = Callable[["Corpus"], Callable[[], Any]]
Api = Callable[[], types.SimpleNamespace]

_C: Api = _implementation.c_api
_PY: Api = _implementation.python_api


def _on(api: Api, maker: Callable[..., Callable[[], Any]], *args: Any) -> Make:
    """``maker(*args, impl, corpus)`` with the implementation ``api()``
    loaded when used."""
    def make(c: Corpus) -> Callable[[], Any]:
        return maker(*args, api(), c)
    return make


def _decode_limit(c: Corpus) -> Optional[int]:
    # Publishes are checked against the packet limit as a consumer would;
    # the stream is one buffer of many publishes, so the check is off there.
    return None if c.size == "stream" else smartrest.LIMIT


def _decode(impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    decode, payloads, limit = impl.decode, c.payloads, _decode_limit(c)
    return lambda: [decode(p, limit=limit) for p in payloads]


def _feed(impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    views = [memoryview(p) for p in c.payloads]

    def run() -> List[List[List[str]]]:
        out = []
        for view in views:
            decoder = impl.Decoder()
            got: List[List[str]] = []
            for i in range(0, len(view), FEED_CHUNK):
                got += decoder.feed(view[i:i + FEED_CHUNK])
            got += decoder.close()
            out.append(got)
        return out
    return run


def _batch(threads: int, impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    decode_batch, payloads = impl.decode_batch, c.payloads
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
    import pyarrow.csv as pacsv

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


def _tokenize_column(impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    tokenize, payloads = impl.tokenize, c.payloads
    return lambda: [tokenize(p).column(VALUE_COLUMN, dtype=float) for p in payloads]


def _decode_column(impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    decode, payloads, limit = impl.decode, c.payloads, _decode_limit(c)
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


def _encode(impl: types.SimpleNamespace, c: Corpus) -> Callable[[], Any]:
    encode, groups = impl.encode, c.groups
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
    decode = _PY().decode
    try:
        return _flatten([decode(p, limit=None) for p in payloads])
    except smartrest.SmartRestError:
        return None


def c_missing(attr: str = "decode") -> Optional[str]:
    """Why the C implementation of ``attr`` cannot run, or None if it can."""
    if smartrest.IMPLEMENTATION != "c":
        return ("SMARTREST_PURE_PYTHON is set" if _implementation.PURE_REQUESTED
                else "C extension not built")
    module = _C().module
    if getattr(module, attr, None) is None:
        return f"{module.__name__} has no {attr}"
    return None


def _has_c(attr: str) -> Callable[[], Optional[str]]:
    return functools.partial(c_missing, attr)


def _has_module(name: str) -> Callable[[], Optional[str]]:
    def missing() -> Optional[str]:
        try:
            importlib.import_module(name)
        except ImportError:
            return f"{name} not installed"
        return None
    return missing


def _needs(*checks: Callable[[], Optional[str]]) -> Callable[[], Optional[str]]:
    """The first reason of ``checks`` that a contender cannot run, or None."""
    def missing() -> Optional[str]:
        return next((r for r in (check() for check in checks) if r is not None), None)
    return missing


def _list_floor(c: Corpus) -> Callable[[], Any]:
    # Per payload, its field records (found by the C tokenizer, not timed);
    # the timed call builds decode's rows from them, every str and list made
    # as decode makes them: decode with a scan that costs nothing.
    module = _C().module
    work = [(p, module._fields_of(p)) for p in c.payloads]
    build = module._rows_from_fields
    return lambda: [build(p, fields) for p, fields in work]


#: The columns of a measurement row the typed-table contenders are compared on.
_TYPED = ("fragment", "series", "value", "unit", "time")


def _typed_rows(columns: Sequence[Any]) -> List[Tuple[Any, ...]]:
    """Rows of the measurement columns (Arrow arrays): dictionaries decoded,
    times as microseconds since the epoch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = []
    for column in columns:
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, pa.string())
        elif pa.types.is_timestamp(column.type):
            column = pc.cast(pc.cast(column, pa.timestamp("us", "UTC")), pa.int64())
        values.append(column.to_pylist())
    return list(zip(*values))


def _expected_typed(c: Corpus) -> List[Tuple[Any, ...]]:
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    micro = datetime.timedelta(microseconds=1)
    return [(r[1], r[2], float(r[3]), r[4],
             (datetime.datetime.fromisoformat(r[5]) - epoch) // micro) for r in c.rows]


def _publishes(c: Corpus) -> List[bytes]:
    """The 16 KB publishes of a corpus (the stream: those it was joined from)."""
    return smartrest.pack(c.rows, topic=c.topic) if c.size == "stream" else c.payloads


def _decode_tables(threads: int, c: Corpus) -> Callable[[], Any]:
    from smartrest.arrow import decode_tables

    payloads, topic = _publishes(c), c.topic
    return lambda: decode_tables(payloads, topics=topic, threads=threads)


def _tables_output(tables: Dict[str, Any]) -> List[Tuple[Any, ...]]:
    table = tables["200"].sort_by([("message", "ascending"), ("row", "ascending")])
    return _typed_rows([table.column(n) for n in _TYPED])


def _csv_inputs(c: Corpus) -> List[bytes]:
    return c.payloads  # each publish, or the stream's one buffer


_CSV_NAMES = [f"f{i}" for i in range(MEASUREMENT_COLUMNS)]


def _csv_output(tables: Sequence[Any]) -> List[Tuple[Any, ...]]:
    out: List[Tuple[Any, ...]] = []
    for table in tables:
        out += _typed_rows([table.column(n) for n in _CSV_NAMES[1:]])
    return out


def _pyarrow_typed(c: Corpus) -> Callable[[], Any]:
    import pyarrow as pa

    read_csv, read, parse, convert = _pyarrow_options(column_types={
        "f0": pa.string(), "f1": pa.string(), "f2": pa.string(), "f3": pa.float64(),
        "f4": pa.string(), "f5": pa.timestamp("us", "UTC")})
    inputs = _csv_inputs(c)
    return lambda: [read_csv(io.BytesIO(p), read_options=read, parse_options=parse,
                             convert_options=convert) for p in inputs]


def _polars_typed(c: Corpus) -> Callable[[], Any]:
    import polars as pl

    types = {"f0": pl.Utf8, "f1": pl.Utf8, "f2": pl.Utf8, "f3": pl.Float64, "f4": pl.Utf8,
             "f5": pl.Datetime("us", "UTC")}
    inputs = _csv_inputs(c)
    return lambda: [pl.read_csv(io.BytesIO(p), has_header=False, new_columns=_CSV_NAMES,
                                schema_overrides=types).to_arrow() for p in inputs]


def _duckdb_typed(c: Corpus) -> Callable[[], Any]:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET threads = 1")
    types = {"f0": "VARCHAR", "f1": "VARCHAR", "f2": "VARCHAR", "f3": "DOUBLE",
             "f4": "VARCHAR", "f5": "TIMESTAMPTZ"}
    inputs = _csv_inputs(c)

    def run() -> List[Any]:
        out = []
        for p in inputs:
            result = connection.read_csv(io.BytesIO(p), header=False, names=_CSV_NAMES,
                                         dtype=types, escapechar="\\", quotechar='"').arrow()
            out.append(result.read_all() if hasattr(result, "read_all") else result)
        return out
    return run


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
    Contender("list-floor", "list floor (decode's lists from precomputed fields)", _list_floor,
              missing=_has_c("_rows_from_fields"), footnote="list-floor"),
)

_ENCODE = (
    Contender("c", "smartrest C", _on(_C, _encode), output=_decoded, missing=_has_c("encode")),
    Contender("python", "smartrest pure Python", _on(_PY, _encode), output=_decoded),
    Contender("csv", "csv.writer", _csv_writer, output=_decoded, exact=False,
              footnote="csv-writer"),
)

_COLUMNS = (
    Contender("c-tokenize", "smartrest C tokenize + column", _on(_C, _tokenize_column),
              output=_column_values, missing=_needs(_has_c("tokenize"), _has_module("numpy"))),
    Contender("c", "smartrest C decode + float()", _on(_C, _decode_column), output=_column_values,
              missing=_has_c("decode")),
    Contender("python", "smartrest pure Python decode + float()", _on(_PY, _decode_column),
              output=_column_values),
    Contender("csv", "csv.reader + float()", _csv_column, output=_column_values, exact=False),
    Contender("pyarrow", "pyarrow.csv.read_csv, 1 thread, one column", _pyarrow_column,
              output=_column_values, exact=False, missing=_has_module("pyarrow"),
              footnote="pyarrow"),
)


_TABLES = (
    Contender("tables", "smartrest decode_tables, 1 thread", functools.partial(_decode_tables, 1),
              output=_tables_output, missing=_has_module("pyarrow"), footnote="tables"),
    Contender("tables-2", "smartrest decode_tables, 2 threads",
              functools.partial(_decode_tables, 2), output=_tables_output,
              missing=_has_module("pyarrow")),
    Contender("pyarrow", "pyarrow.csv.read_csv, 1 thread, typed", _pyarrow_typed,
              output=_csv_output, exact=False, missing=_has_module("pyarrow")),
    Contender("polars", "polars.read_csv, typed", _polars_typed, output=_csv_output,
              exact=False, missing=_has_module("polars"), footnote="polars"),
    Contender("duckdb", "duckdb read_csv, 1 thread, typed", _duckdb_typed, output=_csv_output,
              exact=False, missing=_has_module("duckdb")),
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
    "tables": Task("tables", "typed tables of the measurement columns", _TABLES, "pyarrow",
                   ("measurements",), ("16k", "stream"), _expected_typed),
}


def contenders(task: str) -> Tuple[Contender, ...]:
    """The contenders of ``task`` ("decode", "encode", "columns" or "tables")."""
    return TASKS[task].contenders
