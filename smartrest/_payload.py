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
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
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
