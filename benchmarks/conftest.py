"""pytest-benchmark cases built from the ``smartrest bench`` harness.

Run with ``python -m pytest benchmarks/ --benchmark-only`` (the default
``pytest`` run only collects ``tests/``).  Each case times one contender on
one corpus; cases of the same task, corpus and size share a benchmark group,
so ``--benchmark-compare`` tracks each against the standard library.
``SMARTREST_BENCH_STREAM_MB`` sets the size of the stream corpus (default 10).
"""

from __future__ import annotations

import os

import pytest

from smartrest import bench

STREAM_BYTES = int(float(os.environ.get("SMARTREST_BENCH_STREAM_MB", "10")) * 1_000_000)


def cases(task, sizes):
    """``pytest.param(contender, corpus, size)`` for every applicable case."""
    t = bench.TASKS[task]
    return [
        pytest.param(k, name, size, id=f"{name}-{size}-{k.key}")
        for name in t.corpora
        for size in sizes
        if size in t.sizes
        for k in t.contenders
        if k.applies(name, size)
    ]


@pytest.fixture
def run_case(benchmark):
    """Time ``contender`` on a corpus; check its output if it claims to be exact."""

    def run(task, contender, name, size):
        reason = contender.missing()
        if reason is not None:
            pytest.skip(reason)
        total = STREAM_BYTES if size == "stream" else None
        corpus = bench.build_corpus(name, size, total)
        benchmark.group = f"{task} {name} {size}"
        benchmark.extra_info.update(bytes=corpus.nbytes, rows=len(corpus.rows))
        result = benchmark(contender.make(corpus))
        if benchmark.stats is not None:  # None with --benchmark-disable
            best = benchmark.stats.stats.min
            benchmark.extra_info.update(mb_per_s=corpus.nbytes / best / 1e6,
                                        rows_per_s=len(corpus.rows) / best)
        if contender.exact:
            assert contender.output(result) == bench.TASKS[task].expected(corpus)

    return run
