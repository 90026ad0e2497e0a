"""decode_messages against plain decode on full 16 KB publishes.

The target: ``decode_messages`` costs at most twice ``smartrest.decode`` on
the same payloads.  Both cases of a corpus share a benchmark group, so the
ratio is the ``decode_messages`` row's mean (or min) over the ``decode``
row's.  The mixed corpus writes a few rows the registry rejects (``210``
with one value and a time, ``305``/``306`` without severity); they are left
out here, so every payload reads through its templates.

Run with ``python -m pytest benchmarks/test_bench_messages.py --benchmark-only``.
"""

from __future__ import annotations

import functools
from typing import List, Tuple

import pytest

import smartrest
from smartrest import bench
from smartrest import templates as T
from smartrest.errors import TemplateError

CORPORA = ("mixed", "measurements", "operations")


@functools.lru_cache(maxsize=None)
def valid_corpus(name: str) -> Tuple[str, List[bytes], int]:
    """(topic, payloads, rows) of the 16 KB corpus ``name`` with only rows that fit."""
    c = bench.build_corpus(name, "16k")
    payloads = []
    rows = 0
    for payload in c.payloads:
        good = []
        for row in smartrest.decode(payload, topic=c.topic):
            try:
                T.parse(row, topic=c.topic)
            except TemplateError:
                continue
            good.append(row)
        rows += len(good)
        payloads.append(smartrest.encode(good))
    return c.topic, payloads, rows


def _run(benchmark, name, call):
    topic, payloads, rows = valid_corpus(name)
    benchmark.group = f"decode_messages {name} 16k"
    benchmark.extra_info.update(implementation=smartrest.IMPLEMENTATION,
                                fast_path=T._FAST is not None, rows=rows,
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
