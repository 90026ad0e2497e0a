"""Reading a payload: one rule for both implementations of the codec.

A payload is ``bytes``, ``str`` (read as its UTF-8) or any other object
that exports a C-contiguous buffer.  The bytes of ``bytes`` (and of a
memoryview over ``bytes``) cannot change, so they are read where they lie.
Every other buffer (``bytearray``, a writable memoryview, ``mmap``, numpy
arrays, ``array.array``) may change while it is read, from another thread,
another process or code that a decode runs (a garbage-collector callback):
it is copied once, after the size check, so that no ``str`` is ever built
from bytes other than those that were validated.
"""

from __future__ import annotations

import re
from typing import Any, Union

View = Union[bytes, memoryview]


def payload_view(payload: Any) -> View:
    """``payload`` as ``bytes`` or as a flat byte memoryview, without a copy
    (a ``str`` is encoded).

    Raises:
        TypeError: ``payload`` is neither bytes-like nor ``str``, or its
            buffer is not C-contiguous.
        ValueError: its buffer cannot be read now (a released memoryview,
            a closed mmap).
    """
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):  # a subclass too, read as its characters
        return str.encode(payload, "utf-8", "surrogatepass")
    try:
        view = memoryview(payload)
    except (TypeError, BufferError):
        raise TypeError(
            f"payload must be bytes-like or str, not {type(payload).__name__}") from None
    except ValueError as exc:
        raise ValueError(f"payload cannot be read: {exc}") from None
    if not view.c_contiguous:
        view.release()
        raise TypeError(
            f"payload must be a C-contiguous buffer; this {type(payload).__name__} is not")
    if view.ndim != 1 or view.format != "B":
        view = view.cast("B")
    return view


def is_stable(view: View) -> bool:
    """Whether the bytes of ``view`` (from :func:`payload_view`) cannot change."""
    return isinstance(view, bytes) or isinstance(view.obj, bytes)


def payload_bytes(view: View) -> bytes:
    """The bytes of ``view``: itself if ``bytes``, else a copy."""
    return view if isinstance(view, bytes) else view.tobytes()


# The structure needed to count rows (docs/dialect.md section 2): a field
# that starts with a quote runs to its closing quote (\" and "" are pairs),
# then every field runs to the next comma or LF.
_QUOTED = re.compile(rb'"(?=((?:[^"\\]+|\\"|""|\\)*))\1"')
_SEP = re.compile(rb"[,\n]")


def skip_empty_lines(data: bytes, start: int) -> int:
    """The offset of the first byte at or after ``start`` that is not part
    of an empty line (LF alone, or CR LF): where the next row begins."""
    while True:
        if data.startswith(b"\n", start):
            start += 1
        elif data.startswith(b"\r\n", start):
            start += 2
        else:
            return start


def count_rows(data: bytes) -> int:
    """How many rows end in ``data`` (at a LF outside quotes; empty lines
    are no rows): the index of the row that the byte at ``len(data)`` is in.
    Used to name the row of an error that is found by size, not by a scan."""
    n = len(data)
    pos = 0
    rows = 0
    while True:
        pos = skip_empty_lines(data, pos)
        if pos >= n:
            return rows
        while True:  # the fields of one row
            if data.startswith(b'"', pos):
                match = _QUOTED.match(data, pos)
                if match is None:
                    return rows
                pos = match.end()
            sep = _SEP.search(data, pos)
            if sep is None:
                return rows
            pos = sep.end()
            if data[sep.start()] == 0x0A:
                rows += 1
                break
