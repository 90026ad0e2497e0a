"""Timing: rounds of calls, interleaved between contenders, the best kept."""

from __future__ import annotations

import gc
import math
import time
from typing import Any, Callable, List, Sequence


def _round(call: Callable[[], Any], min_time: float) -> float:
    """Mean time of one ``call()`` over calls lasting at least ``min_time``."""
    loops = 0
    start = time.perf_counter()
    while True:
        call()
        loops += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / loops


def measure(call: Callable[[], Any], *, repeat: int, min_time: float) -> float:
    """Best time in seconds of one ``call()``.

    Each of ``repeat`` rounds calls it until ``min_time`` has passed and
    keeps the mean; the best round wins (the least disturbed one).  The
    garbage collector is off while timing, as in :mod:`timeit`.
    """
    return measure_all([call], repeat=repeat, min_time=min_time)[0]


def measure_all(calls: Sequence[Callable[[], Any]], *, repeat: int,
                min_time: float) -> List[float]:
    """Best time of each call, the rounds of all calls interleaved.

    Round r of every contender runs before round r + 1 of any, so a burst
    of load from elsewhere on a shared machine hits all contenders alike
    and the ratios between them stay fair.
    """
    best = [math.inf] * len(calls)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for i, call in enumerate(calls):
                best[i] = min(best[i], _round(call, min_time))
    finally:
        if enabled:
            gc.enable()
    return best
