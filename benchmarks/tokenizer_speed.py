"""The C tokenizer alone, without Python, and smartrest.tokenize, on the
bench corpora.

Builds benchmarks/tokenizer_speed.c with the system C compiler (``cc``, or
``$CC``) at -O3, as setup.py builds the extension, writes each corpus of
16 KB publishes to a file and prints the tokenizer's best throughput; then
times ``smartrest.tokenize`` (numpy arrays out) over the same publishes one
by one (all results kept, or each dropped before the next call) and over
them joined into one buffer (best of 15, GC off)::

    python benchmarks/tokenizer_speed.py [CORPUS ...]

The C figure is the ceiling of ``smartrest.tokenize``; ``decode`` spends
most of its time building ``str`` and ``list`` objects on top.
"""

from __future__ import annotations

import os
import shlex
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import smartrest
from smartrest import bench

ROOT = Path(__file__).resolve().parent.parent


def main(names: list) -> int:
    cc = shlex.split(os.environ.get("CC", "cc"))
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "tokenizer_speed"
        subprocess.run(cc + ["-O3", "-std=c99", f"-I{ROOT / 'csrc'}",
                             str(ROOT / "benchmarks" / "tokenizer_speed.c"),
                             str(ROOT / "csrc" / "tokenizer.c"), str(ROOT / "csrc" / "utf8.c"),
                             "-o", str(exe)], check=True)
        for name in names or sorted(bench.CORPORA):
            data = Path(tmp) / f"{name}.bin"
            with open(data, "wb") as f:
                for payload in bench.corpus(name, "16k"):
                    f.write(struct.pack("<I", len(payload)) + payload)
            out = subprocess.run([str(exe), str(data)], check=True, capture_output=True,
                                 text=True).stdout.strip()
            print(f"{name} 16k: C tokenizer {out}")
            _time_tokenize(name)
    return 0


def _time_tokenize(name: str) -> None:
    try:
        tokenize = smartrest.tokenize
        import numpy  # noqa: F401  (tokenize needs it)
    except (AttributeError, ImportError):
        print(f"{name} 16k: smartrest.tokenize needs numpy; skipped")
        return
    payloads = bench.corpus(name, "16k")
    joined = b"".join(payloads)
    total = len(joined)

    def each_dropped() -> None:
        for p in payloads:
            tokenize(p)

    # Kept: all 124 results alive at once, so every round writes its arrays
    # into memory the allocator has just handed back to the system (page
    # faults); dropped: each result freed before the next call, as a
    # consumer that reads a publish and moves on does.
    for label, call in (("publishes one by one, results kept", lambda: [tokenize(p) for p in payloads]),
                        ("publishes one by one, each dropped", each_dropped),
                        ("one buffer", lambda: tokenize(joined))):
        best = bench.measure(call, repeat=15, min_time=0.05)
        print(f"{name} 16k: smartrest.tokenize ({smartrest.IMPLEMENTATION}), {label}: "
              f"{total / best / 1e9:.2f} GB/s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
