"""Speed of smartrest.arrow.decode_tables on measurement publishes (not a test).

Builds about 50 MB of ``200,c8y_Temperature,T,<float>,C,<iso date>`` rows
packed into 16 KB payloads (the default packet limit) with
:func:`smartrest.pack`, and prints MB/s of ``decode_tables``,
``pyarrow.csv.read_csv`` and ``polars.read_csv`` on the same bytes, with 1
and 2 threads, for the whole batch and for one 16 KB publish, and the speed
ratios of ``decode_tables`` to the others at the same thread count (above 1
is faster).  Each figure is the best of interleaved rounds in one process,
so that load from other processes touches every contender alike.  polars
fixes its thread count when imported (``POLARS_MAX_THREADS``), so each
thread count runs in a process of its own.  Run:
``python benchmarks/arrow_speed.py [MB] [rounds]``.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import random
import subprocess
import sys
import time
from typing import Callable, Dict, List

import pyarrow as pa
import pyarrow.csv as pacsv

import smartrest
from smartrest.arrow import decode_tables

if len(sys.argv) > 3:  # a child of main(): the thread count before polars starts
    os.environ["POLARS_MAX_THREADS"] = sys.argv[3]
try:
    import polars as pl
except ImportError:  # polars is optional here
    pl = None


def payloads(megabytes: float) -> List[bytes]:
    """Measurement publishes of about ``megabytes`` MB in all."""
    rng = random.Random(1)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    rows, size = [], 0
    while size < megabytes * 1e6:
        when = (start + dt.timedelta(milliseconds=len(rows) * 250)).isoformat(
            timespec="milliseconds")
        row = ["200", "c8y_Temperature", "T", f"{rng.uniform(-40, 60):.2f}", "C", when]
        rows.append(row)
        size += sum(map(len, row)) + 6
    return smartrest.pack(rows, topic="s/us")  # the default limit: about 16 KB each


def contenders(data: List[bytes], threads: int) -> Dict[str, Callable[[], object]]:
    """name -> a call decoding ``data`` once, with ``threads`` threads (and
    decode_tables with 1 thread too)."""
    array = pa.array(data, pa.binary())
    blob = b"".join(data)
    names = [f"f{i}" for i in range(6)]
    out: Dict[str, Callable[[], object]] = {}
    for n in sorted({1, threads}):
        out[f"decode_tables/{n}"] = lambda n=n: decode_tables(array, topics="s/us", threads=n)
    read = pacsv.ReadOptions(column_names=names, use_threads=threads > 1)
    out[f"pyarrow.csv.read_csv/{threads}"] = (
        lambda: pacsv.read_csv(io.BytesIO(blob), read_options=read))
    if pl is not None:
        out[f"polars.read_csv/{threads}"] = (
            lambda: pl.read_csv(io.BytesIO(blob), has_header=False, new_columns=names))
    return out


def best(calls: Dict[str, Callable[[], object]], seconds: float, rounds: int) -> Dict[str, float]:
    """The best seconds per call of each, over interleaved rounds of at
    least ``seconds`` each."""
    out = {name: float("inf") for name in calls}
    gc.disable()
    try:
        for _ in range(rounds):
            for name, fn in calls.items():
                count, t0 = 0, time.perf_counter()
                while True:
                    fn()
                    count += 1
                    spent = time.perf_counter() - t0
                    if spent >= seconds:
                        break
                out[name] = min(out[name], spent / count)
    finally:
        gc.enable()
    return out


def report(title: str, data: List[bytes], threads: int, seconds: float, rounds: int) -> None:
    total = sum(map(len, data)) / 1e6
    times = best(contenders(data, threads), seconds, rounds)
    print(f"\n{title}, {threads} thread(s): {len(data)} payloads, {total:.2f} MB")
    for name, s in times.items():
        print(f"  {name:26} {total / s:9.1f} MB/s")
    mine = times[f"decode_tables/{threads}"]
    for other in ("pyarrow.csv.read_csv", "polars.read_csv"):
        key = f"{other}/{threads}"
        if key in times:
            print(f"  decode_tables vs {other}: {times[key] / mine:6.2f}x")
    if threads > 1:
        print(f"  decode_tables {threads} threads vs 1 thread: "
              f"{times['decode_tables/1'] / mine:6.2f}x")


def main() -> None:
    megabytes = sys.argv[1] if len(sys.argv) > 1 else "50"
    rounds = sys.argv[2] if len(sys.argv) > 2 else "5"
    if len(sys.argv) > 3:
        threads = int(sys.argv[3])
        data = payloads(float(megabytes))
        report("batch", data, threads, 0.0, int(rounds))
        report("one 16 KB publish", data[:1], threads, 0.05, int(rounds))
        return
    print(f"implementation {smartrest.IMPLEMENTATION}, pyarrow {pa.__version__}, "
          f"polars {pl.__version__ if pl is not None else 'missing'}", flush=True)
    for threads in ("1", "2"):
        subprocess.run([sys.executable, __file__, megabytes, rounds, threads], check=True)


if __name__ == "__main__":
    main()
