"""``smartrest convert``: captured publishes to one Parquet file per template."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ..errors import SmartRestError
from .common import PROG, CommandError, _input, _json_lines, _plural, checked_topic

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
        from .._offset_tables import decode_tables_at
        from ..arrow import decode_tables
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
