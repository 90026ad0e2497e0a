"""The ``smartrest`` command line (also ``python -m smartrest``).

Subcommands: ``decode``, ``encode``, ``pack``, ``check``, ``convert`` and ``bench``.
Every one reads a file or standard input (``-``) and writes to standard
output; problems go to standard error with a non-zero exit status (1 for
bad data, 2 for bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import IMPLEMENTATION, LIMIT, Decoder, __version__, decode, encode_row, pack, packet_size
from .errors import SmartRestError

__all__ = ["main", "build_parser", "add_bench_arguments"]

PROG = "smartrest"


class CommandError(Exception):
    """A problem to report on stderr, with the exit status to return."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------- input


def _open_input(name: str) -> IO[bytes]:
    if name == "-":
        return sys.stdin.buffer
    try:
        return open(name, "rb")
    except OSError as exc:
        raise CommandError(f"cannot open {name}: {exc.strerror or exc}", 2) from None


class RawRow:
    """A decoded row with its position in the input."""

    __slots__ = ("index", "offset", "raw", "fields")

    def __init__(self, index: int, offset: int, raw: bytes, fields: List[str]) -> None:
        self.index = index
        self.offset = offset
        self.raw = raw
        self.fields = fields


def read_rows(stream: IO[bytes], *, limit: Optional[int], strict: bool = False) -> Iterator[RawRow]:
    """Decode a stream of SmartREST rows, with each row's byte offset and bytes.

    The decoder is fed line by line: a line whose LF completes a row ends
    that row, a line that does not (an LF inside quotes) continues it, and
    lines with no bytes before their line ending hold no row.

    Raises:
        SmartRestError: malformed input, at its byte offset in the stream.
    """
    decoder = Decoder(limit=limit, strict=strict)
    offset = 0
    index = 0
    pending: List[bytes] = []
    start = 0
    for line in stream:
        if not pending and line in (b"\n", b"\r\n"):
            offset += len(line)
            continue
        if not pending:
            start = offset
        pending.append(line)
        offset += len(line)
        for fields in decoder.feed(line):
            yield RawRow(index, start, b"".join(pending), fields)
            index += 1
            pending = []
    for fields in decoder.close():
        yield RawRow(index, start, b"".join(pending), fields)


def field_offset(raw: bytes, fields: Sequence[str], field: int) -> int:
    """Byte offset of field number ``field`` within the row bytes ``raw``.

    A field past the last one is placed at the end of the row.

    An unquoted field is its value's bytes.  A quoted one ends at the first
    comma before which it decodes, alone, to its value: the scan of a prefix
    that stops inside the quotes reaches the end still quoted and fails.
    """
    end = len(raw) - (2 if raw.endswith(b"\r\n") else 1 if raw.endswith(b"\n") else 0)
    pos = 0
    for value in fields[:field]:
        if raw[pos:pos + 1] != b'"':
            pos += len(value.encode("utf-8")) + 1
            continue
        comma = raw.find(b",", pos)
        while comma >= 0:
            try:
                if decode(raw[pos:comma], limit=None) == [[value]]:
                    break
            except SmartRestError:
                pass
            comma = raw.find(b",", comma + 1)
        if comma < 0:
            return end
        pos = comma + 1
    return min(pos, end)


def checked_topic(topic: Optional[str]) -> Any:
    """The parsed ``topic`` (:func:`smartrest.topics.parse`), ``None`` without one.

    Every command that takes ``--topic`` checks it here.

    Raises:
        CommandError: a malformed topic (status 2), naming the topic and the
            character where the problem starts.
    """
    if topic is None:
        return None
    from . import topics

    try:
        return topics.parse(topic)
    except SmartRestError as exc:
        reason = exc.reason
        prefix = f"topic {topic!r} "
        if reason.startswith(prefix):
            reason = reason[len(prefix):]
        where = ""
        if exc.offset is not None:
            char = len(topic.encode("utf-8")[:exc.offset].decode("utf-8", "ignore"))
            where = f" (at character {char} of the topic)"
        raise CommandError(f"invalid topic {topic!r}: {reason}{where}", 2) from None


