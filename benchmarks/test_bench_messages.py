"""decode_messages against plain decode on full 16 KB publishes.

The target: ``decode_messages`` costs at most twice ``smartrest.decode`` on
the same payloads.  Both cases of a corpus share a benchmark group, so the
ratio is the ``decode_messages`` row's mean (or min) over the ``decode``
row's.  Every row of the generated corpora fits its template (a test in
tests/test_bench.py checks that).

Run with ``python -m pytest benchmarks/test_bench_messages.py --benchmark-only``.
"""

from __future__ import annotations

from typing import List, Tuple

import pytest

import smartrest
from smartrest import bench
from smartrest import templates as T

CORPORA = ("mixed", "measurements", "operations")


def valid_corpus(name: str) -> Tuple[str, List[bytes], int]:
    """(topic, payloads, rows) of the 16 KB corpus ``name``."""
    c = bench.build_corpus(name, "16k")
    return c.topic, c.payloads, len(c.rows)


def _run(benchmark, name, call):
    topic, payloads, rows = valid_corpus(name)
    benchmark.group = f"decode_messages {name} 16k"
    benchmark.extra_info.update(implementation=smartrest.IMPLEMENTATION,
                                fast_path=T.payload._FAST is not None, rows=rows,
                                bytes=sum(map(len, payloads)))
    result = benchmark(lambda: [call(p, topic=topic) for p in payloads])
    assert sum(map(len, result)) == rows
    return result


@pytest.mark.parametrize("name", CORPORA)
def test_decode(benchmark, name):
    _run(benchmark, name, smartrest.decode)


@pytest.mark.parametrize("name", CORPORA)
def test_decode_messages(benchmark, name):
    result = _run(benchmark, name, T.decode_messages)
    assert all(type(m) is T.Message for part in result for m in part)
