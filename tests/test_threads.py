"""Thread safety: 8 threads decoding, streaming, encoding and packing
different data at once give the results one thread gives."""

from __future__ import annotations

import random
import sys
import threading

from smartrest.errors import SmartRestError

THREADS = 8
ROUNDS = 30


def _rows(seed):
    rnd = random.Random(seed)
    alphabet = ['a', 'b', 'Z', '0', '9', ',', '"', '\\', '\n', '\r', '\t', ' ', '\u00e9',
                '\u20ac', '\U0001F600', 'c8y_Temperature', 'T']
    rows = []
    for _ in range(rnd.randint(1, 40)):
        rows.append(["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
                     for _ in range(rnd.randint(1, 8))])
    return rows


def _payloads(seed):
    """A valid payload and a malformed one, different for every seed."""
    rnd = random.Random(seed)
    good = b"".join(b"200,c8y_T,T,%d\n" % rnd.randint(0, 10**6) for _ in range(50))
    bad = good + b'"open,' + bytes([0x80 | seed % 64]) * (seed % 3)
    return good, bad


def _work(impl, seed):
    """Everything one worker does, as comparable results."""
    out = []
    rows = _rows(seed)
    for quote_escape in ("backslash", "double"):
        payload = impl.encode(rows, quote_escape=quote_escape)
        out.append(payload)
        out.append(impl.decode(payload, limit=None))
    good, bad = _payloads(seed)
    out.append(impl.decode(good))
    try:
        impl.decode(bad)
    except SmartRestError as exc:
        out.append((type(exc), exc.offset, exc.row, exc.field))
    decoder = impl.Decoder()
    step = 1 + seed % 13
    got = []
    for i in range(0, len(good), step):
        got += decoder.feed(good[i:i + step])
    got += decoder.close()
    out.append(got)
    out.append(impl.pack(rows, topic="s/us", limit=200, on_oversize="truncate"))
    return out


def test_threads_agree_with_one_thread(impl):
    seeds = list(range(THREADS))
    expected = {seed: _work(impl, seed) for seed in seeds}
    failures = []
    barrier = threading.Barrier(THREADS)

    def worker(seed):
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                got = _work(impl, seed)
                if got != expected[seed]:
                    failures.append((seed, got))
                    return
        except BaseException as exc:  # reported below
            failures.append((seed, exc))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=worker, args=(s,)) for s in seeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not failures, failures[:2]


def test_threads_share_one_decoder_per_thread_not_across(impl):
    # Each thread owns a Decoder; the string cache and scratch buffers of
    # the C implementation are shared state, so hammer short repeated
    # fields (the cached ones) from all threads at once.
    payload = b"".join(b"%d,s%d,u\n" % (i % 7, i % 5) for i in range(2000))
    expected = impl.decode(payload)
    results = [None] * THREADS

    def worker(k):
        decoder = impl.Decoder()
        rows = []
        for i in range(0, len(payload), 3 + k):
            rows += decoder.feed(payload[i:i + 3 + k])
        results[k] = rows + decoder.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)

