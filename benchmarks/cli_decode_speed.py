"""`smartrest decode` to JSON lines against a plain `Decoder.feed` loop.

Both read the same file in 1 MB chunks in this process; the ratio is what
matters (the machines are shared and noisy).  Usage:

    python benchmarks/cli_decode_speed.py [MB]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import smartrest
from smartrest import cli

CHUNK = 1 << 20


def best(run, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    rows = [["200", "c8y_Temperature", "T", "25.5", "C"],
            ["400", "c8y_Event", 'a "quoted", text\nline'],
            ["114", "c8y_Restart,c8y_Configuration"]]
    unit = smartrest.encode(rows)
    data = unit * max(1, int(megabytes * 1e6 / len(unit)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        path.write_bytes(data)

        def feed() -> None:
            decoder = smartrest.Decoder(limit=None)
            with open(path, "rb") as stream:
                while chunk := stream.read(CHUNK):
                    decoder.feed(chunk)
            decoder.close()

        def writer() -> None:
            with open(path, "rb") as stream:
                cli._jsonl_c(stream, io.BytesIO(), cli._members(None), None, False)

        mb = len(data) / 1e6
        t_feed, t_cli = best(feed), best(writer)
        print(f"{mb:.1f} MB, implementation {smartrest.IMPLEMENTATION}")
        print(f"  Decoder.feed loop        {mb / t_feed:8.1f} MB/s")
        print(f"  decode to JSON lines     {mb / t_cli:8.1f} MB/s  ({t_feed / t_cli:.2f}x the feed loop)")


if __name__ == "__main__":
    main()
