"""Stress of shared objects, for both implementations.

Bounded: every test stops after a fixed number of rounds or a time budget,
whichever comes first (so it also ends under a sanitizer), with fixed seeds;
the file runs in well under 20 s.  A watchdog ends the process with a
traceback of every thread if a test ever hangs, and every thread is joined
with a timeout.

- One Decoder fed whole rows from 4 threads at once and from a garbage
  collector callback (re-entry): every ``feed()`` returns its own row or
  raises ``RuntimeError``; no row is torn, mixed, lost or returned twice.
- One Tokens read from 4 threads, also when it was made from a bytearray
  that another thread keeps rewriting: the results never change.
- Bytearrays rewritten in place by another thread while ``decode_batch``,
  ``decode``, ``tokenize`` or a Decoder reads them: every result is that of
  one of the two versions written, never a mix.
- Afterwards decoding a fixed payload still gives the right rows (no
  string cached from a torn read).
"""

from __future__ import annotations

import faulthandler
import gc
import random
import sys
import threading
import time
import types
from collections import Counter

import pytest

from smartrest import _pure, _pure_batch

try:
    import numpy
except ImportError:  # tokenize needs numpy; its tests are skipped
    numpy = None

needs_numpy = pytest.mark.skipif(numpy is None, reason="numpy not installed")

THREADS = 4
ROUNDS = 1500  # per thread, at most
BUDGET = 1.0  # seconds per test, at most (the rounds end first without a sanitizer)
JOIN_TIMEOUT = 30.0
WATCHDOG = 300.0  # seconds: dump every thread's traceback and exit


@pytest.fixture
def api(impl):
    """``impl`` plus ``tokenize`` and ``decode_batch`` of the same implementation."""
    if impl.name == "c":
        tokenize, decode_batch = impl.module.tokenize, impl.module.decode_batch
    else:
        tokenize, decode_batch = _pure_batch.tokenize, _pure_batch.decode_batch
    return types.SimpleNamespace(name=impl.name, decode=impl.decode, Decoder=impl.Decoder,
                                 tokenize=tokenize, decode_batch=decode_batch)


@pytest.fixture(autouse=True)
def _threads_switch_often():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    faulthandler.dump_traceback_later(WATCHDOG, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        sys.setswitchinterval(old)


def _run(targets):
    """Run each callable in a daemon thread; return the exceptions raised."""
    errors = []

    def wrap(target):
        try:
            target()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,), daemon=True) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"threads still running after {JOIN_TIMEOUT} s: {alive}"
    return errors


def _bad_str(s):
    """Why ``s`` is not a well-formed str, or None.  A str built from the
    wrong bytes can claim to be ASCII and hold code points above 127, or
    hold a lone surrogate."""
    if not isinstance(s, str):
        return f"not a str: {s!r}"
    if s.isascii() != all(ord(c) < 128 for c in s):
        return f"str marked {'ASCII' if s.isascii() else 'non-ASCII'} wrongly: {s!r}"
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return f"str with a lone surrogate: {s!r}"
    return None


def _bad_rows(rows):
    for row in rows:
        if not isinstance(row, list):
            return f"not a list: {row!r}"
        for field in row:
            why = _bad_str(field)
            if why:
                return why
    return None


# ------------------------------------------------------------ a. one Decoder, many callers

ALPHABET = ["a", "Z", "0", "7", ",", '"', "\\", "\n", "\r", " ", "\u00e9", "\u20ac",
            "\U0001F600", "c8y_T"]


def _row(rnd, tag, index):
    """A row no other (tag, index) has, with fields that need quoting."""
    extra = ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 6)))
             for _ in range(rnd.randint(0, 3))]
    return [tag, str(index), "c8y_T"] + extra


