"""tokenize(), Tokens.column() and decode_batch(), C and pure Python."""

from __future__ import annotations

import itertools
import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from conftest import c_api  # noqa: E402

from smartrest import _pure, _pure_batch  # noqa: E402
from smartrest.errors import (  # noqa: E402
    InvalidNumber, PayloadTooLarge, SmartRestError, UnterminatedQuote)


@pytest.fixture(params=["python", "c"])
def col(request):
    """The module of one implementation's tokenize and decode_batch."""
    if request.param == "python":
        return _pure_batch
    return c_api().module


PAYLOAD = (b'200,c8y_Temperature,T,25.3,C\n'
           b'200,c8y_Temperature,T,-1e3,\n'
           b'400,"say \\"hi\\", ok",\xc3\xa9\r\n'
           b'\n'
           b'201,x,,"7"\n')


def test_rows_and_boundaries(col):
    t = col.tokenize(PAYLOAD)
    rows = _pure.decode(PAYLOAD)
    assert len(t) == len(rows) == 4
    assert t.nfields == sum(map(len, rows))
    assert t.to_rows() == rows
    assert [t.row(i) for i in range(len(t))] == rows
    assert list(t.row_starts) == [0, 5, 10, 13, 17]
    data = bytes(t.data)
    values = [data[s:e].decode() for s, e in zip(t.starts, t.ends)]
    assert values == [f for r in rows for f in r]


def test_arrays_are_read_only(col):
    # Tokens reads fields through these offsets: they cannot be changed.
    t = col.tokenize(PAYLOAD)
    for array in (t.starts, t.ends, t.row_starts):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 10**9
        if col is not _pure_batch:  # C: the memory itself is lent read-only
            with pytest.raises(ValueError):
                array.flags.writeable = True
    assert t.to_rows() == _pure.decode(PAYLOAD)


def test_arrays_outlive_tokens(col):
    t = col.tokenize(PAYLOAD)
    starts, rows = t.starts, t.row_starts
    expected = (list(starts), list(rows))
    del t
    assert (list(starts), list(rows)) == expected


def test_arrays_are_made_once(col):
    # C makes the numpy arrays when first asked for: the same object after.
    t = col.tokenize(PAYLOAD)
    assert t.starts is t.starts and t.ends is t.ends
    assert t.flags is t.flags and t.row_starts is t.row_starts
    assert list(t.flags) == [0] * 10 + [0, 1, 2] + [0, 0, 0, 1]  # 1 quoted, 2 non-ASCII


def test_tokens_come_from_tokenize():
    module = c_api().module
    with pytest.raises(TypeError, match="tokenize"):
        module.Tokens()


def test_growth_of_the_arrays(col):
    # Far more fields than the initial guess (one per 8 bytes), and many
    # unescaped values: the arrays and the unescaped data grow as needed.
    payload = b"1," * 5000 + b"2\n" + b'"a\\"b",' * 300 + b'"\\""\n' + b"3"
    t = col.tokenize(payload)
    rows = _pure.decode(payload)
    assert t.to_rows() == rows
    assert t.nfields == sum(map(len, rows))
    assert list(t.row_starts) == [0, 5001, 5302, 5303]
    assert t.column(1, dtype=str, default="-").tolist() == ["1", 'a"b', "-"]
    assert t.column(300, dtype=str).tolist() == ["1", '"', ""]


def test_large_payload(col):
    # Arrays of several MB (the C code asks for huge pages for them).
    rows = [["200", "c8y_Temperature", "T", f"{i / 7:.3f}", "C"] for i in range(200_000)]
    payload = _pure.encode(rows)
    assert len(payload) > 4 << 20
    t = col.tokenize(payload)
    assert len(t) == len(rows) and t.nfields == 5 * len(rows)
    assert t.row(len(rows) - 1) == rows[-1]
    assert t.column(3, dtype=float).tolist() == [float(r[3]) for r in rows]


def test_float_column(col):
    t = col.tokenize(PAYLOAD)
    got = t.column(3, dtype=float)
    assert got.dtype == np.float64
    assert got[0] == 25.3 and got[1] == -1000.0 and got[3] == 7.0
    assert math.isnan(got[2])  # row 2 has no field 3
    assert list(t.column(3, dtype=float, default=0.0))[2] == 0.0


def test_int_and_str_columns(col):
    t = col.tokenize(PAYLOAD)
    assert list(t.column(0, dtype=int)) == [200, 200, 400, 201]
    assert list(t.column(1, dtype=str)) == ["c8y_Temperature", "c8y_Temperature",
                                            'say "hi", ok', "x"]
    with pytest.raises(InvalidNumber) as info:
        t.column(2, dtype=int)
    assert (info.value.row, info.value.field) == (0, 2)  # "T"
    short = col.tokenize(b"1,,5\n2,3\n3\n")
    assert list(short.column(1, dtype=int, default=-1)) == [-1, 3, -1]
    with pytest.raises(InvalidNumber, match="missing or empty") as info:
        short.column(1, dtype=int)
    assert info.value.row == 0