def _templated(topic: Optional[str]) -> bool:
    """Whether the static templates (or system messages) apply on ``topic``.

    Raises:
        CommandError: a malformed topic.
    """
    parsed = checked_topic(topic)
    if parsed is None:
        return True
    from . import topics

    return parsed.kind not in (topics.CUSTOM, topics.DEFAULT, topics.SMARTREST1,
                               topics.SMARTREST1_OPERATIONS)


def _members(topic: Optional[str]) -> Callable[[bytes], bytes]:
    """For a message ID (UTF-8), the JSON members ``"name"`` (the name of its
    template on ``topic``, or null) and, when the topic names a child device,
    ``"device"``, as a decode record holds them after ``"template"``.

    Raises:
        CommandError: a malformed topic.
    """
    from . import templates
    from .templates.registry import _where

    templated = _templated(topic)
    device = _where(topic).device if templated else None

    def members(template_id: bytes) -> bytes:
        name = None
        if templated:
            try:
                name = templates.lookup(template_id.decode("utf-8"), topic=topic).name
            except SmartRestError:
                pass
        record: Dict[str, Any] = {"name": name}
        if device is not None:
            record["device"] = device
        return json.dumps(record, ensure_ascii=False)[1:-1].encode("utf-8")

    return members


def _message_parser(topic: Optional[str]) -> Callable[[List[str]], Any]:
    """A function giving the template message of a row, or ``None``."""
    from . import templates

    if not _templated(topic):
        return lambda row: None
    parse = templates.parse

    def message(row: List[str]) -> Any:
        try:
            return parse(row, topic=topic)
        except SmartRestError:
            return None

    return message


# -------------------------------------------------------------- commands


def _field_text(value: str) -> str:
    if value and not any(c in value for c in '|"\\\n\r\t') and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


#: Bytes read per chunk by ``decode --format jsonl`` with the C codec.
DECODE_CHUNK = 1 << 20


def _jsonl_c(stream: IO[bytes], sink: IO[bytes], members: Callable[[bytes], bytes],
             limit: Optional[int], strict: bool) -> None:
    """Write the decode records of ``stream`` to ``sink`` in C, a chunk at a time.

    Raises:
        SmartRestError: malformed input (after the lines of the rows before it).
    """
    from ._codec import _JsonLines

    writer = _JsonLines(members, limit=limit, strict=strict)
    while True:
        chunk = stream.read(DECODE_CHUNK)
        lines, error = writer.feed(chunk, not chunk)
        sink.write(lines)
        if error is not None:
            raise error
        if not chunk:
            return


def jsonl_record(row: RawRow, members: bytes) -> str:
    """The JSON line of a decoded row (what the C writer gives, byte for byte)."""
    return (f'{{"row": {row.index}, "offset": {row.offset}, '
            f'"template": {json.dumps(row.fields[0], ensure_ascii=False)}, '
            f'{members.decode("utf-8")}, '
            f'"fields": {json.dumps(row.fields, ensure_ascii=False)}}}\n')


def cmd_decode(args: argparse.Namespace, out: IO[str]) -> int:
    limit = None if args.no_limit else LIMIT
    members = _members(args.topic)
    with _input(args.file) as stream:
        if args.format == "jsonl" and IMPLEMENTATION == "c" and hasattr(out, "buffer"):
            out.flush()
            _jsonl_c(stream, out.buffer, members, limit, args.strict)
            return 0
        rows = read_rows(stream, limit=limit, strict=args.strict)
        if args.format == "jsonl":
            known: Dict[str, bytes] = {}
            for row in rows:
                extra = known.get(row.fields[0])
                if extra is None:
                    extra = known[row.fields[0]] = members(row.fields[0].encode("utf-8"))
                out.write(jsonl_record(row, extra))
        elif args.format == "rows":
            for row in rows:
                out.write(encode_row(row.fields).decode("utf-8"))
        elif args.format == "publishes":
            if args.topic is None:
                raise CommandError("--format publishes needs --topic", 2)
            for payload in pack([row.fields for row in rows], topic=args.topic):
                out.write(json.dumps({"topic": args.topic, "payload": payload.decode("utf-8")},
                                     ensure_ascii=False) + "\n")
        else:
            _write_table(rows, _message_parser(args.topic), out)
    return 0


#: The widest cell of ``decode --format table``; longer ones end in an ellipsis.
TABLE_CELL = 40


def _cell(text: str) -> str:
    return text if len(text) <= TABLE_CELL else text[:TABLE_CELL - 1] + "\u2026"


