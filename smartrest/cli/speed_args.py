"""The options of ``smartrest bench``."""

from __future__ import annotations

import argparse

# The choices and defaults of ``smartrest bench``, written out so that the
# parser is built without importing the bench (tests check them against it).
BENCH_TASKS = ("decode", "encode", "columns", "tables")
BENCH_CORPORA = ("mixed", "measurements", "operations")
BENCH_SIZES = ("row", "1k", "16k", "stream")
BENCH_CONTENDERS = ("c", "python", "csv", "naive", "pyarrow", "c-feed", "python-feed",
                    "c-batch", "c-batch-2", "list-floor", "c-tokenize", "tables", "tables-2",
                    "polars", "duckdb")
BENCH_TARGETS = "benchmarks/targets.json"


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``smartrest bench`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="small corpora, fewer rounds (a smoke run of a few seconds)")
    parser.add_argument("--task", action="append", choices=BENCH_TASKS,
                        help="task to run (repeatable; default: all)")
    parser.add_argument("--corpus", action="append", choices=BENCH_CORPORA,
                        help="corpus to use (repeatable; default: all)")
    parser.add_argument("--size", action="append", choices=BENCH_SIZES,
                        help="payload size (repeatable; default: all)")
    parser.add_argument("--contender", action="append", metavar="KEY",
                        help="only these contenders (repeatable), by key: "
                             + ", ".join(BENCH_CONTENDERS))
    parser.add_argument("--stream-mb", type=float, metavar="MB",
                        help="size of the stream corpus (default 50, 1 with --quick)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="timing rounds per measurement, the best is kept (default 5, 3 "
                             "with --quick)")
    parser.add_argument("--min-time", type=float, metavar="S",
                        help="least time per round in seconds (default 0.2, 0.02 with --quick)")
    parser.add_argument("--seed", type=int, help="corpus seed")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE; then "
                             "no table is printed)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw MB/s per contender and size (needs matplotlib)")
    parser.add_argument("--targets", metavar="FILE",
                        help=f"speed targets to report, a JSON file like {BENCH_TARGETS} "
                             "(default: that file if it is in the current directory)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress on stderr (a bar on a terminal, else a line per table)")
