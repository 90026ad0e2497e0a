"""smartrest.arrow: the block path of the C tables (csrc/table_fast.h) and
the general path give the same tables, and both those of the template layer.

The C tables read a payload of unquoted fields with LF line ends from the
64-byte block masks of the tokenizer's scan path, and any other payload
(or one with a field longer than a block) with the tokenizer's field
records; on the scalar scan path (``SMARTREST_SIMD=scalar``) every payload
takes the general path.  The payloads here sit on the edges of the block
path: block and payload ends, fields handed back in the middle of a
payload, rows of too many values, bytes >= 0x80, the short decimals read in
one word, the fixed-layout dates read in two, the dictionary strings
compared in two words, and rows of one shape checked once.
"""

from __future__ import annotations

import json
import subprocess
from typing import Dict, Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_helpers import scan_path_workers

pa = pytest.importorskip("pyarrow")

from smartrest import arrow  # noqa: E402
from smartrest.errors import SmartRestError  # noqa: E402

from test_arrow import assert_agree, assert_same  # noqa: E402

ROW = b"200,c8y_Temperature,T,23.45,C,2024-01-01T00:00:00.250+00:00\n"


@pytest.fixture
def c_tables(c_impl):
    if arrow._C is None:
        pytest.fail("smartrest._arrow cannot be imported: build the extension", pytrace=False)
    return arrow.decode_tables


def check(c_tables, payloads: List[bytes], topics="s/us") -> None:
    assert_agree(c_tables, payloads, topics=topics)


# ------------------------------------------------------------------ rows and blocks

@pytest.mark.parametrize("size", [0, 1, 2, 5, 20, 60, 63, 64, 65, 66, 127, 128, 129, 200])
@pytest.mark.parametrize("end", [b"\n", b"", b",\n", b","])
def test_payload_and_block_ends(c_tables, size, end):
    # Rows of the measurement corpus cut to every length around a block,
    # with and without the last LF, and with a last empty value.
    body = (ROW * 4)[:size].rstrip(b"\n")
    check(c_tables, [body + end, ROW + body + end, body + end + ROW])


@pytest.mark.parametrize("lines", [b"\n", b"\n\n", b"\n\n\n\n"])
def test_empty_lines(c_tables, lines):
    check(c_tables, [lines + ROW + lines + ROW + lines, lines, ROW[:-1] + lines + ROW[:-1]])


@pytest.mark.parametrize("length", [1, 15, 62, 63, 64, 65, 130])
def test_long_fields(c_tables, length):
    # A field longer than its block hands the payload to the general path.
    name = b"f" * length
    row = b"200," + name + b",T,1.5,C\n"
    check(c_tables, [row, ROW * 3 + row + ROW * 3, ROW * 3 + row[:-1]])


@pytest.mark.parametrize("odd", [b'200,"f",T,1,C\n', b'200,f,"T,x",1,C\n', b"200,f,T,1,C\r\n",
                                 b"200,f,T,1\r,C\n", b'200,f,T,1,C"\n', b"200,f\\,T,1,C\n"])
@pytest.mark.parametrize("at", [0, 1, 30])
def test_payloads_handed_to_the_general_path(c_tables, odd, at):
    # A quote or a CR LF in a later block: the rows taken before it are
    # taken back (dictionary strings first seen there too) and the payload
    # read the general way.
    rows = [b"200,frag%d,S%d,%d.5,u%d\n" % (i, i, i, i) for i in range(at)]
    payload = b"".join(rows) + odd + b"".join(rows)
    check(c_tables, [ROW, payload, ROW, odd])


