"""Input rows of the ``smartrest`` command line: SmartREST rows with their
byte offsets, and rows given as JSON lines."""

from __future__ import annotations

from typing import IO, Any, Iterator, List, Optional, Sequence, Tuple

from .. import Decoder, decode
from ..errors import SmartRestError
from .common import CommandError, _json_lines


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