def test_bad_number_names_row_and_field(col):
    t = col.tokenize(b"200,a,b,25.3\n200,a,b,2x5\n")
    with pytest.raises(InvalidNumber) as info:
        t.column(3)
    assert (info.value.row, info.value.field) == (1, 3)
    assert "2x5" in str(info.value)


def test_int64_range(col):
    t = col.tokenize(b"9223372036854775807\n-9223372036854775808\n")
    assert list(t.column(0, dtype=int)) == [2**63 - 1, -2**63]
    with pytest.raises(InvalidNumber, match="int64"):
        col.tokenize(b"9223372036854775808\n").column(0, dtype=int)


def test_tokenize_errors_like_decode(col):
    with pytest.raises(UnterminatedQuote) as info:
        col.tokenize(b'200,"open\n')
    assert info.value.offset == 4
    with pytest.raises(ValueError):
        col.tokenize(PAYLOAD).column(0, dtype=complex)


# Bytes that matter to the tokenizer, and a few that do not.
payload_bytes = st.lists(st.sampled_from(
    [b",", b"\n", b"\r", b'"', b"\\", b"a", b"7", b"\xc3\xa9", b"\xff", b" "]),
    max_size=60).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload_bytes, st.booleans())
def test_tokenize_agrees_with_decode(col, payload, strict):
    # The same rows, or the same error, as the reference decode; and every
    # field's span in data holds its value.
    try:
        want = _pure.decode(payload, strict=strict, limit=None)
    except SmartRestError as exc:
        with pytest.raises(type(exc)) as info:
            col.tokenize(payload, strict=strict)
        assert (info.value.offset, info.value.row, info.value.field) == (
            exc.offset, exc.row, exc.field)
        return
    t = col.tokenize(payload, strict=strict)
    assert t.to_rows() == want
    data = bytes(t.data)
    values = [data[s:e].decode() for s, e in zip(t.starts, t.ends)]
    assert values == [f for row in want for f in row]
    assert list(t.row_starts) == [0] + list(itertools.accumulate(map(len, want)))
    if col is not _pure_batch:  # the C flags against the reference
        assert list(t.flags) == list(_pure_batch.tokenize(payload, strict=strict).flags)


numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.sampled_from(["1e22", "1e23", "0.1", "-0", "123456789012345678", "4.9e-324", "nan", "inf",
                     # The short-decimal path: a dot anywhere, 16 characters
                     # at most after the sign, up to 2**53 and just past it.
                     "1.", ".5", "-.5", "+1.5", "+.0", "0.000000000000001",
                     "123456789012345.6", "1234567.89012345", "9007199254740992",
                     "9007199254740993", "900719925474099.3", "1.2.3", "12e", "1_0"]),
    st.from_regex(r"\A[+-]?[0-9]{0,9}\.?[0-9]{0,9}\Z").filter(
        lambda t: any(c.isdigit() for c in t)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(numbers, min_size=1, max_size=30))
def test_float_column_equals_python_float(col, texts):
    good = []
    for t in texts:
        try:
            good.append((t, float(t)))
        except ValueError:  # "1.2.3", "12e": the column must refuse them
            with pytest.raises(InvalidNumber):
                col.tokenize(f"200,f,s,{t}\n".encode()).column(3)
    payload = "".join(f"200,f,s,{t}\n" for t, _ in good).encode()
    got = col.tokenize(payload).column(3)
    want = [w for _, w in good]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (math.isnan(g) and math.isnan(w)) or g == w


def test_decode_batch_equals_decode(col):
    payloads = [PAYLOAD, b"", b"a,b", bytearray(b"x\n"), memoryview(b'"q",r\n')]
    assert col.decode_batch(payloads) == [_pure.decode(p) for p in payloads]


def test_decode_batch_names_the_bad_payload(col):
    with pytest.raises(UnterminatedQuote) as info:
        col.decode_batch([b"ok\n", b"fine\n", b'"open'])
    assert info.value.payload_index == 2
    with pytest.raises(PayloadTooLarge) as info:
        col.decode_batch([b"ok\n", b"x" * 20000])
    assert info.value.payload_index == 1


def test_decode_batch_from_threads(col):
    payloads = [(f"200,c8y_T,T,{i}.5,C\n" * 50).encode() for i in range(40)]
    want = [_pure.decode(p) for p in payloads]
    results = [None] * 4

    def work(k):
        results[k] = col.decode_batch(payloads)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(r == want for r in results)
