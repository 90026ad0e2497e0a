"""Speed of smartrest.validate, and of a mosquitto broker with the plugin.

Reports, in one run:

* MB/s of :func:`smartrest.validate` on valid measurement publishes (16 KB,
  packed with :func:`smartrest.pack`) and its ratio to
  :func:`smartrest.templates.decode_messages` on them and on the mixed
  corpus (the corpora of :mod:`smartrest.bench.corpora`);
* the throughput of a real mosquitto broker on a flood of valid 16 KB
  publishes (one paho publisher, one paho subscriber, QoS 1), without and
  with the plugin of mosquitto-plugin/ (built with ``make``).

Targets (measured, not asserted): validate at least 1.5 GB/s on the
measurement publishes and 10 times decode_messages on the mixed corpus; the
broker with the plugin at least 80% of its throughput without.

Each pair is measured in turn (rounds of one, then the other, and so on),
the best round of each reported, so that their ratio compares them under
the same load.

    python benchmarks/validate_speed.py [--publishes N] [--rounds R] [--seconds S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import smartrest
from smartrest import templates
from smartrest.bench.corpora import build_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from mosquitto import Broker, mosquitto_binary  # noqa: E402
from plugin import Client, build_plugin, plugin_config, wait_published  # noqa: E402


def rates(runs: Dict[str, Callable[[bytes], object]], payloads: List[bytes],
          seconds: float) -> Dict[str, float]:
    """Bytes per second of each of ``runs`` over ``payloads``: the best of
    their rounds, taken in turn (A B, B A, A B, ...) for about ``seconds``
    each, so that load from elsewhere on a shared machine falls on all of
    them alike and their ratio stays meaningful."""
    total = sum(len(p) for p in payloads)
    best = {name: float("inf") for name in runs}
    order = list(runs)
    deadline = time.perf_counter() + seconds * len(runs)
    while True:
        for name in order:
            run = runs[name]
            start = time.perf_counter()
            for p in payloads:
                run(p)
            best[name] = min(best[name], time.perf_counter() - start)
        order.reverse()
        if time.perf_counter() > deadline:
            return {name: total / b for name, b in best.items()}


def codec_report(seconds: float) -> None:
    print(f"smartrest {smartrest.IMPLEMENTATION} implementation")
    for name in ("measurements", "mixed"):
        c = build_corpus(name, "16k")
        topic = c.topic
        got = rates({"validate": lambda p: smartrest.validate(p, topic=topic),
                     "decode_messages": lambda p: templates.decode_messages(p, topic=topic)},
                    c.payloads, seconds)
        v, d = got["validate"], got["decode_messages"]
        print(f"  {name:12s} {c.describe()}")
        print(f"    validate         {v / 1e6:9.1f} MB/s")
        print(f"    decode_messages  {d / 1e6:9.1f} MB/s   validate / decode_messages: "
              f"{v / d:.1f}x")


def broker_rate(plugin: Optional[Path], payload: bytes, count: int) -> float:
    """Publishes per second from one publisher to one subscriber."""
    binary = mosquitto_binary()
    if binary is None:
        raise SystemExit("mosquitto is not installed (apt-get install mosquitto)")
    extra = "max_queued_messages 1000000\n"
    if plugin is not None:
        extra += plugin_config(plugin)
    with tempfile.TemporaryDirectory(prefix="smartrest-bench-") as workdir:
        broker = Broker(binary, Path(workdir), extra)
        try:
            broker.wait_ready()
            sub = Client(broker.host, broker.port, "bench-sub")
            sub.subscribe("s/us", 1)
            pub = Client(broker.host, broker.port, "bench-pub")
            start = time.perf_counter()
            wait_published([pub.publish("s/us", payload, 1) for _ in range(count)], 120)
            if not sub.wait_for(count, 120):
                raise SystemExit(f"only {len(sub.received)} of {count} publishes arrived")
            elapsed = time.perf_counter() - start
            for c in (sub, pub):
                c.close()
        finally:
            broker.stop()
    return count / elapsed


def broker_report(publishes: int, rounds: int) -> None:
    payload = build_corpus("measurements", "16k").payloads[0]
    smartrest.validate(payload, topic="s/us")
    plugin = build_plugin()
    # Runs without and with the plugin in turn; the best of each.
    without = with_plugin = 0.0
    for i in range(rounds):
        for use in ((None, plugin) if i % 2 == 0 else (plugin, None)):
            got = broker_rate(use, payload, publishes)
            if use is None:
                without = max(without, got)
            else:
                with_plugin = max(with_plugin, got)
    print(f"mosquitto, {publishes} valid publishes of {len(payload)} bytes (QoS 1), "
          f"best of {rounds} runs each, taken in turn")
    print(f"  without the plugin {without:9.0f} publishes/s ({without * len(payload) / 1e6:.1f} MB/s)")
    print(f"  with the plugin    {with_plugin:9.0f} publishes/s "
          f"({with_plugin * len(payload) / 1e6:.1f} MB/s), {with_plugin / without:.0%} of without")


def main(argv: Optional[List[str]] = None) -> int:
    """Run both reports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publishes", type=int, default=5000, help="publishes per broker run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="broker runs without and with the plugin (each)")
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="time per codec measurement (validate and decode_messages "
                             "take their rounds in turn)")
    args = parser.parse_args(argv)
    codec_report(args.seconds)
    broker_report(args.publishes, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