def _write_table(rows: Iterator[RawRow], message_of: Callable[[List[str]], Any],
                 out: IO[str]) -> None:
    """An aligned table: the columns are as wide as their widest cell (at most
    :data:`TABLE_CELL` characters), so all rows are read first."""
    lines = []
    for row in rows:
        name = getattr(message_of(row.fields), "name", None)
        lines.append([str(row.index), str(row.offset), _cell(_field_text(row.fields[0])),
                      _cell(name or "-"),
                      " | ".join(_cell(_field_text(v)) for v in row.fields[1:])])
    header = ["ROW", "OFFSET", "ID", "NAME", "FIELDS"]
    widths = [max([len(header[i])] + [len(line[i]) for line in lines]) for i in range(4)]
    for line in [header] + lines:
        out.write(f"{line[0]:>{widths[0]}} {line[1]:>{widths[1]}}  {line[2]:<{widths[2]}} "
                  f"{line[3]:<{widths[3]}} {line[4]}".rstrip() + "\n")


def _json_lines(stream: IO[bytes], where: str = "") -> Iterator[Tuple[int, Any, int]]:
    """(line number, JSON value, bytes of the line) of each line that is not
    blank; ``where`` (such as ``"FILE, "``) starts the error message.

    Raises:
        CommandError: a line that is not JSON.
    """
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), len(line)
        except ValueError as exc:
            raise CommandError(f"{where}line {number}: not JSON: {exc}") from None


def _json_rows(stream: IO[bytes]) -> Iterator[Tuple[int, List[Any]]]:
    """Rows from JSON lines: an array of values or an object with ``"fields"``."""
    for number, item, _ in _json_lines(stream):
        if isinstance(item, dict):
            item = item.get("fields")
        if not isinstance(item, list):
            raise CommandError(f"line {number}: expected a JSON array of values "
                               'or an object with "fields"')
        for field, value in enumerate(item):
            if isinstance(value, (list, dict)):
                raise CommandError(f"line {number}, field {field}: a SmartREST value cannot be "
                                   f"a JSON {'array' if isinstance(value, list) else 'object'}")
        yield number, item


def cmd_encode(args: argparse.Namespace, out: IO[str]) -> int:
    sink = out.buffer if hasattr(out, "buffer") else None
    with _input(args.file) as stream:
        for number, row in _json_rows(stream):
            try:
                line = encode_row(row, quote_escape=args.quote_escape)
            except (SmartRestError, TypeError) as exc:
                raise CommandError(f"line {number}: {exc}") from None
            if sink is not None:
                sink.write(line)
            else:
                out.write(line.decode("utf-8"))
    return 0


def cmd_pack(args: argparse.Namespace, out: IO[str]) -> int:
    checked_topic(args.topic)
    with _input(args.file) as stream:
        if args.input == "jsonl":
            rows: List[List[Any]] = [row for _, row in _json_rows(stream)]
        else:
            rows = [list(row.fields) for row in read_rows(stream, limit=None)]
    payloads = pack(rows, topic=args.topic, qos=args.qos, limit=args.limit,
                    on_oversize=args.on_oversize, quote_escape=args.quote_escape)
    first = 0
    for number, payload in enumerate(payloads):
        count = len(decode(payload, limit=None))
        size = packet_size(args.topic, len(payload), args.qos)
        if args.format == "jsonl":
            out.write(json.dumps({
                "publish": number, "topic": args.topic, "qos": args.qos, "first_row": first,
                "rows": count, "payload_bytes": len(payload), "packet_size": size,
                "payload": payload.decode("utf-8")}, ensure_ascii=False) + "\n")
        else:
            out.write(f"publish {number}: rows {first}-{first + count - 1} ({count}), "
                      f"payload {len(payload)} bytes, packet {size} bytes\n")
        first += count
    sys.stderr.write(f"{_plural(len(rows), 'row')} in {_plural(len(payloads), 'publish')} "
                     f"on {args.topic} "
                     f"at QoS {args.qos} (limit {args.limit} bytes)\n")
    return 0