def test_shared_decoder_from_threads_and_gc_callbacks(impl):
    decoder = impl.Decoder()
    outcomes = []  # (row fed, rows returned or None for RuntimeError)
    unexpected = []
    gc_rows = iter([_row(random.Random(99), "gc", i) for i in range(5000)])
    gc_lock = threading.Lock()
    active = True

    def feed(row):
        chunk = _pure.encode([row])  # one whole row, ending in LF
        try:
            got = decoder.feed(chunk)
        except RuntimeError:
            outcomes.append((row, None))
        except BaseException as exc:
            unexpected.append((row, exc))
        else:
            outcomes.append((row, got))

    def on_gc(phase, info):
        if not active or not gc_lock.acquire(blocking=False):
            return
        try:
            row = next(gc_rows, None)
        finally:
            gc_lock.release()
        if row is not None:
            feed(row)

    def worker(k):
        rnd = random.Random(k)
        stop = time.monotonic() + BUDGET
        for i in range(ROUNDS):
            if time.monotonic() > stop or unexpected:
                return
            feed(_row(rnd, f"t{k}", i))

    old_threshold = gc.get_threshold()
    was_enabled = gc.isenabled()
    gc.callbacks.append(on_gc)
    gc.set_threshold(5, 2, 2)
    gc.enable()
    try:
        errors = _run([lambda k=k: worker(k) for k in range(THREADS)])
    finally:
        active = False
        gc.callbacks.remove(on_gc)
        gc.set_threshold(*old_threshold)
        if not was_enabled:
            gc.disable()
    assert not errors, errors[:3]
    assert not unexpected, f"feed() raised other than RuntimeError: {unexpected[:3]}"
    done = [(row, got) for row, got in outcomes if got is not None]
    assert done, "no feed() returned"
    assert any(row[0] == "gc" for row, _ in outcomes), "no feed() from a gc callback"
    returned = Counter(tuple(r) for _, got in done for r in got)
    fed = Counter(tuple(row) for row, _ in done)
    assert returned == fed, (
        f"rows returned but not fed: {list((returned - fed).elements())[:3]}; "
        f"fed but not returned: {list((fed - returned).elements())[:3]}")
    wrong = [(row, got) for row, got in done if got != [row]]
    assert not wrong, f"feed() returned other rows than its own: {wrong[:3]}"
    for _, got in done:
        assert _bad_rows(got) is None, _bad_rows(got)
    assert decoder.close() == []
    _assert_cache_clean(impl)


# ------------------------------------------------------------ b. one Tokens, many readers


def _payload(seed, escapes, rows=300):
    """Rows with a float, an int and a text column; some text needs quotes,
    and with ``escapes`` some quoted text has escapes (the C Tokens then
    keeps a copy of the payload; without, it can point into the payload)."""
    rnd = random.Random(seed)
    words = ["ab", "\u00e9t\u00e9", "a,b", "\u20ac5", "x\ny", "T", "c8y_T"]
    if escapes:
        words += ['say "hi"', "back\\slash"]
    out = [["200", "c8y_T", "T", "%d.%d" % (rnd.randint(-99, 999), rnd.randint(0, 99)),
            str(rnd.randint(-10**12, 10**12)), rnd.choice(words)] for _ in range(rows)]
    payload = _pure.encode(out)
    assert (b"\\" in payload) == escapes
    return payload, out


def _tokens_results(tokens):
    return {
        "rows": tokens.to_rows(),
        "arrays": [a.tolist() for a in (tokens.starts, tokens.ends, tokens.row_starts,
                                         tokens.flags)],
        "data": bytes(tokens.data),
        "float": tokens.column(3).tolist(),
        "int": tokens.column(4, dtype=int).tolist(),
        "str": tokens.column(5, dtype=str).tolist(),
        "missing": tokens.column(9, dtype=str, default="-").tolist(),
    }