@pytest.mark.parametrize("count", [30, 31, 32, 33, 40])
def test_rows_of_many_values(c_tables, count):
    row = b",".join([b"200", b"f", b"T", b"1"] + [b"x"] * (count - 4))
    check(c_tables, [row + b"\n", ROW + row + b"\n" + ROW, ROW + row])


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf"])
@pytest.mark.parametrize("at", [0, 40, 200])
def test_utf8_in_the_block_path(c_tables, bad, at):
    good = b"200,c8y_T,T,1,\xc2\xb0C\n200,\xe2\x82\xac,T,2,\xf0\x9f\x98\x80\n"
    payload = ROW * (at // len(ROW)) + b"200,f,T,1," + bad + b"\n" + ROW
    check(c_tables, [good * 5, payload, good])


def test_rows_change_shape_and_template(c_tables):
    # Rows of one template whose empty values move, rows of another
    # template between them, a template with typed checks (101's BOOLEAN,
    # 112's INTEGER) whose rows change only in their values.
    rows = [b"200,f,T,1,C", b"200,f,T,,C", b"200,f,T,1", b"200,,T,1,C", b"200,f,T,1,C",
            b"101,c,n,t,true", b"101,c,n,t,nope", b"101,c,n,t,false", b"112,1,2,3,4",
            b"112,1,2,3,4.5", b"112,1,2,3,", b"200,f", b"200,f,T", b"200,f,T,1,C,x,y",
            b"020,f,T,1,C", b"2000,f,T,1,C", b"2a0,f,T,1,C", b",f,T,1,C", b"200,f,T,1,C"]
    check(c_tables, [b"\n".join(rows) + b"\n"], topics="s/us")
    check(c_tables, [r + b"\n" for r in rows], topics="s/us")
    check(c_tables, [b"\n".join(rows[i:] + rows[:i]) for i in range(len(rows))], topics=None)


def test_serial_and_device(c_tables):
    payloads = [b"522,dev1,log,2020-01-01T00:00:00Z,2020-01-02T00:00:00Z,x,10\n" * 3,
                b"530,dev2,host,22,key\n530,dev2,host,x,key\n", ROW * 2]
    check(c_tables, payloads, topics=["s/ds", "s/ds", "s/us/child1"])


# ------------------------------------------------------------------ values

_short_decimal = st.from_regex(r"[+-]?[0-9]{0,8}(\.[0-9]{0,8})?", fullmatch=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_short_decimal, min_size=1, max_size=8))
def test_short_decimals_are_those_of_float(c_tables, values):
    # Each value in the middle of a payload (read in one word) and last in
    # it (fewer than 8 bytes after it: read the general way).
    rows = [b"200,f,T,%s,C\n" % v.encode() for v in values]
    last = [b"200,f,T," + v.encode() for v in values]
    check(c_tables, [b"".join(rows)] + last)
    # The reference converts with float(): bit for bit the same doubles.


@pytest.mark.parametrize("value", [
    "0", "-0", "+0", "-0.0", "0.", ".5", "+.5", "-.5", "5.", "-5.", ".", "+", "-", "+-1",
    "1.2.3", "12345678", "-1234567", "1234567.", "0.1234567", "9007199.254740993",
    "99999999", "0.00000001", "1e5", "1E-5", "1,5", " 1", "1 ", "0x10", "--1", "1-",
    "23.45", "970.6", "-40.00", "59.99", "1.0000001", "0.30000000", "4503599.627370497"])
@pytest.mark.parametrize("tail", [b",C\n", b"", b",C,2024-01-01T00:00:00Z\n"])
def test_number_edges(c_tables, value, tail):
    payload = b"200,f,T," + value.encode() + tail
    check(c_tables, [payload, ROW + payload, payload * 3])