def cmd_check(args: argparse.Namespace, out: IO[str]) -> int:
    from . import templates

    if not _templated(args.topic):
        raise CommandError(f"topic {args.topic} carries no static templates", 2)
    name = "<stdin>" if args.file == "-" else args.file
    problems = 0
    rows = 0

    def report(row: Optional[int], field: Optional[int], offset: Optional[int], text: str) -> None:
        nonlocal problems
        problems += 1
        where = [f"row {row}" if row is not None else None,
                 f"field {field}" if field is not None else None,
                 f"byte {offset}" if offset is not None else None]
        out.write(f"{name}: {', '.join(w for w in where if w)}: {text}\n")

    with _input(args.file) as stream:
        try:
            for row in read_rows(stream, limit=LIMIT, strict=args.strict):
                rows += 1
                try:
                    templates.parse(row.fields, topic=args.topic, typed=True)
                except SmartRestError as exc:
                    field = exc.field
                    at = row.offset + (field_offset(row.raw, row.fields, field)
                                       if field is not None else 0)
                    report(row.index, field, at, exc.reason)
        except SmartRestError as exc:
            report(exc.row, exc.field, exc.offset, f"{exc}; checking stopped there")
    sys.stderr.write(f"{name}: {_plural(problems, 'problem')} in {_plural(rows, 'row')}\n")
    return 1 if problems else 0


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith('sh') else 's'}"


# --------------------------------------------------------------- convert

#: Payloads decoded per call of ``decode_tables`` (and written per row group).
CONVERT_CHUNK = 20_000
#: Seconds between two plain progress lines when stderr is not a terminal
#: (a terminal's bar is redrawn at most every tenth of a second).
PROGRESS_EVERY = 5.0
_now = time.monotonic


def _input_kind(name: str) -> str:
    """``jsonl``, ``parquet`` or ``raw``, by the file name's suffix."""
    lower = name.lower()
    return "jsonl" if lower.endswith(".jsonl") else (
        "parquet" if lower.endswith(".parquet") else "raw")


def _jsonl_publishes(name: str, stream: IO[bytes], topic: Optional[str]
                     ) -> Iterator[Tuple[Any, Optional[str], int]]:
    for number, item, size in _json_lines(stream, f"{name}, "):
        payload = item.get("payload") if isinstance(item, dict) else None
        if not isinstance(payload, str):
            raise CommandError(f'{name}, line {number}: expected an object with a "payload" '
                               "string")
        item_topic = item.get("topic", topic)
        if item_topic is not None and not isinstance(item_topic, str):
            raise CommandError(f'{name}, line {number}: "topic" must be a string')
        yield payload.encode("utf-8"), item_topic, size


