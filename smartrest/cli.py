"""The ``smartrest`` command line (also ``python -m smartrest``).

Subcommands: ``decode``, ``encode``, ``pack``, ``check`` and ``bench``.
Every one reads a file or standard input (``-``) and writes to standard
output; problems go to standard error with a non-zero exit status (1 for
bad data, 2 for bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Any, Callable, Iterator, List, Optional, Sequence, Tuple

from . import IMPLEMENTATION, LIMIT, Decoder, __version__, decode, encode_row, pack, packet_size
from .errors import SmartRestError

__all__ = ["main", "build_parser"]

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


def _templated(topic: Optional[str]) -> bool:
    """Whether the static templates (or system messages) apply on ``topic``.

    Raises:
        CommandError: a malformed topic.
    """
    if topic is None:
        return True
    from . import topics

    try:
        kind = topics.parse(topic).kind
    except SmartRestError as exc:
        raise CommandError(str(exc), 2) from None
    return kind not in (topics.CUSTOM, topics.DEFAULT, topics.SMARTREST1,
                        topics.SMARTREST1_OPERATIONS)


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


def cmd_decode(args: argparse.Namespace, out: IO[str]) -> int:
    limit = None if args.no_limit else LIMIT
    if args.format == "table":
        out.write(f"{'ROW':>5} {'OFFSET':>8}  {'ID':<5} {'NAME':<28} FIELDS\n")
    message_of = _message_parser(args.topic)
    with _input(args.file) as stream:
        for row in read_rows(stream, limit=limit, strict=args.strict):
            message = message_of(row.fields)
            name = getattr(message, "name", None)
            device = getattr(message, "device", None)
            if args.format == "jsonl":
                record = {"row": row.index, "offset": row.offset, "template": row.fields[0],
                          "name": name}
                if device is not None:
                    record["device"] = device
                record["fields"] = row.fields
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                shown = " | ".join(_field_text(v) for v in row.fields[1:])
                out.write(f"{row.index:>5} {row.offset:>8}  {_field_text(row.fields[0]):<5} "
                          f"{name or '-':<28} {shown}\n")
    return 0


def _json_rows(stream: IO[bytes]) -> Iterator[Tuple[int, List[Any]]]:
    """Rows from JSON lines: an array of values or an object with ``"fields"``."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise CommandError(f"line {number}: not JSON: {exc}") from None
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
            report(exc.row, exc.field, exc.offset, exc.reason + " (checking stopped here)")
    sys.stderr.write(f"{name}: {_plural(problems, 'problem')} in {_plural(rows, 'row')}\n")
    return 1 if problems else 0


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith('sh') else 's'}"


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
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl",
                   help="jsonl: one JSON object per row (default); table: aligned text")
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

    from . import bench

    p = commands.add_parser(
        "bench", help="measure codec throughput",
        description="Measure decode and encode throughput (MB/s, rows/s) against the "
                    "standard library on generated SmartREST corpora.")
    bench.add_arguments(p)
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
