"""Properties of the codec checked with Hypothesis.

Round trips and streaming run against both implementations (``impl``); the
differential tests compare the C extension with the pure-Python reference
on the same random input (``py_impl`` and ``c_impl``).
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smartrest import TRIM_MARKER, RowTooLarge, packet_size

from codec_helpers import outcome, split, stream_outcome

# The fixtures hold no state, so sharing them between examples is safe.
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Any Unicode text except lone surrogates (they are no UTF-8), or text made
# of the characters the dialect treats specially.
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.text(
    '"\\,\n\r\t \x0b\x0cab\u00e9\u2028\U0001f600', max_size=12)
rows_strategy = st.lists(st.lists(values, min_size=1, max_size=5), max_size=6)
escapes = st.sampled_from(["backslash", "double"])

# Payload pieces rich in structure bytes, non-ASCII and invalid UTF-8.
PIECES = [
    b'"', b'"', b"\\", b"\\", b",", b",", b"\n", b"\n", b"\r", b"a", b"b", b" ",
    b"\t", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
    b"\xc3", b"\xa9", b"\xe2\x82", b"\xff", b"\x80", b"\xed\xa0\x80", b"\xc0\x80",
    b"\xf4\x90\x80\x80", b'\\"', b'""', b'\r\n', b'","',
]
rich_bytes = st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join)
payloads = st.binary(max_size=120) | rich_bytes


# ------------------------------------------------------------- round trips


@PROPERTY
@given(rows=rows_strategy, escape=escapes)
def test_round_trip(impl, rows, escape):
    payload = impl.encode(rows, quote_escape=escape)
    assert impl.decode(payload, limit=None) == rows
    assert impl.decode(payload, limit=None, strict=True) == rows
    assert payload == b"".join(impl.encode_row(r, quote_escape=escape) for r in rows)


@PROPERTY
@given(rows=rows_strategy, escape=escapes, cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_round_trip_streamed(impl, rows, escape, cuts):
    payload = impl.encode(rows, quote_escape=escape)
    assert stream_outcome(impl, split(payload, cuts), limit=None) == rows


# ------------------------------------------------------ C against Python


@PROPERTY
@given(data=payloads, strict=st.booleans(), limit=st.sampled_from([None, 16184, 40]))
def test_c_matches_python_on_bytes(py_impl, c_impl, data, strict, limit):
    expected = outcome(py_impl.decode, data, strict=strict, limit=limit)
    assert outcome(c_impl.decode, data, strict=strict, limit=limit) == expected


@PROPERTY
@given(data=rich_bytes, strict=st.booleans())
def test_c_matches_python_on_rich_bytes(py_impl, c_impl, data, strict):
    expected = outcome(py_impl.decode, data, strict=strict)
    assert outcome(c_impl.decode, data, strict=strict) == expected


@PROPERTY
@given(data=payloads, strict=st.booleans(), limit=st.sampled_from([None, 8, 30]),
       cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_c_matches_python_streaming(py_impl, c_impl, data, strict, limit, cuts):
    chunks = split(data, cuts)
    expected = stream_outcome(py_impl, chunks, strict=strict, limit=limit)
    assert stream_outcome(c_impl, chunks, strict=strict, limit=limit) == expected


@PROPERTY
@given(rows=rows_strategy, escape=escapes)
def test_c_matches_python_encoding(py_impl, c_impl, rows, escape):
    assert c_impl.encode(rows, quote_escape=escape) == py_impl.encode(rows, quote_escape=escape)


# --------------------------------------------------------------- streaming


@PROPERTY
@given(data=payloads, strict=st.booleans(), cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_decoder_split_matches_decode(impl, data, strict, cuts):
    expected = outcome(impl.decode, data, strict=strict, limit=None)
    assert stream_outcome(impl, split(data, cuts), strict=strict, limit=None) == expected


@PROPERTY
@given(data=payloads, strict=st.booleans())
def test_decoder_bytewise_matches_decode(impl, data, strict):
    expected = outcome(impl.decode, data, strict=strict, limit=None)
    chunks = [data[i:i + 1] for i in range(len(data))]
    assert stream_outcome(impl, chunks, strict=strict, limit=None) == expected


@PROPERTY
@given(data=payloads, strict=st.booleans(), limit=st.integers(1, 30),
       cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_decoder_with_limit_ignores_split(impl, data, strict, limit, cuts):
    whole = stream_outcome(impl, [data], strict=strict, limit=limit)
    assert stream_outcome(impl, split(data, cuts), strict=strict, limit=limit) == whole
    chunks = [data[i:i + 1] for i in range(len(data))]
    assert stream_outcome(impl, chunks, strict=strict, limit=limit) == whole
    if not isinstance(whole, tuple) or whole[0] is not RowTooLarge:
        # Without an oversize row the limit changes nothing.
        assert stream_outcome(impl, [data], strict=strict, limit=None) == whole


# ----------------------------------------------------------------- packing


topics = st.sampled_from(["a/b", "s/us", "s/us/caf\u00e9-child", "c8y/s/us"])


@PROPERTY
@given(rows=rows_strategy, topic=topics, qos=st.sampled_from([0, 1, 2]),
       limit=st.integers(20, 300), escape=escapes)
def test_pack_fits_and_keeps_everything(impl, rows, topic, qos, limit, escape):
    lines = [impl.encode_row(r, quote_escape=escape) for r in rows]
    try:
        publishes = impl.pack(rows, topic=topic, qos=qos, limit=limit, quote_escape=escape)
    except RowTooLarge as err:
        # Only when a row cannot fit alone.
        assert packet_size(topic, len(lines[err.row]), qos) > limit
        assert all(packet_size(topic, len(x), qos) <= limit for x in lines[:err.row])
        return
    assert all(packet_size(topic, len(p), qos) <= limit for p in publishes)
    assert all(publishes)
    assert b"".join(publishes) == b"".join(lines)
    # Every publish holds whole rows.
    decoded = [r for p in publishes for r in impl.decode(p, topic=topic, qos=qos, limit=limit)]
    assert decoded == rows
    # Greedy: the first row of the next publish did not fit in this one.
    for this, after in zip(publishes, publishes[1:]):
        first = impl.encode_row(impl.decode(after, limit=None)[0], quote_escape=escape)
        assert packet_size(topic, len(this) + len(first), qos) > limit


@PROPERTY
@given(rows=rows_strategy, topic=topics, qos=st.sampled_from([0, 1]),
       limit=st.integers(20, 120), escape=escapes)
def test_pack_truncate(impl, rows, topic, qos, limit, escape):
    assume(rows)
    try:
        publishes = impl.pack(rows, topic=topic, qos=qos, limit=limit,
                              on_oversize="truncate", quote_escape=escape)
    except RowTooLarge as err:
        # Even the row with its last field reduced to the marker is too big.
        row = list(rows[err.row][:-1]) + [TRIM_MARKER]
        line = impl.encode_row(row, quote_escape=escape)
        assert packet_size(topic, len(line), qos) > limit
        return
    assert all(packet_size(topic, len(p), qos) <= limit for p in publishes)
    decoded = [r for p in publishes for r in impl.decode(p, topic=topic, qos=qos, limit=limit,
                                                         strict=True)]
    assert len(decoded) == len(rows)
    for got, row in zip(decoded, rows):
        line = impl.encode_row(row, quote_escape=escape)
        if packet_size(topic, len(line), qos) <= limit:
            assert got == row
        else:
            assert got[:-1] == row[:-1]
            assert got[-1].endswith(TRIM_MARKER)
            assert row[-1].startswith(got[-1][: -len(TRIM_MARKER)])


# ---------------------------------------------------------------- pure encode

_EDGY = st.text(alphabet='ab ,\n\r\t"\\\x0b\x0c\u00e9\u2003', max_size=5)


@given(st.lists(st.one_of(st.lists(_EDGY, max_size=4), st.lists(_EDGY, max_size=4).map(tuple)),
                max_size=5))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_pure_encode_plain_path_equals_the_general_one(rows):
    # The str.join shortcuts of the pure encoder (whole payload, one row)
    # give what quoting value by value gives, or step aside; empty rows
    # raise on every path.
    from smartrest import _pure
    from smartrest.errors import EmptyRow

    plain = _pure._encode_plain(rows)
    try:
        general = _pure._encode_rows(rows, False)
    except EmptyRow:
        assert plain is None
        return
    by_value = "".join(_pure._row_text_by_value(r, False, i) for i, r in enumerate(rows))
    assert general == by_value.encode("utf-8")  # the per-row str.join shortcut agrees
    assert plain is None or plain == general
    assert _pure.encode(rows) == general


def test_pure_encode_plain_path_is_taken_and_declines():
    from smartrest import _pure

    assert _pure._encode_plain([["200", "c8y_T", "T", "1.5"], ("a b", "\u00e9")]) == (
        b"200,c8y_T,T,1.5\na b,\xc3\xa9\n")
    for rows in ([["a,b"]], [["a\nb"]], [['"']], [[""]], [["a", " b"]], [["a "]],
                 [["\x0ba"]], [["a\ud800"]], [["a", 1]], ["ab"], [], iter([["a"]])):
        assert _pure._encode_plain(rows) is None, rows
