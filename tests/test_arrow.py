"""smartrest.arrow: typed tables of the C path equal those of the template layer."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")

import smartrest  # noqa: E402
from smartrest import arrow  # noqa: E402
from smartrest.custom import TemplateCollection  # noqa: E402
from smartrest.errors import InvalidValue, MissingValue, SmartRestError  # noqa: E402

SPEC = json.loads(resources.files("smartrest").joinpath("data", "templates.json")
                  .read_text("utf-8"))
STATIC = SPEC["static_templates"]


@pytest.fixture
def c_tables(c_impl):
    """decode_tables of the C path; fails (never skips) without the extension."""
    if arrow._C is None:
        pytest.fail("smartrest._arrow cannot be imported: build the extension", pytrace=False)
    return arrow.decode_tables


@pytest.fixture
def tables(impl):
    """decode_tables of one implementation (the reference for "python")."""
    if impl.name == "python":
        return arrow._reference_tables
    if arrow._C is None:
        pytest.fail("smartrest._arrow cannot be imported: build the extension", pytrace=False)
    return arrow.decode_tables


def combined(tables: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v.combine_chunks() for k, v in tables.items()}


def assert_same(got: Dict[str, Any], want: Dict[str, Any]) -> None:
    got, want = combined(got), combined(want)
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key].schema == want[key].schema, key
        assert got[key].equals(want[key]), (key, got[key].to_pylist(), want[key].to_pylist())


def outcome(fn, payloads, **kw):
    try:
        return "ok", fn(payloads, **kw)
    except SmartRestError as exc:
        return "error", (type(exc), str(exc), exc.payload_index)


def assert_agree(fn, payloads, **kw):
    for errors in ("raise", "collect"):
        a = outcome(fn, payloads, errors=errors, **kw)
        b = outcome(arrow._reference_tables, payloads, errors=errors, **kw)
        assert a[0] == b[0], (a, b)
        if a[0] == "ok":
            assert_same(a[1], b[1])
        else:
            assert a[1] == b[1]


# ------------------------------------------------------------------ examples


@pytest.mark.parametrize("entry", STATIC, ids=lambda e: str(e["id"]))
def test_documented_example(c_tables, entry):
    payload = entry["example"].encode() + b"\n"
    assert_agree(c_tables, [payload, payload], topics=entry["topic"])
    tables = arrow._reference_tables([payload], topics=entry["topic"])
    [msg] = smartrest.decode_messages(payload, topic=entry["topic"], typed=True)
    table = tables[str(entry["id"])]
    assert table.schema == arrow.table_schema(entry["id"], topic=entry["topic"])
    row = table.to_pylist()[0]
    for name, value in msg.fields.items():
        assert row[name] == value or (isinstance(value, dt.datetime) and row[name] == value)


def test_measurement_columns(tables):
    payloads = [b"200,c8y_Temperature,T,25.5,C,2020-01-01T01:00:00.5+01:00\n"
                b"200,c8y_Temperature,T,-1e-3,,\n", b"211,7\n"]
    result = tables(payloads, topics=["s/us/child", "s/us"])
    t = result["200"]
    assert t.column_names == ["message", "row", "device", "fragment", "series", "value",
                              "unit", "time"]
    assert t.schema.field("fragment").type == pa.dictionary(pa.int32(), pa.string())
    assert t.schema.field("time").type == pa.timestamp("us", tz="UTC")
    rows = t.to_pylist()
    assert rows[0]["time"] == dt.datetime(2020, 1, 1, 0, 0, 0, 500000, dt.timezone.utc)
    assert rows[1]["value"] == -1e-3 and rows[1]["unit"] is None and rows[1]["time"] is None
    assert [r["device"] for r in rows] == ["child", "child"]
    assert result["211"].to_pylist()[0]["device"] is None


@pytest.mark.parametrize("line", [
    b"200,f,s,1.5,C,2016-02-30T00:00Z", b"200,f,s,1.5,C,0000-01-01T00:00Z",
    b"200,f,s,1.5,C,2016-12-31T23:59:60.7-02:30", b"200,f,s,0.1e-400,C",
    b"200,f,s,123456789012345678901234567890,C", b"112,1,2,3,99999999999999999999",
    b"200,f,s,x,C", b"200,f,s", b"200,f,s,1,C,2020-01-01T00:00Z,extra", b"999,a",
    b'200,"f",s,"1.5",C', b"200,\xc3\xa9,s,1,C", b"200,f,s,1\xff", b'200,"open',
    b"510,serial", "101,c,n,t,fal\u017fe".encode(),
    b"101,child,n,t,TRUE", b"210,,", b"210,1,,", b"", b"\n\n", b"200,f,s,1,C\r\n\r\n",
])
def test_broken_and_odd_rows(c_tables, line):
    good = b"200,f,s,1,C\n"
    payloads = [good, good + line + b"\n" + good, good]
    assert_agree(c_tables, payloads, topics="s/us")
    assert_agree(c_tables, payloads)


def test_raise_is_the_error_of_decode_messages(tables):
    payloads = [b"200,f,s,1,C\n", b"211,1\n200,f,s\n", b"200,x\n"]
    with pytest.raises(MissingValue) as info:
        tables(payloads, topics="s/us")
    with pytest.raises(MissingValue) as want:
        smartrest.decode_messages(payloads[1], topic="s/us")
    assert str(info.value) == str(want.value) and info.value.payload_index == 1


def test_conversion_errors_are_invalid_values(tables):
    with pytest.raises(InvalidValue, match="does not convert") as info:
        tables([b"200,f,s,1,C,2016-02-30T00:00Z\n"])
    assert (info.value.offset, info.value.row, info.value.field) == (0, 0, 5)


def test_collect_keeps_every_good_row(c_tables):
    payloads = [b"200,f,s,1,C\n200,f,s,x\n211,3\n", b"200,a,b,2,C\n\xff\n211,4\n",
                b'211,5\n211,"6']
    tables = c_tables(payloads, topics="s/us", errors="collect")
    assert [(r["message"], r["row"]) for r in tables["211"].to_pylist()] == [
        (0, 2), (1, 2), (2, 0)]
    errors = tables["errors"].to_pylist()
    assert [(e["message"], e["row"], e["error"]) for e in errors] == [
        (0, 1, "InvalidValue"), (1, 1, "InvalidUtf8"), (2, 1, "UnterminatedQuote")]
    assert_agree(c_tables, payloads, topics="s/us")


# ------------------------------------------------------------------ inputs


@pytest.mark.parametrize("kind", ["binary", "large_binary", "string", "large_string"])
def test_arrow_inputs(c_tables, kind):
    payloads = [b"200,f,s,1,C\n", b"211,2\n", b"200,g,s,3,C\n"] * 5
    array = pa.array(payloads, pa.binary()).cast(getattr(pa, kind)())
    want = c_tables(payloads)
    assert_same(c_tables(array[2:]), c_tables(payloads[2:]))
    chunked = pa.chunked_array([array[:4], array[4:]])
    assert_same(c_tables(chunked), want)
    topics = pa.array(["s/us/a", None, "s/us"] * 5)
    assert_agree(c_tables, chunked, topics=topics)


def test_null_payload_and_bad_options(tables):
    with pytest.raises(ValueError, match="payload 1 is null"):
        tables(pa.array([b"211,1", None]))
    with pytest.raises(ValueError, match="topics"):
        tables([b"211,1"], topics=["s/us", "s/us"])
    with pytest.raises(TypeError):
        tables(["211,1"])
    with pytest.raises(ValueError):
        tables([b"211,1"], errors="ignore")


def test_threads_give_the_same_tables(c_tables):
    payloads = [f"200,f,s,{i}.25,C,2020-01-01T00:00:{i % 60:02d}Z\n211,{i}\n".encode()
                for i in range(500)]
    payloads[250] = b"200,f,s,bad,C\n211,1\n"
    one = c_tables(payloads, errors="collect")
    assert_same(c_tables(payloads, errors="collect", threads=3), one)
    assert_same(one, arrow._reference_tables(payloads, errors="collect"))


def _dictionary_columns(tables: Dict[str, Any]) -> List[Any]:
    return [c for t in tables.values() for c in t.columns
            if pa.types.is_dictionary(c.type)]


@pytest.mark.parametrize("threads", [1, 2])
def test_dictionaries_equal_those_of_pyarrow(c_tables, threads):
    # Many distinct values (the hash of a column grows many times), nulls,
    # repeats, values of one and many 8-byte words, in many payloads.
    payloads = [b"".join(f"200,frag{(i * 7 + j) % 3001}_{'x' * (j % 19)},s{j % 3},{j},"
                         f"{'' if j % 5 == 0 else 'u' + str(i % 4)}\n".encode()
                         for j in range(40)) for i in range(300)]
    got = c_tables(payloads, threads=threads)
    assert_same(got, arrow._reference_tables(payloads))
    for column in _dictionary_columns(got):
        encoded = pa.compute.dictionary_encode(column.cast(pa.string()))
        assert all(c.dictionary.equals(column.chunk(0).dictionary) for c in column.chunks)
        assert column.combine_chunks().equals(encoded.combine_chunks())


def test_dictionary_entries_of_a_payload_handed_back_are_taken_back(c_tables):
    # "new" enters the fragment dictionary, then its row fails at the value:
    # the payload goes to the template layer, which leaves the row out.
    payloads = [b"200,a,s,1,C\n", b"200,new,s,x,C\n200,newer,s,1,C,bad\n",
                b"200,b,s,2,C\n"] * 3
    for threads in (1, 2, 3):
        got = c_tables(payloads, errors="collect", threads=threads)
        assert got["200"].column("fragment").combine_chunks().dictionary.to_pylist() == [
            "a", "b"]
        assert_same(got, arrow._reference_tables(payloads, errors="collect"))


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_payloads_handed_back_in_the_middle_of_a_range(c_tables, threads):
    payloads = [f"200,f{i % 7},s,{i}.5,C,2020-01-01T00:00:00.{i % 1000:03d}Z\n".encode()
                for i in range(200)]
    for i in (1, 50, 99, 100, 101, 150, 198):  # read by the template layer
        payloads[i] = (f"200,g{i},s,{i},C\n".encode() + b"200,f,s,1,C,2016-02-30T00:00Z\n"
                       + f'200,"q{i}",s,1,C\n'.encode())
    want = arrow._reference_tables(payloads, errors="collect")
    got = c_tables(payloads, errors="collect", threads=threads)
    assert_same(got, want)
    assert_same(c_tables(payloads, errors="collect", threads=1), got)


def test_python_threads_calling_at_once_agree(c_tables):
    from concurrent.futures import ThreadPoolExecutor

    payloads = [f"200,f{i % 11},s,{i}.5,C,2020-01-01T00:00:00.{i % 1000:03d}+01:00\n".encode()
                * 30 for i in range(400)]
    want = c_tables(payloads)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: c_tables(payloads), range(8)))
    for got in results:
        assert_same(got, want)


FIXED_AND_GENERAL_DATES = [
    # the fixed layouts, taken in C without the general parser
    "2020-01-01T00:00:00Z", "2020-01-01T00:00:00z", "2024-02-29T23:59:59.999Z",
    "1999-12-31T23:59:59.000+23:59", "2000-03-01T00:00:00.001-23:59",
    "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999-00:00",
    # their edges, and the layouts the general parser decides
    "2020-01-01T00:00:60Z", "2020-01-01T00:00:60.500+01:00", "2023-02-29T00:00:00Z",
    "2023-02-29T00:00:00.000+01:00", "0000-01-01T00:00:00Z", "2020-04-31T00:00:00Z",
    "2020-01-01T00:00:00,5Z", "2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00.123456789Z",
    "2020-01-01T00:00Z", "2020-01-01T00:00+0130", "2020-01-01T00:00:00+01",
    "2020-01-01T00:00:00.000+0100", "2020-01-01T00:00:00.000+24:00",
    "2020-01-01T00:00:00.000+01:60", "2020-01-01T24:00:00Z", "2020-13-01T00:00:00Z",
    "2020-00-01T00:00:00Z", "2020-01-00T00:00:00Z", "2020-01-01T00:60:00Z",
    "2020-01-01T00:00:00.00xZ", "2020-01-01 00:00:00Z", "2020-01-01T00:00:00.000*01:00",
]


@pytest.mark.parametrize("date", FIXED_AND_GENERAL_DATES)
def test_dates_of_the_fast_and_the_general_path(c_tables, date):
    payloads = [b"200,f,s,1,C,2020-01-01T00:00:00Z\n",
                f"200,f,s,2,C,{date}\n".encode(), b"200,f,s,3,C\n"]
    assert_agree(c_tables, payloads, topics="s/us")


def test_dates_one_after_another(c_tables):
    # The C date column keeps the minute of the date before: every date
    # here follows every other one, most of them in the same minute.
    dates = FIXED_AND_GENERAL_DATES + ["2020-01-01T00:00:59.999Z", "2020-01-01T00:01:00Z",
                                       "2020-01-01T00:00:00.000-00:01"]
    order = dates + dates[::-1] + dates[::2] + dates[1::2]
    payloads = [f"200,f,s,{i},C,{d}\n".encode() for i, d in enumerate(order)]
    assert_agree(c_tables, payloads, topics="s/us")
    assert_agree(c_tables, [b"".join(payloads[:40]), b"".join(payloads[40:])], topics="s/us")


def test_collection_rows_are_typed(tables):
    collection = TemplateCollection("xid", [
        ["10", "100", "POST", "MEASUREMENT", "false", "c8y_M", "",
         "c8y_M.M.value", "NUMBER", ""],
        ["11", "900", "", "", "$.x"]])
    payloads = [b"100,2020-01-01T00:00Z,1.5\n100,2.5\n", b"900,a\n"]
    result = tables(payloads, topics=["s/uc/xid", "s/dc/xid"], collection=collection)
    rows = result["100"].to_pylist()
    assert [r["c8y_M.M.value"] for r in rows] == [1.5, 2.5]
    assert rows[0]["time"] == dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    assert rows[1]["time"] is None
    assert result["900"].to_pylist()[0]["$.x"] == "a"
    assert result["100"].schema == arrow.table_schema(100, collection=collection)


def test_untyped_table(impl):
    table = arrow.decode_table([b"200,a,b\n999,x\n", b"1"])
    assert table.to_pylist() == [
        {"message": 0, "row": 0, "template": "200", "values": ["a", "b"]},
        {"message": 0, "row": 1, "template": "999", "values": ["x"]},
        {"message": 1, "row": 0, "template": "1", "values": []}]
    with pytest.raises(SmartRestError) as info:
        arrow.decode_table([b"1", b'"x'])
    assert info.value.payload_index == 1


# ------------------------------------------------------------------ generated rows

_number = st.one_of(st.floats(allow_nan=False).map(repr),
                    st.from_regex(r"[+-]?[0-9]{1,25}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?",
                                  fullmatch=True))
_date = st.from_regex(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])"
                      r":[0-5][0-9](:([0-5][0-9]|60)([.,][0-9]{1,9})?)?"
                      r"(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)", fullmatch=True)
_text = st.text(alphabet=st.sampled_from('ab,"\\\n\r é1.-'), max_size=6)
_value = st.one_of(_number, _date, _text, st.just(""))


@st.composite
def _rows(draw) -> List[List[str]]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        tid = draw(st.sampled_from(["200", "211", "112", "101", "210", "522", "401", "999"]))
        out.append([tid] + draw(st.lists(_value, max_size=7)))
    return out


def test_generated_rows_agree(c_tables):
    @settings(max_examples=120, deadline=None)
    @given(st.lists(_rows(), min_size=1, max_size=4), st.sampled_from([None, "s/us", "s/ds"]))
    def check(payload_rows, topic):
        payloads = [smartrest.encode(rows) for rows in payload_rows]
        assert_agree(c_tables, payloads, topics=topic)

    check()


def test_columns_outlive_their_tables(c_tables):
    # The C tables reach pyarrow through the Arrow C data interface: each
    # column keeps the buffers it points at after the table, the batch and
    # every other column are gone.
    import gc

    payloads = [f"200,c8y_T,T,{i}.5,C,2020-01-01T00:00:0{i % 10}Z\n110,SN{i},m,1\n".encode()
                for i in range(50)]
    want = arrow._reference_tables(payloads, topics="s/us")
    kept = []
    for _ in range(3):
        got = c_tables(payloads, topics="s/us")
        kept += [got["200"].column("fragment").chunk(0).dictionary,
                 got["200"].column("time"), got["110"].column("serial_number").chunk(0)]
        del got
        gc.collect()
    for i in range(0, len(kept), 3):
        assert kept[i].to_pylist() == ["c8y_T"]
        assert kept[i + 1].equals(want["200"].column("time"))
        assert kept[i + 2].to_pylist() == want["110"].column("serial_number").to_pylist()


def test_extension_imported_before_the_package(c_tables):
    """Importing smartrest._arrow first (as an unpickler in a fresh worker
    may) leaves smartrest.arrow whole: its C path decodes."""
    import subprocess
    import sys

    code = ("import smartrest._arrow, smartrest.arrow as a\n"
            "assert a._C is smartrest._arrow, a._C\n"
            "t = a.decode_tables([b'200,c8_Temperature,T,25.5,C'])\n"
            "print(t['200'].column('value').to_pylist())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[25.5]"


# ------------------------------------------------------------------ the pool of output blocks

ON_LINUX = __import__("sys").platform.startswith("linux")


@pytest.fixture
def pool_limit(c_tables):
    """The pool's limit, restored after the test."""
    before = arrow.output_pool().limit
    yield before
    arrow.output_pool(before)


