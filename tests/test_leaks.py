"""Leak checks: object counts, Python allocator blocks, C heap (mallinfo2)
and RSS stay flat over 100,000 decode, encode, feed, pack and tokenize calls,
including the error paths.

Each check runs 100,000 calls of the C implementation; the pure-Python
implementation runs 10,000 (100,000 with SMARTREST_LEAK_FULL=1), which is
enough to see a leak of one object per call.  A leak check under valgrind
is described in fuzz/README.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

import pytest

from smartrest import _pure_batch
from smartrest.errors import SmartRestError

FULL = os.environ.get("SMARTREST_LEAK_FULL", "") not in ("", "0")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]


def _c_heap():
    """Bytes in use in the C heap (glibc), or None elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def _rss_kib():
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _snapshot():
    gc.collect()
    return {
        "objects": len(gc.get_objects()),
        "blocks": sys.getallocatedblocks(),
        "c_heap": _c_heap(),
        "rss_kib": _rss_kib(),
    }


# Allowed growth over the measured calls: far below one unit per call.
SLACK = {"objects": 200, "blocks": 2000, "c_heap": 512 * 1024, "rss_kib": 4096}

PAYLOADS = [
    b"".join(b'200,c8y_T%d,T,%d.5\n510,"a\\"b,c\n",\xc3\xa9\xe2\x82\xac\n' % (i % 7, i)
             for i in range(k))
    for k in range(1, 30)
]
BAD = [b'"open', b"a,\xff", b'"a"x\n', b"x" * 20000, b"ok\n\xed\xa0\x80"]
ROWS = [[["200", "c8y_T", "T", i, 1.5, None, True, "a,b\\", 'q"q', "\u00e9\n"]] * 5
        for i in range(30)]


def _calls(impl):
    """Each operation, as a function of the call number."""
    def decode(i):
        impl.decode(PAYLOADS[i % len(PAYLOADS)])

    def decode_error(i):
        try:
            impl.decode(BAD[i % len(BAD)], strict=True)
        except SmartRestError:
            pass
        else:  # pragma: no cover
            raise AssertionError("no error")

    def encode(i):
        impl.encode(ROWS[i % len(ROWS)], quote_escape="double" if i & 1 else "backslash")
        impl.encode_row(ROWS[i % len(ROWS)][0])

    def encode_error(i):
        try:
            impl.encode([["a"], ["b", object() if i & 1 else "\ud800"]])
        except (TypeError, SmartRestError):
            pass

    def feed(i):
        decoder = impl.Decoder(limit=64 if i % 5 == 0 else 16184)
        payload = PAYLOADS[i % len(PAYLOADS)]
        try:
            decoder.feed(payload[: i % 50])
            decoder.feed(payload[i % 50:])
            decoder.feed(b'"unfinished')
            decoder.close()
        except SmartRestError:
            pass

    def pack(i):
        impl.pack(ROWS[i % len(ROWS)], topic="s/us", limit=120 + i % 200,
                  on_oversize="truncate")

    columnar = impl.module if impl.name == "c" else _pure_batch

    def tokenize(i):
        tokens = columnar.tokenize(PAYLOADS[i % len(PAYLOADS)])
        if i & 1:  # the numpy arrays are made on first use: with and without
            tokens.starts, tokens.ends, tokens.flags, tokens.row_starts
        tokens.column(3, dtype=float)
        tokens.column(4, dtype=str)
        tokens.row(len(tokens) - 1)
        try:
            columnar.tokenize(BAD[i % 3], strict=True)  # the structural errors
        except SmartRestError:
            pass
        else:  # pragma: no cover
            raise AssertionError("no error")

    return {"decode": decode, "decode_error": decode_error, "encode": encode,
            "encode_error": encode_error, "feed": feed, "pack": pack,
            "tokenize": tokenize}


OPS = ["decode", "decode_error", "encode", "encode_error", "feed", "pack", "tokenize"]


@pytest.mark.slow
@pytest.mark.parametrize("op", OPS)
def test_memory_stays_flat(impl, op):
    if op == "tokenize":
        pytest.importorskip("numpy")
    n = 100_000 if impl.name == "c" or FULL else 10_000
    call = _calls(impl)[op]
    for i in range(2000):  # warm caches, free lists and the string cache
        call(i)
    before = _snapshot()
    for i in range(n):
        call(i)
    after = _snapshot()
    grown = {k: after[k] - before[k] for k in before if before[k] is not None}
    too_much = {k: v for k, v in grown.items() if v > SLACK[k]}
    assert not too_much, f"{op}: grew {grown} over {n} calls"
