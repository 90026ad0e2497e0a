"""Helpers shared by the codec tests (imported by name; pytest puts this
folder on sys.path)."""

from __future__ import annotations

from typing import Any, Iterable, List, Sequence, Tuple

import pytest

from smartrest import SmartRestError


def error_of(call: Any, *args: Any, **kwargs: Any) -> SmartRestError:
    """The SmartRestError that ``call`` raises (fails the test if none)."""
    with pytest.raises(SmartRestError) as info:
        call(*args, **kwargs)
    return info.value


def where(err: SmartRestError) -> Tuple[type, Any, Any, Any]:
    """An error as (class, offset, row, field)."""
    return (type(err), err.offset, err.row, err.field)


def error_where(call: Any, *args: Any, **kwargs: Any) -> Tuple[type, Any, Any, Any]:
    """The (class, offset, row, field) of the error ``call`` raises."""
    return where(error_of(call, *args, **kwargs))


def outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The result of ``call``, or the class and position of its error."""
    try:
        return call(*args, **kwargs)
    except SmartRestError as err:
        return where(err)


def stream(impl: Any, chunks: Iterable[Any], **options: Any) -> List[List[str]]:
    """Feed ``chunks`` to a Decoder and close it; return all rows."""
    decoder = impl.Decoder(**options)
    rows: List[List[str]] = []
    for chunk in chunks:
        rows += decoder.feed(chunk)
    rows += decoder.close()
    return rows


def stream_outcome(impl: Any, chunks: Iterable[Any], **options: Any) -> Any:
    """Rows from feeding ``chunks`` to a Decoder and closing it, or the error
    (rows returned before the error are left out, as decode returns none)."""
    return outcome(stream, impl, chunks, **options)


def bytewise(data: bytes) -> List[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


def split(data: bytes, cuts: Sequence[int]) -> List[bytes]:
    """``data`` cut at the given points (taken modulo its length + 1)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


def assert_error(err: SmartRestError, cls: type, offset: Any, row: Any, field: Any = None) -> None:
    """``err`` is exactly ``cls`` at that offset, row and field."""
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert (err.offset, err.row, err.field) == (offset, row, field), str(err)