def big_batch(rows: int, *, nulls: bool) -> List[bytes]:
    """200 rows in publishes of about 16 KB: every value (nulls False), or
    the unit and time left empty in two rows of three (nulls True)."""
    lines = []
    for i in range(rows):
        if nulls and i % 3:
            lines.append(["200", f"frag{i % 7}", "s", f"{i}.25"])
        else:
            lines.append(["200", f"c8y_Fragment_{i % 13}", f"series{i % 5}", f"{-i}.5", "kWh",
                          f"2021-0{1 + i % 9}-1{i % 10}T0{i % 10}:00:00.{i % 1000:03d}+02:00"])
    return smartrest.pack(lines, topic="s/us")


def test_output_pool_reports_and_sets_its_limit(pool_limit):
    state = arrow.output_pool()
    assert isinstance(state, arrow.OutputPool)
    if not ON_LINUX:
        assert state == (0, 0)
        return
    assert state.limit == 256 << 20
    assert 0 <= state.held <= state.limit
    assert arrow.output_pool(1 << 30).limit == 1 << 30
    assert arrow.output_pool(0) == (0, 0)  # frees every block kept
    assert arrow.output_pool(10 ** 30).limit == 2 ** 64 - 2  # past size_t: no limit
    for bad, error in ((-1, ValueError), (1.5, TypeError), ("1", TypeError), (True, TypeError)):
        with pytest.raises(error):
            arrow.output_pool(bad)