def _date_variants() -> List[str]:
    base = ["2024-01-01T00:00:00.250+00:00", "2024-02-29T23:59:59.999-11:45",
            "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000z",
            "2023-12-31T23:59:60.000+01:00", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+05:30"]
    out = list(base)
    for d in base[:4]:
        for i in range(16, len(d)):
            for c in "x9/:.+-Z\xe9":
                out.append(d[:i] + c + d[i + 1:])
    return sorted(set(out))


def test_fixed_dates_byte_by_byte(c_tables):
    # Every byte of the seconds, fraction and zone of the word-read layouts
    # replaced by digits, separators and other bytes.
    dates = _date_variants()
    rows = [f"200,f,T,{i},C,{d}\n".encode() for i, d in enumerate(dates)]
    check(c_tables, rows)
    check(c_tables, [b"".join(rows[i:i + 25]) for i in range(0, len(rows), 25)])


@pytest.mark.parametrize("length", [1, 2, 3, 7, 8, 9, 15, 16, 17, 24])
def test_dictionary_strings_of_the_row_before(c_tables, length):
    # Strings of each length that differ from the one before in one byte,
    # in the middle and at the end of a payload (fewer than 16 bytes after).
    base = "abcdefghijklmnopqrstuvwxyz"[:length]
    names = [base] + [base[:i] + "Z" + base[i + 1:] for i in range(length)] + [base, base]
    rows = [f"200,{n},{n},1,{n}\n".encode() for n in names for _ in range(2)]
    check(c_tables, [b"".join(rows)] + [r[:-1] for r in rows])
    check(c_tables, [b"".join(rows) + f"200,{base},{base},1,{base}".encode()])


# ------------------------------------------------------------------ scan paths


WORKER = r"""
import json, sys
import smartrest
from smartrest import arrow

def canon(payloads, topics):
    try:
        out = arrow.decode_tables(payloads, topics=topics, errors="collect")
    except smartrest.errors.SmartRestError as exc:
        return ["error", type(exc).__name__, str(exc)]
    return {k: repr(t.combine_chunks().to_pylist()) for k, t in sorted(out.items())}

print(smartrest.IMPLEMENTATION, arrow._C is not None, flush=True)
for line in sys.stdin:
    job = json.loads(line)
    payloads = [bytes.fromhex(p) for p in job["payloads"]]
    print(json.dumps(canon(payloads, job["topics"])), flush=True)
"""


@pytest.fixture(scope="module")
def workers() -> Iterator[Dict[str, subprocess.Popen]]:
    """One worker process per scan path (fails without the C core)."""
    yield from scan_path_workers(WORKER, 'c True', 'the C tables (smartrest._arrow)')


def answers(workers, payloads: List[bytes], topics) -> Dict[str, object]:
    job = json.dumps({"payloads": [p.hex() for p in payloads], "topics": topics}) + "\n"
    out = {}
    for path, proc in workers.items():
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(job)
        proc.stdin.flush()
        out[path] = json.loads(proc.stdout.readline())
    return out


_piece = st.sampled_from([
    b"200", b"c8y_Temperature", b"T", b"C", b"23.45", b"-970.6", b"+.5", b"1e5", b"",
    b"2024-01-01T00:00:00.250+00:00", b"2024-01-01T00:00:00.000Z", b"2024-01-01T00:00:60Z",
    b"101", b"112", b"true", b"\xc2\xb0C", b"\xff", b'"q"', b'"a""b"', b"x\r", b"f" * 70,
    b"0", b"007", b"4503599627370497"])
_sep = st.sampled_from([b",", b",", b",", b"\n", b"\r\n", b"\n\n"])


@st.composite
def _payload(draw) -> bytes:
    parts = draw(st.lists(st.tuples(_piece, _sep), max_size=40))
    return b"".join(p + s for p, s in parts) + draw(st.sampled_from([b"", b"200", b"1.5"]))


def test_every_scan_path_gives_the_same_tables(workers):
    @settings(max_examples=150, deadline=None)
    @given(st.lists(_payload(), min_size=1, max_size=4), st.sampled_from([None, "s/us"]))
    def run(payloads, topics):
        got = answers(workers, payloads, topics)
        assert all(v == got["scalar"] for v in got.values()), got

    run()


@pytest.mark.parametrize("payloads", [
    [ROW * 300], [ROW * 3 + b'200,"f",T,1,C\n' + ROW * 3], [ROW * 3 + b"200,f,T,1,C\r\n"],
    [(ROW * 5)[:i] for i in range(0, 5 * len(ROW), 7)],
])
def test_scan_paths_on_the_edges(workers, payloads):
    got = answers(workers, payloads, "s/us")
    assert all(v == got["scalar"] for v in got.values()), got


# ------------------------------------------------------------------ buffers and sequences

def test_every_buffer_kind_gives_the_tables_of_bytes(c_tables, tmp_path):
    import array
    import mmap

    import numpy as np

    payload = ROW * 40 + b"200,c8y_Temperature,T,1.5,C\n"
    want = c_tables([payload])
    path = tmp_path / "p.bin"
    path.write_bytes(payload)
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), 0) as mm:
        for buf in (bytearray(payload), memoryview(payload), mm, array.array("B", payload),
                    np.frombuffer(payload, dtype=np.uint8).copy()):
            assert_same(c_tables([buf]), want)


def test_a_buffer_changed_by_another_thread(c_tables):
    """Each call reads the bytearray as it was at one moment: its tables are
    those of one of the two states, never a mix, and nothing crashes."""
    import threading

    good = ROW * 60
    bad = bytearray(good)
    bad[len(ROW) * 30 + 22:len(ROW) * 30 + 27] = b"2x.45"  # an invalid NUMBER
    outs = [c_tables([bytes(state)], errors="collect") for state in (good, bad)]
    assert not _same(outs[0], outs[1])  # the bad state drops a row
    buf = bytearray(good)
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            buf[:] = bad
            buf[:] = good

    t = threading.Thread(target=flip)
    t.start()
    try:
        for _ in range(200):
            got = c_tables([buf], errors="collect")
            assert any(_same(got, want) for want in outs)
    finally:
        stop.set()
        t.join()


def _same(got, want) -> bool:
    try:
        assert_same(got, want)
    except AssertionError:
        return False
    return True


def test_a_call_after_an_error_is_unaffected(c_tables):
    good = [ROW * 50, ROW * 3]
    want = c_tables(good)
    for bad in ([ROW * 10 + b"200,c8y_Temperature,T,x,C\n"], [ROW * 5 + b'200,"open']):
        with pytest.raises(SmartRestError) as info:
            c_tables(bad)
        assert info.value.offset is not None
        assert_same(c_tables(good), want)
