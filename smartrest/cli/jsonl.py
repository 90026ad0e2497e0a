"""The JSON lines of ``smartrest decode --format jsonl``: the C writer and
the same record built in Python."""

from __future__ import annotations

import json
from typing import IO, Callable, Optional

from .rows import RawRow

#: Bytes read per chunk by ``decode --format jsonl`` with the C codec.
DECODE_CHUNK = 1 << 20


def _jsonl_c(stream: IO[bytes], sink: IO[bytes], members: Callable[[bytes], bytes],
             limit: Optional[int], strict: bool) -> None:
    """Write the decode records of ``stream`` to ``sink`` in C, a chunk at a time.

    Raises:
        SmartRestError: malformed input (after the lines of the rows before it).
    """
    from .._codec import _JsonLines

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