def test_output_pool_without_the_extension_is_empty(monkeypatch):
    monkeypatch.setattr(arrow, "_C", None)
    assert arrow.output_pool() == (0, 0)
    assert arrow.output_pool(123) == (0, 0)


def test_reused_blocks_give_the_tables_of_fresh_ones(pool_limit):
    # A batch with every value present fills the blocks (validity bits set,
    # strings, dates); once its tables are gone the pool holds the blocks,
    # and a batch with nulls written into them gives the tables of the
    # template layer, and those of a run with no pool.
    import gc

    full, sparse = big_batch(30000, nulls=False), big_batch(30000, nulls=True)
    arrow.output_pool(256 << 20)
    tables = arrow.decode_tables(full, topics="s/us", threads=2)
    assert tables["200"].num_rows == 30000
    del tables
    gc.collect()
    held = arrow.output_pool().held
    assert held > 0 if ON_LINUX else held == 0
    got = arrow.decode_tables(sparse, topics="s/us")
    assert arrow.output_pool().held < held or not ON_LINUX  # blocks taken again
    assert got["200"].column("unit").null_count == 20000
    arrow.output_pool(0)
    fresh = arrow.decode_tables(sparse, topics="s/us")
    assert_same(got, fresh)
    assert_same(got, arrow._reference_tables(sparse, topics="s/us"))


