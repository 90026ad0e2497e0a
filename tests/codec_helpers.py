"""Helpers shared by the codec tests (imported by name; pytest puts this
folder on sys.path)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Sequence, Tuple

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


def scan_path_workers(source: str, ready: str, what: str) -> Iterator[Dict[str, Any]]:
    """One worker process per scan path of the C core, each running the
    Python ``source`` with SMARTREST_SIMD set to its path (and without
    SMARTREST_PURE_PYTHON, so that the C core answers): a generator for a
    fixture, yielding the processes by path.  A worker must first print
    ``ready``; one that prints anything else fails the test, saying that
    ``what`` is not built (it skips only when pure Python was asked for).
    """
    import os
    import subprocess
    import sys

    from smartrest import _implementation

    env = {k: v for k, v in os.environ.items() if k != "SMARTREST_PURE_PYTHON"}
    procs: Dict[str, subprocess.Popen] = {}
    try:
        for path in SCAN_PATHS:
            proc = subprocess.Popen([sys.executable, "-c", source], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True,
                                    env={**env, "SMARTREST_SIMD": path})
            procs[path] = proc
            assert proc.stdout is not None
            said = proc.stdout.readline().strip()
            if said != ready:
                message = f"{what} is not built (the {path} worker said {said!r})"
                if _implementation.PURE_REQUESTED:
                    pytest.skip(message)
                pytest.fail(message + ": build the extension", pytrace=False)
        yield procs
    finally:
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=60)


SCAN_PATHS = ["scalar", "swar", "sse2", "avx2", "avx512"]
