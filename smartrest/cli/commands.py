"""The commands ``decode``, ``encode``, ``pack``, ``check`` and ``bench`` of
the ``smartrest`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any, Dict, List, Optional

from .. import IMPLEMENTATION, LIMIT, decode, encode_row, pack, packet_size
from ..errors import SmartRestError
from .common import CommandError, _input, _plural, checked_topic
from .jsonl import _jsonl_c, jsonl_record
from .lookup import _members, _message_parser, _templated
from .rows import _json_rows, field_offset, read_rows
from .table import _write_table


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
    from .. import templates

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


def _bench(args: argparse.Namespace, out: IO[str]) -> int:
    from .. import bench

    return int(bench.run(args))
