"""Compare two builds of the C extension in one process, rounds interleaved.

On a shared machine the speed of one build moves by tens of percent from
run to run; two builds timed one after the other cannot be told apart below
that.  This loads both ``.so`` files into one process and alternates their
timing rounds (A B, B A, A B, ...), so that a burst of load from elsewhere
hits both alike::

    cp smartrest/_codec*.so /tmp/a.so        # the build to compare against
    ...change, python setup.py build_ext --inplace...
    python benchmarks/ab_builds.py /tmp/a.so smartrest/_codec*.so --task decode --corpus mixed

It prints each build's best round and the speed of B relative to A (above 1:
B is faster), from the best rounds and as the median of the paired rounds.
Both builds must give the same output (checked first, except for tokenize).
Tasks: decode, encode, tokenize (each 16 KB publish), tokenize-buffer (the
publishes joined), column (``Tokens.column`` of the value field, float).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smartrest import bench  # noqa: E402


def load(path: str) -> ModuleType:
    """The extension module in ``path``, loaded under its own name."""
    spec = importlib.util.spec_from_file_location("smartrest._codec", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"ab_builds: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workload(module: ModuleType, task: str, payloads: List[bytes]) -> Callable[[], Any]:
    if task == "decode":
        decode = module.decode
        return lambda: [decode(p) for p in payloads]
    if task == "encode":
        rows = [module.decode(p) for p in payloads]
        encode = module.encode
        return lambda: [encode(r) for r in rows]
    if task == "tokenize":
        tokenize = module.tokenize
        return lambda: [tokenize(p) for p in payloads]
    if task == "tokenize-buffer":
        tokenize, joined = module.tokenize, b"".join(payloads)
        return lambda: tokenize(joined)
    if task == "column":
        tokens = module.tokenize(b"".join(payloads))
        return lambda: tokens.column(bench.VALUE_COLUMN, dtype=float)
    raise SystemExit(f"ab_builds: unknown task {task!r}")


def _plain(result: Any) -> Any:
    """Lists for numpy arrays, so that two results compare with ==."""
    return result.tolist() if hasattr(result, "tolist") else result


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="the .so to compare against")
    parser.add_argument("b", help="the .so under test")
    parser.add_argument("--task", default="decode",
                        choices=["decode", "encode", "tokenize", "tokenize-buffer", "column"])
    parser.add_argument("--corpus", default="mixed", choices=sorted(bench.CORPORA))
    parser.add_argument("--rounds", type=int, default=15, help="rounds per build (default 15)")
    parser.add_argument("--min-time", type=float, default=0.15,
                        help="seconds per round (default 0.15)")
    args = parser.parse_args(argv)

    payloads = bench.corpus(args.corpus, "16k")
    run_a = workload(load(args.a), args.task, payloads)
    run_b = workload(load(args.b), args.task, payloads)
    if not args.task.startswith("tokenize") and _plain(run_a()) != _plain(run_b()):
        print("ab_builds: the two builds give different output", file=sys.stderr)
        return 1
    gc.collect()
    gc.disable()
    times_a: List[float] = []
    times_b: List[float] = []
    for r in range(args.rounds):
        pairs = ((run_a, times_a), (run_b, times_b))
        for call, out in pairs if r % 2 == 0 else reversed(pairs):
            out.append(bench._round(call, args.min_time))  # mean of one round
    gc.enable()
    paired = statistics.median(a / b for a, b in zip(times_a, times_b))
    print(f"{args.task} {args.corpus} 16k: A best {min(times_a) * 1e3:.3f} ms, "
          f"B best {min(times_b) * 1e3:.3f} ms; B/A speed {min(times_a) / min(times_b):.3f} "
          f"(best rounds), {paired:.3f} (median of paired rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