def _parquet_publishes(name: str, topic: Optional[str]
                       ) -> Iterator[Tuple[Any, Any, int]]:
    """(payloads, topics, bytes) per record batch of a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(name)
    except (OSError, pa.ArrowException) as exc:
        raise CommandError(f"cannot read {name}: {exc}", 2) from None
    names = source.schema_arrow.names
    if "payload" not in names:
        raise CommandError(f"{name}: no column 'payload'", 2)
    columns = ["payload"] + (["topic"] if "topic" in names else [])
    size = os.path.getsize(name)
    rows = max(source.metadata.num_rows, 1)
    for batch in source.iter_batches(batch_size=CONVERT_CHUNK, columns=columns):
        topics = batch.column("topic") if "topic" in columns else [topic] * batch.num_rows
        yield batch.column("payload"), topics, size * batch.num_rows // rows


def _chunks(names: Sequence[str], topic: Optional[str]
            ) -> Iterator[Tuple[str, List[Any], List[Any], int]]:
    """(input name, payloads, topics, input bytes) in chunks of at most
    :data:`CONVERT_CHUNK` publishes, each chunk from one input."""
    for name in names:
        kind = _input_kind(name)
        if kind == "parquet":
            for payloads, topics, size in _parquet_publishes(name, topic):
                yield name, payloads, topics, size
            continue
        with _input(name) as stream:
            if kind == "raw":
                data = stream.read()
                yield name, [data], [topic], len(data)
                continue
            payloads, topics, size = [], [], 0
            for payload, item_topic, used in _jsonl_publishes(name, stream, topic):
                payloads.append(payload)
                topics.append(item_topic)
                size += used
                if len(payloads) == CONVERT_CHUNK:
                    yield name, payloads, topics, size
                    payloads, topics, size = [], [], 0
            if payloads:
                yield name, payloads, topics, size


class _Progress:
    """Bytes of input done: a bar on a terminal, else a plain line every
    :data:`PROGRESS_EVERY` seconds (both on stderr)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = _now()

    def advance(self, nbytes: int, publishes: int) -> None:
        self.done += nbytes
        now = _now()
        if not self.enabled or now - self.last < (0.1 if self.tty else PROGRESS_EVERY):
            return
        self.last = now
        share = min(self.done / self.total, 1.0)
        text = (f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB ({share:.0%}), "
                f"{_plural(publishes, 'publish')}")
        if self.tty:
            sys.stderr.write(f"\r\x1b[K[{'#' * int(24 * share):.<24}] {text}")
        else:
            sys.stderr.write(f"{PROG} convert: {text}\n")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class _TableFiles:
    """One Parquet file per table key, written to a hidden name and renamed
    into place by :meth:`close` (removed by :meth:`abort`)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.writers: Dict[str, Any] = {}
        self.rows: Dict[str, int] = {}

    def _path(self, key: str, hidden: bool) -> str:
        return os.path.join(self.directory, f"{'.' if hidden else ''}{key}.parquet"
                            + (".part" if hidden else ""))

    def write(self, key: str, table: Any) -> None:
        import pyarrow.parquet as pq

        writer = self.writers.get(key)
        if writer is None:
            writer = self.writers[key] = pq.ParquetWriter(self._path(key, True), table.schema)
            self.rows[key] = 0
        writer.write_table(table)
        self.rows[key] += table.num_rows

    def close(self) -> Dict[str, str]:
        out = {}
        for key, writer in self.writers.items():
            writer.close()
            out[key] = self._path(key, False)
            os.replace(self._path(key, True), out[key])
        return out

    def abort(self) -> None:
        for key, writer in self.writers.items():
            writer.close()
            os.remove(self._path(key, True))


def cmd_convert(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        from ._offset_tables import decode_tables_at
        from .arrow import decode_tables
    except ImportError as exc:
        raise CommandError(f"convert needs pyarrow (pip install 'smartrest[arrow]'): {exc}",
                           2) from None
    checked_topic(args.topic)
    if "-" in args.inputs:
        raise CommandError("convert reads files, not standard input", 2)
    for name in args.inputs:
        if not os.path.isfile(name):
            raise CommandError(f"cannot open {name}: no such file", 2)
    os.makedirs(args.to, exist_ok=True)
    total = sum(os.path.getsize(name) for name in args.inputs)
    progress = _Progress(total, not args.no_progress)
    files = _TableFiles(args.to)
    first = 0
    starts: Dict[str, int] = {}
    try:
        for name, payloads, topics, size in _chunks(args.inputs, args.topic):
            start = starts.setdefault(name, first)
            try:
                tables = decode_tables_at(first, payloads, topics=topics, errors=args.errors,
                                          threads=args.threads)
            except SmartRestError as exc:
                index = exc.payload_index or 0
                raise CommandError(f"{name}: publish {index - start} "
                                   f"(message {index}): {exc}") from None
            for key, table in tables.items():
                files.write(key, table)
            first += len(payloads)
            progress.advance(size, first)
        if args.errors == "collect" and "errors" not in files.writers:
            files.write("errors", decode_tables([], errors="collect")["errors"])
    except BaseException:
        progress.finish()
        files.abort()
        raise
    progress.finish()
    written = files.close()
    for key, path in written.items():
        out.write(f"{path}: {_plural(files.rows[key], 'row')}\n")
    sys.stderr.write(f"{_plural(first, 'publish')} in {_plural(len(args.inputs), 'input')} "
                     f"to {_plural(len(written), 'file')} in {args.to}\n")
    return 0


def _bench(args: argparse.Namespace, out: IO[str]) -> int:
    from . import bench

    return int(bench.run(args))


# ---------------------------------------------------------------- parser


class _input:
    """Context manager: the named file or stdin, closed after use (stdin is not)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stream: Optional[IO[bytes]] = None

    def __enter__(self) -> IO[bytes]:
        self.stream = _open_input(self.name)
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None and self.name != "-":
            self.stream.close()


