"""Benchmark harness: ``smartrest bench`` (also ``python -m smartrest.bench``).

Every contender runs in one process on the same generated data.  Each result
gives the speed ratio to the standard library, MB/s, rows/s and whether the
output equals the exact decode of the data, because a fast parser that gets
quoted values wrong answers a different question.

The parts: :mod:`.corpora` (the generated data), :mod:`.contenders` (the
tasks and the ways of doing them), :mod:`.timing`, :mod:`.runner` (one run),
:mod:`.targets` (speed ratios checked against a targets file, such as the
project's ``benchmarks/targets.json``) and :mod:`.report`.  The options are
defined by :func:`smartrest.cli.add_bench_arguments`, so that the command
line is built without importing the bench.

Public helpers reused by tests and ``benchmarks/``: :func:`corpus`,
:func:`rows`, :func:`build_corpus`, :data:`TASKS`, :func:`contenders` and
:func:`measure`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from ..cli import add_bench_arguments as add_arguments
from .contenders import CSV_OPTIONS, FEED_CHUNK, FOOTNOTES, TASKS, Contender, Task, contenders
from .corpora import (
    CORPORA,
    MEASUREMENT_COLUMNS,
    QUICK_STREAM_MB,
    QUICK_TOTALS,
    SEED,
    SIZES,
    STREAM_MB,
    TOTALS,
    VALUE_COLUMN,
    Corpus,
    build_corpus,
    corpus,
    rows,
    stream_total,
)
from .report import format_footer, format_group, format_header, format_report, machine, plot, report_json
from .runner import Progress, Result, Settings, benchmark
from .targets import TARGETS_FILE, find_targets, load_targets, target_ratios
from .timing import _round as _round  # benchmarks/ab_builds.py times single rounds
from .timing import measure, measure_all

__all__ = [
    "CORPORA",
    "CSV_OPTIONS",
    "FEED_CHUNK",
    "FOOTNOTES",
    "MEASUREMENT_COLUMNS",
    "QUICK_STREAM_MB",
    "QUICK_TOTALS",
    "SEED",
    "SIZES",
    "STREAM_MB",
    "TARGETS_FILE",
    "TASKS",
    "TOTALS",
    "VALUE_COLUMN",
    "Contender",
    "Corpus",
    "Progress",
    "Result",
    "Settings",
    "Task",
    "add_arguments",
    "benchmark",
    "build_corpus",
    "contenders",
    "corpus",
    "find_targets",
    "format_report",
    "load_targets",
    "machine",
    "main",
    "measure",
    "measure_all",
    "plot",
    "report_json",
    "rows",
    "run",
    "target_ratios",
]

#: Timing rounds per measurement, and the least time of a round in seconds
#: (each without and with ``--quick``).
REPEAT, QUICK_REPEAT = 5, 3
MIN_TIME, QUICK_MIN_TIME = 0.2, 0.02


def _settings(args: argparse.Namespace) -> Settings:
    quick = args.quick
    stream_mb = args.stream_mb if args.stream_mb is not None else (
        QUICK_STREAM_MB if quick else STREAM_MB)
    totals = dict(QUICK_TOTALS if quick else TOTALS, stream=stream_total(stream_mb))
    return Settings(
        tasks=tuple(args.task or TASKS),
        corpora=tuple(args.corpus or CORPORA),
        sizes=tuple(args.size or SIZES),
        contenders=tuple(args.contender) if args.contender else None,
        totals=totals,
        repeat=args.repeat if args.repeat is not None else (QUICK_REPEAT if quick else REPEAT),
        min_time=args.min_time if args.min_time is not None else (
            QUICK_MIN_TIME if quick else MIN_TIME),
        seed=args.seed if args.seed is not None else SEED,
    )


def _targets(name: Optional[str]) -> List[Dict[str, str]]:
    """The targets of the file ``name``, else of :func:`find_targets` (none
    when it finds no file).

    Raises:
        OSError, ValueError: as :func:`load_targets` raises them.
    """
    path = Path(name) if name is not None else find_targets()
    return [] if path is None else load_targets(path)


def run(args: argparse.Namespace) -> int:
    """Run ``smartrest bench`` with parsed ``args``.

    Returns 0, 1 if a contender failed with an exception (shown in the
    table), or 2 for bad options (a targets file that cannot be read is one).
    """
    settings = _settings(args)
    known = {k.key for t in TASKS.values() for k in t.contenders}
    unknown = sorted(set(settings.contenders or ()) - known)
    if unknown:
        print(f"smartrest bench: unknown contender {', '.join(unknown)}; choose from "
              f"{', '.join(sorted(known))}", file=sys.stderr)
        return 2
    if settings.repeat < 1 or settings.min_time < 0 or settings.totals["stream"] < 1:
        print("smartrest bench: --repeat must be at least 1, --min-time and --stream-mb "
              "positive", file=sys.stderr)
        return 2
    try:
        targets = _targets(args.targets)
    except (OSError, ValueError) as exc:
        print(f"smartrest bench: targets {args.targets or TARGETS_FILE}: {exc}",
              file=sys.stderr)
        return 2
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("smartrest bench: --plot needs matplotlib (pip install 'smartrest[plot]')",
                  file=sys.stderr)
            return 2
    progress = Progress(0, not args.no_progress, terminal=sys.stderr.isatty())
    info = machine()
    notes: List[str] = []
    text = args.json != "-"  # the tables go to stdout unless the JSON does

    def show(group: List[Result], corpora: List[Corpus]) -> None:
        sys.stdout.write(format_group(group, corpora, notes))
        sys.stdout.flush()

    if text:
        sys.stdout.write(format_header(info, settings))
        sys.stdout.flush()
    corpora, results = benchmark(settings, progress, show if text else None)
    ratios: List[Dict[str, Any]] = target_ratios(targets, results)
    if text:
        sys.stdout.write(format_footer(notes, ratios))
    if args.json is not None:
        text = json.dumps(report_json(info, corpora, results, settings, ratios), indent=2) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text)
    if args.plot:
        plot(results, args.plot)
    return 1 if any(r.status == "error" for r in results) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m smartrest.bench``: parse ``argv`` (default: the command
    line) and :func:`run`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m smartrest.bench",
        description="Benchmark smartrest against csv, a naive split and pyarrow.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