def test_python_threads_share_the_pool(pool_limit):
    from concurrent.futures import ThreadPoolExecutor

    batches = [big_batch(12000, nulls=bool(i % 2)) for i in range(2)]
    want = [arrow.decode_tables(b, topics="s/us") for b in batches]
    arrow.output_pool(8 << 20)  # small: blocks are kept and freed as threads go

    def run(i: int) -> Dict[str, Any]:
        return arrow.decode_tables(batches[i % 2], topics="s/us", threads=1 + i % 2)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(16)))
    for i, got in enumerate(results):
        assert_same(got, want[i % 2])
    assert arrow.output_pool().held <= 8 << 20


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="os.fork is POSIX only")
def test_a_child_forked_while_a_thread_is_in_the_pool_can_use_it(pool_limit):
    # The pool's lock is held across fork(): a child forked while another
    # thread holds it (output_pool takes it without the GIL, in a tight
    # loop here) starts with it free.  Without that, a child forked in the
    # lock's hold would wait on it for ever; over 30 forks some are.  The
    # child only asks the pool (pyarrow is not fork-safe with threads).
    import os
    import threading
    import time
    import warnings

    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            arrow.output_pool()

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(30):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
                pid = os.fork()
            if pid == 0:
                try:
                    os._exit(0 if arrow.output_pool().limit == pool_limit else 3)
                except BaseException:
                    os._exit(4)
            deadline = time.monotonic() + 20
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    pytest.fail("a forked child waits on the pool's lock")
                time.sleep(0.005)
            assert os.waitstatus_to_exitcode(status) == 0
    finally:
        stop.set()
        worker.join()
