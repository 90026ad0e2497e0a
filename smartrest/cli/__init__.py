"""The ``smartrest`` command line (also ``python -m smartrest``).

Subcommands: ``decode``, ``encode``, ``pack``, ``check``, ``convert`` and ``bench``.
Every one reads a file or standard input (``-``) and writes to standard
output; problems go to standard error with a non-zero exit status (1 for
bad data, 2 for bad usage).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from .. import IMPLEMENTATION as IMPLEMENTATION
from .. import LIMIT as LIMIT
from .. import Decoder as Decoder
from .. import __version__ as __version__
from .. import decode as decode
from .. import encode_row as encode_row
from .. import pack as pack
from .. import packet_size as packet_size
from ..errors import SmartRestError as SmartRestError
from .commands import _bench as _bench
from .commands import cmd_check as cmd_check
from .commands import cmd_decode as cmd_decode
from .commands import cmd_encode as cmd_encode
from .commands import cmd_pack as cmd_pack
from .common import PROG as PROG
from .common import CommandError as CommandError
from .common import _input as _input
from .common import _json_lines as _json_lines
from .common import _open_input as _open_input
from .common import _plural as _plural
from .common import checked_topic as checked_topic
from .convert import CONVERT_CHUNK as CONVERT_CHUNK
from .convert import PROGRESS_EVERY as PROGRESS_EVERY
from .convert import _chunks as _chunks
from .convert import _input_kind as _input_kind
from .convert import _jsonl_publishes as _jsonl_publishes
from .convert import _now as _now
from .convert import _parquet_publishes as _parquet_publishes
from .convert import _Progress as _Progress
from .convert import _TableFiles as _TableFiles
from .convert import cmd_convert as cmd_convert
from .jsonl import DECODE_CHUNK as DECODE_CHUNK
from .jsonl import _jsonl_c as _jsonl_c
from .jsonl import jsonl_record as jsonl_record
from .lookup import _members as _members
from .lookup import _message_parser as _message_parser
from .lookup import _templated as _templated
from .rows import RawRow as RawRow
from .rows import _json_rows as _json_rows
from .rows import field_offset as field_offset
from .rows import read_rows as read_rows
from .speed_args import BENCH_CONTENDERS as BENCH_CONTENDERS
from .speed_args import BENCH_CORPORA as BENCH_CORPORA
from .speed_args import BENCH_SIZES as BENCH_SIZES
from .speed_args import BENCH_TARGETS as BENCH_TARGETS
from .speed_args import BENCH_TASKS as BENCH_TASKS
from .speed_args import add_bench_arguments as add_bench_arguments
from .table import TABLE_CELL as TABLE_CELL
from .table import _cell as _cell
from .table import _field_text as _field_text
from .table import _write_table as _write_table

__all__ = ["main", "build_parser", "add_bench_arguments"]


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