def _add_file(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("file", nargs="?", default="-", metavar="FILE",
                        help=f"{what} ('-' or nothing: standard input)")


def _qos(text: str) -> int:
    if text not in ("0", "1", "2"):
        raise argparse.ArgumentTypeError(f"QoS must be 0, 1 or 2, not {text!r}")
    return int(text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


# The choices and defaults of ``smartrest bench``, written out so that the
# parser is built without importing the bench (tests check them against it).
BENCH_TASKS = ("decode", "encode", "columns", "tables")
BENCH_CORPORA = ("mixed", "measurements", "operations")
BENCH_SIZES = ("row", "1k", "16k", "stream")
BENCH_CONTENDERS = ("c", "python", "csv", "naive", "pyarrow", "c-feed", "python-feed",
                    "c-batch", "c-batch-2", "list-floor", "c-tokenize", "tables", "tables-2",
                    "polars", "duckdb")
BENCH_TARGETS = "benchmarks/targets.json"


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``smartrest bench`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="small corpora, fewer rounds (a smoke run of a few seconds)")
    parser.add_argument("--task", action="append", choices=BENCH_TASKS,
                        help="task to run (repeatable; default: all)")
    parser.add_argument("--corpus", action="append", choices=BENCH_CORPORA,
                        help="corpus to use (repeatable; default: all)")
    parser.add_argument("--size", action="append", choices=BENCH_SIZES,
                        help="payload size (repeatable; default: all)")
    parser.add_argument("--contender", action="append", metavar="KEY",
                        help="only these contenders (repeatable), by key: "
                             + ", ".join(BENCH_CONTENDERS))
    parser.add_argument("--stream-mb", type=float, metavar="MB",
                        help="size of the stream corpus (default 50, 1 with --quick)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="timing rounds per measurement, the best is kept (default 5, 3 "
                             "with --quick)")
    parser.add_argument("--min-time", type=float, metavar="S",
                        help="least time per round in seconds (default 0.2, 0.02 with --quick)")
    parser.add_argument("--seed", type=int, help="corpus seed")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE; then "
                             "no table is printed)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw MB/s per contender and size (needs matplotlib)")
    parser.add_argument("--targets", metavar="FILE",
                        help=f"speed targets to report, a JSON file like {BENCH_TARGETS} "
                             "(default: that file if it is in the current directory)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress on stderr (a bar on a terminal, else a line per table)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Decode, encode, pack and check Cumulocity IoT SmartREST payloads "
                    "(rows of comma-separated values sent over MQTT).",
        epilog=f"Exit status: 0 success, 1 bad data (or problems found by check), "
               f"2 bad usage. Codec in use: {IMPLEMENTATION}.",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} ({IMPLEMENTATION} codec)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    p = commands.add_parser(
        "decode", help="decode SmartREST rows to JSON lines or a table",
        description="Decode SmartREST rows. Each row is printed with its 0-based index, the "
                    "byte offset where it starts and, where the static templates know it, "
                    "the template name.")
    _add_file(p, "SmartREST rows to decode")
    p.add_argument("--topic", help="the MQTT topic the rows came from (e.g. s/ds, s/us); "
                                   "names are only looked up for static-template topics")
    p.add_argument("--format", choices=("jsonl", "table", "rows", "publishes"),
                   default="jsonl",
                   help="jsonl: one JSON object per row (default); table: aligned text, "
                        f"cells longer than {TABLE_CELL} characters cut with an ellipsis; "
                        "rows: the SmartREST rows again (encode_row); publishes: one JSON "
                        'line {"topic": ..., "payload": ...} per publish of the rows packed '
                        "on --topic (what convert reads)")
    p.add_argument("--strict", action="store_true",
                   help="reject text after a closing quote")
    p.add_argument("--no-limit", action="store_true",
                   help=f"accept rows longer than the {LIMIT}-byte packet limit (logs)")
    p.set_defaults(func=cmd_decode)

    p = commands.add_parser(
        "encode", help="encode JSON lines to SmartREST rows",
        description="Encode JSON lines to SmartREST rows. Each line is a JSON array of "
                    "values (strings, numbers, true/false, null) or an object with a "
                    '"fields" array, as decode writes.')
    _add_file(p, "JSON lines to encode")
    p.add_argument("--quote-escape", choices=("backslash", "double"), default="backslash",
                   help='write a " inside quotes as \\" (default, current spec) or "" '
                        "(older peers)")
    p.set_defaults(func=cmd_encode)

    p = commands.add_parser(
        "pack", help="group rows into MQTT publishes within the packet limit",
        description="Group rows, whole and in order, into MQTT publishes whose exact packet "
                    "size (header, topic, packet id, payload) stays within the limit, and "
                    "print each publish with its sizes.")
    _add_file(p, "rows to pack")
    p.add_argument("--topic", required=True, help="the topic to publish on (its length counts)")
    p.add_argument("--qos", type=_qos, default=0, help="0, 1 or 2 (default 0); QoS 1 and 2 "
                                                       "add a 2-byte packet id")
    p.add_argument("--input", choices=("smartrest", "jsonl"), default="smartrest",
                   help="the input holds SmartREST rows (default) or JSON lines")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl",
                   help="jsonl: one JSON object per publish with its payload (default); "
                        "table: sizes only")
    p.add_argument("--limit", type=_positive, default=LIMIT,
                   help=f"largest packet in bytes (default {LIMIT})")
    p.add_argument("--on-oversize", choices=("raise", "truncate"), default="raise",
                   help="a row too large for one publish is an error (default) or has its "
                        "last field cut")
    p.add_argument("--quote-escape", choices=("backslash", "double"), default="backslash",
                   help="how to write a quote inside quotes (default backslash)")
    p.set_defaults(func=cmd_pack)

    p = commands.add_parser(
        "check", help="validate rows against the static templates",
        description="Validate SmartREST rows against the static templates. Each problem is "
                    "printed as 'FILE: row R, field F, byte B: reason' (0-based row and "
                    "field, byte offset in the input). Exit status 1 when there is any.")
    _add_file(p, "SmartREST rows to check")
    p.add_argument("--topic", help="the topic the rows are for (e.g. s/us or s/ds); decides "
                                   "whether downstream or upstream templates apply")
    p.add_argument("--strict", action="store_true",
                   help="also report text after a closing quote")
    p.set_defaults(func=cmd_check)

    p = commands.add_parser(
        "convert", help="decode publishes into one Parquet file per template",
        description="Decode captured publishes with smartrest.arrow.decode_tables and write "
                    "DIR/<template>.parquet for each template (and DIR/errors.parquet with "
                    "--errors collect). The message column counts the publishes of all "
                    "inputs, in order. Each input is read by its name: FILE.jsonl holds "
                    'JSON lines {"topic": ..., "payload": ...} (as "smartrest pack --format '
                    'jsonl" writes them), FILE.parquet has a payload column (bytes or '
                    "string) and an optional topic column, and any other file is one raw "
                    "publish payload, on --topic (a log of rows larger than a publish is "
                    "packed first: smartrest pack --format jsonl).",
        epilog="Files are written under hidden names and renamed when every input has been "
               "read, so an error leaves no partial output. Needs pyarrow.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="publishes to convert")
    p.add_argument("--to", required=True, metavar="DIR", help="directory of the Parquet files")
    p.add_argument("--topic", help="the topic of raw payloads and of JSON lines and Parquet "
                                   "rows that have none (default: none, as decode_tables)")
    p.add_argument("--errors", choices=("raise", "collect"), default="raise",
                   help="raise: stop at the first bad publish (default); collect: leave bad "
                        "rows out and list them in errors.parquet")
    p.add_argument("--threads", type=_positive, default=1,
                   help="threads of the C decoder (default 1)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress on stderr (a bar on a terminal, else a line every "
                        f"{PROGRESS_EVERY:g} s)")
    p.set_defaults(func=cmd_convert)

    p = commands.add_parser(
        "bench", help="measure codec throughput",
        description="Measure decode and encode throughput (MB/s, rows/s) against the "
                    "standard library on generated SmartREST corpora.",
        epilog="The speed targets of the smartrest project are reported after the tables "
               f"when {BENCH_TARGETS} is found in the current directory (run from the root "
               "of a source checkout), or when --targets names such a file.")
    add_bench_arguments(p)
    p.set_defaults(func=_bench)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        status = int(args.func(args, out))
        out.flush()
        return status
    except CommandError as exc:
        sys.stderr.write(f"{PROG} {args.command}: error: {exc}\n")
        return exc.status
    except (SmartRestError, TypeError, ValueError) as exc:
        sys.stderr.write(f"{PROG} {args.command}: error: {exc}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (``smartrest decode big | head``): not an error.
        # Point stdout at /dev/null so that the flush at exit does not fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