@needs_numpy
def test_shared_tokens_read_from_threads(api):
    # Tokens of bytes, and of bytearrays that a writer keeps rewriting once
    # tokenize has returned: each reads as tokenize of the original bytes.
    cases = []  # (Tokens, expected results, rows)
    mutables = []
    for seed, escapes in [(1, True), (2, False)]:
        payload, rows = _payload(seed, escapes)
        want = _tokens_results(api.tokenize(bytes(payload)))
        assert want["rows"] == rows
        mutable = bytearray(payload)
        mutables.append(mutable)
        cases.append((api.tokenize(payload), want, rows))
        cases.append((api.tokenize(mutable), want, rows))
    stop = threading.Event()
    writes = []
    mismatches = []

    def writer():
        rnd = random.Random(7)
        while not stop.is_set():
            mutable = rnd.choice(mutables)
            n = len(mutable)
            if rnd.random() < 0.1:
                mutable[:] = rnd.randbytes(n)
            else:
                i = rnd.randrange(n)
                j = min(n, i + rnd.randint(1, 64))
                mutable[i:j] = rnd.randbytes(j - i)
            writes.append(1)

    def reader(k):
        rnd = random.Random(100 + k)
        deadline = time.monotonic() + BUDGET
        for i in range(ROUNDS):
            if time.monotonic() > deadline or mismatches:
                return
            which = i % len(cases)
            tokens, want, rows = cases[which]
            if i % 50 < len(cases):
                got = _tokens_results(tokens)
                for key, value in got.items():
                    if value != want[key]:
                        mismatches.append((which, key, value[:3]))
                why = _bad_rows(got["rows"]) or _bad_rows([got["str"]])
                if why:
                    mismatches.append((which, "rows", why))
            else:
                r = rnd.randrange(len(rows))
                got = tokens.row(r)
                if got != rows[r] or _bad_rows([got]):
                    mismatches.append((which, f"row({r})", got))

    writer_thread = threading.Thread(target=writer, daemon=True)
    writer_thread.start()
    try:
        errors = _run([lambda k=k: reader(k) for k in range(THREADS)])
    finally:
        stop.set()
        writer_thread.join(JOIN_TIMEOUT)
    assert not writer_thread.is_alive(), "the writer thread still runs"
    assert writes, "the bytearrays were never rewritten"
    assert not errors, errors[:3]
    assert not mismatches, mismatches[:3]
    # Still the original results once the writer has stopped.
    for tokens, want, _ in cases:
        assert _tokens_results(tokens) == want
    _assert_cache_clean(api)


# ------------------------------------------------------------ c. buffers rewritten while read

# Values of the same UTF-8 length: a payload keeps its length and is valid
# in either version, but a mix of the two is another payload (other digits,
# a UTF-8 character cut in two, another count of fields).
SWAPS = [("ab", "\u00e9"), ("abc", "\u20ac"), ("abcd", "\U0001F600"), ("a,b", '"x"'),
         ('"a,b"', '"a\nb"'), ("12", "34")]


def _versions(seed, rows=120):
    """Two valid payloads of the same length and different contents."""
    rnd = random.Random(seed)
    a, b = [], []
    for r in range(rows):
        first, second = rnd.choice(SWAPS)
        if rnd.random() < 0.5:
            first, second = second, first
        digits = "%05d" % rnd.randrange(10**5)
        other = "%05d" % ((int(digits) + 1 + rnd.randrange(10**5 - 1)) % 10**5)
        a.append(f"200,c8y_T,T,{digits},{first},{r}")
        b.append(f"200,c8y_T,T,{other},{second},{r}")
    va = ("\n".join(a) + "\n").encode("utf-8")
    vb = ("\n".join(b) + "\n").encode("utf-8")
    assert len(va) == len(vb) and va != vb
    return va, vb


def _tokens_key(tokens):
    """Everything a Tokens holds, comparable; the rows first."""
    return (tokens.to_rows(), bytes(tokens.data),
            [a.tolist() for a in (tokens.starts, tokens.ends, tokens.row_starts, tokens.flags)])


def _decode_with(how, api, buffers):
    """Each buffer's rows, read by ``how``; the list of results."""
    if how == "decode_batch":
        return api.decode_batch(buffers)
    if how == "decode":
        return [api.decode(b) for b in buffers]
    if how == "tokenize":
        return [_tokens_key(api.tokenize(b)) for b in buffers]
    out = []
    for b in buffers:
        decoder = api.Decoder()
        out.append(decoder.feed(b) + decoder.close())
    return out


@pytest.mark.parametrize("how", ["decode_batch", "decode", "tokenize", "Decoder"])
def test_buffers_rewritten_while_decoded(api, how):
    if how == "tokenize" and numpy is None:
        pytest.skip("numpy not installed")
    versions = [_versions(seed) for seed in range(16)]
    if how == "tokenize":
        expected = [(_tokens_key(api.tokenize(va)), _tokens_key(api.tokenize(vb)))
                    for va, vb in versions]
    else:
        expected = [(_pure.decode(va), _pure.decode(vb)) for va, vb in versions]
    assert all(a != b for a, b in expected)
    buffers = [bytearray(va) for va, _ in versions]
    stop = threading.Event()
    writes = []
    failures = []

    def writer():
        flip = 0
        while not stop.is_set():
            flip ^= 1
            for buf, pair in zip(buffers, versions):
                buf[:] = pair[flip]  # same length: rewritten in place
            writes.append(1)

    def reader(k):
        deadline = time.monotonic() + BUDGET
        for _ in range(ROUNDS):
            if time.monotonic() > deadline or failures:
                return
            try:
                results = _decode_with(how, api, buffers)
            except Exception as exc:  # InvalidUtf8 and the like: a torn read
                failures.append(f"{type(exc).__name__}: {exc}")
                return
            for index, (got, pair) in enumerate(zip(results, expected)):
                rows = got[0] if how == "tokenize" else got
                why = _bad_rows(rows)
                if why:
                    failures.append(f"payload {index}: {why}")
                elif got not in pair:
                    torn = next(((x, y, z) for x, y, z in zip(got, *pair) if x not in (y, z)),
                                "(each part from another version)")
                    failures.append(f"payload {index}: neither version: {str(torn)[:300]}")

    writer_thread = threading.Thread(target=writer, daemon=True)
    writer_thread.start()
    try:
        errors = _run([lambda k=k: reader(k) for k in range(2)])
    finally:
        stop.set()
        writer_thread.join(JOIN_TIMEOUT)
    assert not writer_thread.is_alive(), "the writer thread still runs"
    assert writes, "the buffers were never rewritten"
    assert not errors, errors[:3]
    assert not failures, failures[:3]
    _assert_cache_clean(api)


# ------------------------------------------------------------ d. nothing poisoned afterwards

FIXED = ("200,c8y_T,T,12345,ab,\u00e9,abc,\u20ac,abcd,\U0001F600,\"a,b\",x\n"
         "201,ab,12,34,T,c8y_T,\u00e9t\u00e9\n").encode("utf-8")
FIXED_ROWS = [["200", "c8y_T", "T", "12345", "ab", "\u00e9", "abc", "\u20ac", "abcd",
               "\U0001F600", "a,b", "x"],
              ["201", "ab", "12", "34", "T", "c8y_T", "\u00e9t\u00e9"]]


def _assert_cache_clean(api):
    for _ in range(3):  # the second and third call read cached strings
        for rows in (api.decode(FIXED), api.decode(bytearray(FIXED)),
                     api.Decoder().feed(FIXED)):
            assert rows == FIXED_ROWS
            assert _bad_rows(rows) is None, _bad_rows(rows)


def test_fixed_payload_decodes_right_afterwards(api):
    # Runs after the tests above: whatever they left in caches or scratch
    # buffers must not show here.
    _assert_cache_clean(api)
    assert api.decode_batch([FIXED, bytearray(FIXED)]) == [FIXED_ROWS, FIXED_ROWS]
    if numpy is not None:
        assert api.tokenize(bytearray(FIXED)).to_rows() == FIXED_ROWS
