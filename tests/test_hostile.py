"""Hostile input: each case with the exact error (class, offset, row, field)
or the exact rows expected, for both implementations.

The long-stream tests are marked slow; they run by default.  The stream of
short rows is 8 MB by default and 50 MB with SMARTREST_HOSTILE_FULL=1.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from smartrest import LIMIT, packet_size
from smartrest.errors import (
    EmptyRow,
    InvalidUtf8,
    PayloadTooLarge,
    RowTooLarge,
    TextAfterQuote,
    UnterminatedQuote,
)

from codec_helpers import bytewise, error_where, stream


def plain_rows(payload: bytes):
    """The rows of a payload whose quotes are all ordinary characters: the
    dialect then reduces to splitting lines and commas."""
    rows = []
    for line in payload.decode("utf-8").split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line:
            rows.append(line.split(","))
    return rows


# ------------------------------------------------------------ 16,184 commas


def test_16184_commas_is_too_large_without_topic(impl):
    # Without a topic the 2-byte minimum header leaves 16182 payload bytes.
    payload = b"," * 16184
    assert error_where(impl.decode, payload) == (PayloadTooLarge, 16182, 0, None)
    assert error_where(impl.decode, b"," * 16183) == (PayloadTooLarge, 16182, 0, None)


def test_16184_commas_without_limit(impl):
    rows = impl.decode(b"," * 16184, limit=None)
    assert rows == [[""] * 16185]
    rows = impl.decode(b"," * 16184 + b"\n" + b"," * 16184, limit=None)
    assert rows == [[""] * 16185, [""] * 16185]


def test_16182_commas_fit(impl):
    assert impl.decode(b"," * 16182) == [[""] * 16183]


def test_16184_commas_in_a_stream(impl):
    # A row of exactly the limit is fine; one byte more is not.
    assert stream(impl, [b"," * 16184]) == [[""] * 16185]
    assert stream(impl, [b"," * 16184 + b"\n"]) == [[""] * 16185]
    assert error_where(stream, impl, [b"," * 16185]) == (RowTooLarge, LIMIT, 0, None)
    assert error_where(stream, impl, [b"x\n" + b"," * 16185 + b"\n"]) == (
        RowTooLarge, 2 + LIMIT, 1, None)


def test_16184_commas_encoded(impl):
    # 16185 empty values encode to 16184 commas and come back.
    payload = impl.encode([[""] * 16185])
    assert payload == b"," * 16184 + b"\n"
    assert impl.decode(payload, limit=None) == [[""] * 16185]


# ------------------------------------------------------------ endless row (50 MB, no LF)


def _rss_kib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _feed_endless(impl, total, chunk_size, quoted=False):
    """Feed `total` bytes without a LF; return (bytes fed, error, RSS growth)."""
    decoder = impl.Decoder()
    chunk = b"q" * chunk_size
    fed = 0
    rss_before = _rss_kib()
    rss_peak = rss_before
    error = None
    if quoted:
        decoder.feed(b'"')
        fed = 1
    try:
        while fed < total:
            decoder.feed(chunk)
            fed += chunk_size
            rss_peak = max(rss_peak, _rss_kib())
    except RowTooLarge as exc:
        error = exc
    return fed, error, rss_peak - rss_before


@pytest.mark.slow
@pytest.mark.parametrize("quoted", [False, True])
def test_endless_row_is_rejected_at_the_limit(impl, quoted):
    # 50 MB with no LF: the decoder stops at the limit; it never holds more
    # than one limit's worth of the row.
    fed, error, growth = _feed_endless(impl, 50 * 1024 * 1024, 4096, quoted)
    assert error is not None
    assert (type(error), error.offset, error.row, error.field) == (RowTooLarge, LIMIT, 0, None)
    assert fed <= LIMIT + 4096
    assert growth < 8 * 1024  # KiB


@pytest.mark.slow
def test_endless_row_in_one_50mb_chunk(impl):
    payload = b"x" * (50 * 1024 * 1024)
    decoder = impl.Decoder()
    assert error_where(decoder.feed, payload) == (RowTooLarge, LIMIT, 0, None)
    del payload


FULL = os.environ.get("SMARTREST_HOSTILE_FULL", "") not in ("", "0")


@pytest.mark.slow
def test_long_stream_of_short_rows_stays_flat(impl):
    # 8 MB (50 MB with SMARTREST_HOSTILE_FULL=1) of short rows in 64 KiB
    # chunks cut inside rows: memory does not grow with the stream.
    decoder = impl.Decoder()
    chunk = b"200,c8y_T,T,25\n" * 4369  # 65535 bytes
    total = (50 if FULL else 8) * 1024 * 1024
    rows = 0
    rss_before = _rss_kib()
    for i in range(total // len(chunk)):
        rows += len(decoder.feed(chunk[: 1 + i % 7]))
        rows += len(decoder.feed(chunk[1 + i % 7:]))
    rows += len(decoder.close())
    assert rows == 4369 * (total // len(chunk))
    assert _rss_kib() - rss_before < 8 * 1024


# ------------------------------------------------------------ unterminated quote everywhere

BASE = "100,abc,,z\r\n200,x\n\n300,\u00e9t\u00e9,\u20ac".encode("utf-8")


def _field_starts(payload):
    starts = {}
    row = field = 0
    line_start = True
    for i in range(len(payload) + 1):
        if line_start or payload[i - 1:i] == b",":
            starts[i] = (row, field)
        if i == len(payload):
            break
        c = payload[i:i + 1]
        if c == b",":
            field += 1
            line_start = False
        elif c == b"\n":
            if not line_start:
                row += 1
            field = 0
            line_start = True
        elif c == b"\r" and payload[i + 1:i + 2] == b"\n":
            pass
        else:
            line_start = False
    return starts


@pytest.mark.parametrize("truncate", [False, True])
def test_unterminated_quote_at_every_position(impl, truncate):
    starts = _field_starts(BASE)
    for i in range(len(BASE) + 1):
        if BASE[i - 1:i + 1] in (b"\xc3\xa9", b"\xe2\x82", b"\x82\xac") and i > 0:
            continue  # not a character boundary
        payload = BASE[:i] + b'"' + (b"" if truncate else BASE[i:])
        if i in starts:
            row, field = starts[i]
            expected = (UnterminatedQuote, i, row, field)
            assert error_where(impl.decode, payload) == expected, payload
            assert error_where(stream, impl, [payload]) == expected, payload
            assert error_where(stream, impl, bytewise(payload)) == expected, payload
        else:
            # A quote that does not open a field is an ordinary character.
            rows = plain_rows(payload)
            assert impl.decode(payload) == rows, payload
            assert stream(impl, bytewise(payload)) == rows, payload


def test_unterminated_quote_returns_an_error(impl):
    # Regression: the C core's end-of-payload check for an open quote
    # called itself instead of failing (endless recursion: a hang at -O3, a
    # stack overflow under ASan).  Run in a child process so that a hang
    # fails the test instead of stalling the suite.
    code = (
        "import sys, smartrest._codec as c, smartrest._pure as p\n"
        "m = c if sys.argv[1] == 'c' else p\n"
        "for payload, limit in [(b'\"', None), (b'a,\"b\\xc3\\xa9', None),"
        " (b'\"x\\\\', 100), (b'\"' + b'y' * 50, 10)]:\n"
        "    try:\n"
        "        d = m.Decoder(limit=limit); d.feed(payload); d.close()\n"
        "    except ValueError as e:\n"
        "        print(type(e).__name__, e.offset)\n"
        "    try:\n"
        "        m.decode(payload)\n"
        "    except ValueError as e:\n"
        "        print(type(e).__name__, e.offset)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code, impl.name], cwd=root, timeout=60,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out == ["UnterminatedQuote 0", "UnterminatedQuote 0",
                   "UnterminatedQuote 2", "UnterminatedQuote 2",
                   "UnterminatedQuote 0", "UnterminatedQuote 0",
                   "RowTooLarge 10", "UnterminatedQuote 0", ""]


def test_unterminated_quote_after_complete_quoted_fields(impl):
    payload = b'"a""b","c\\"d"\n"e,' + b"f\n" * 100
    assert error_where(impl.decode, payload) == (UnterminatedQuote, 14, 1, 0)
    assert error_where(impl.decode, b'"x\\"') == (UnterminatedQuote, 0, 0, 0)
    assert error_where(impl.decode, b'"x\\') == (UnterminatedQuote, 0, 0, 0)
    assert error_where(impl.decode, b'a,"') == (UnterminatedQuote, 2, 0, 1)


# ------------------------------------------------------------ NUL bytes


def test_nul_bytes_are_data(impl):
    assert impl.decode(b"a\x00b,\x00\n\x00") == [["a\x00b", "\x00"], ["\x00"]]
    assert impl.decode(b'"\x00,\x00\n"\x00,x') == [["\x00,\x00\n\x00", "x"]]
    assert impl.decode(b"\x00" * 1000) == [["\x00" * 1000]]
    assert stream(impl, bytewise(b"1,\x00\x00\n\x00")) == [["1", "\x00\x00"], ["\x00"]]
    row = ["\x00", "a\x00", '\x00"\x00']
    for quote_escape in ("backslash", "double"):
        assert impl.decode(impl.encode([row], quote_escape=quote_escape)) == [row]


# ------------------------------------------------------------ UTF-8

UTF8_CASES = [
    # invalid start bytes, lone continuation, C0/C1, F5..FF
    (b"ab,\xff\n", 3, 0, 1),
    (b"a,b,\x80", 4, 0, 2),
    (b"\xc1\xbf", 0, 0, 0),
    (b"\xf8\x88\x80\x80\x80", 0, 0, 0),
    # overlong forms of "/" and of U+0000
    (b"x\n\xc0\xaf", 2, 1, 0),
    (b"1,\xe0\x80\xaf", 2, 0, 1),
    (b"\xf0\x80\x80\xaf", 0, 0, 0),
    (b"\xc0\x80", 0, 0, 0),
    # truncated sequences: at the end, before a comma, before a LF
    (b"a,\xe2\x82", 2, 0, 1),
    (b"\xe2\x82,x", 0, 0, 0),
    (b"ok\n\xf0\x9f\x98\n", 3, 1, 0),
    (b"\xc3", 0, 0, 0),
    # encoded surrogates (also as a CESU-8 pair), and above U+10FFFF
    (b"\xed\xa0\x80", 0, 0, 0),
    (b"\xed\xbf\xbf", 0, 0, 0),
    (b"1,2,\xed\xa0\xbd\xed\xb8\x80", 4, 0, 2),
    (b"\xf4\x90\x80\x80", 0, 0, 0),
    # inside quotes and after the closing quote
    (b'"a\xffb"', 2, 0, 0),
    (b'"a"\xff', 3, 0, 0),
    (b'"a,\n\xed\xa0\x80"', 4, 0, 0),
    # valid text before the problem, in a later row
    ("\u00e9,\u20ac\n\U0001F600,".encode() + b"\xf0\x9f", 12, 1, 1),
]


@pytest.mark.parametrize("payload, offset, row, field", UTF8_CASES)
def test_invalid_utf8(impl, payload, offset, row, field):
    expected = (InvalidUtf8, offset, row, field)
    assert error_where(impl.decode, payload) == expected
    assert error_where(stream, impl, [payload]) == expected
    assert error_where(stream, impl, bytewise(payload)) == expected


def test_lone_surrogate_in_str_payload(impl):
    # A str payload is taken as UTF-8 (surrogates pass through): the
    # encoded surrogate is invalid at its byte offset.
    assert error_where(impl.decode, "a,\ud800") == (InvalidUtf8, 2, 0, 1)
    assert error_where(impl.decode, "\u00e9\n\udfff") == (InvalidUtf8, 3, 1, 0)


def test_valid_utf8_edges(impl):
    text = "\u0080\u07ff\u0800\uffff\U00010000\U0010FFFF\ud7ff\ue000"
    assert impl.decode(text.encode()) == [[text]]
    assert stream(impl, bytewise(text.encode())) == [[text]]


def test_encode_rejects_lone_surrogates_and_bad_bytes(impl):
    assert error_where(impl.encode, [["ok"], ["a", "b\ud800"]]) == (InvalidUtf8, None, 1, 1)
    assert error_where(impl.encode, [["a", b"\xff"]]) == (InvalidUtf8, None, 0, 1)
    assert error_where(impl.encode, [[b"\xed\xa0\x80"]]) == (InvalidUtf8, None, 0, 0)


# ------------------------------------------------------------ lone CR


@pytest.mark.parametrize(
    "payload, rows",
    [
        (b"\r", [["\r"]]),
        (b"a\r", [["a\r"]]),
        (b"a\rb\n", [["a\rb"]]),
        (b"\r\r\n", [["\r"]]),
        (b"\r,\r\n", [["\r", ""]]),
        (b"a,\r\nb", [["a", ""], ["b"]]),
        (b"\r\n\r\na\r\n\r", [["a"], ["\r"]]),
        (b'"x"\r', [["x\r"]]),
        (b'"x\ry"\r\n', [["x\ry"]]),
        (b'"x"\r\r\n', [["x\r"]]),
    ],
)
def test_lone_cr_is_data(impl, payload, rows):
    assert impl.decode(payload) == rows
    assert stream(impl, bytewise(payload)) == rows


def test_lone_cr_after_quote_is_strict_error(impl):
    assert error_where(impl.decode, b'"x"\r', strict=True) == (TextAfterQuote, 3, 0, 0)
    assert impl.decode(b'"x"\r\n', strict=True) == [["x"]]


# ------------------------------------------------------------ \" repeated


def test_backslash_quote_repeated(impl):
    n = 5000
    # Unquoted: backslashes and quotes are ordinary characters.
    assert impl.decode(b'\\"' * n) == [['\\"' * n]]
    # Quoted: every pair is one quote.
    assert impl.decode(b'"' + b'\\"' * n + b'"') == [['"' * n]]
    assert impl.decode(b'"' + b'""' * n + b'"') == [['"' * n]]
    assert impl.decode(b'"' + b'\\"""' * 3000 + b'"') == [['""' * 3000]]
    # \" then " : the second quote closes the field, the rest is appended.
    assert impl.decode(b'"' + b'\\""' * n + b'"') == [['"' + '\\""' * (n - 1) + '"']]
    # Never closed: the last \" is an escape, not the closing quote.
    assert error_where(impl.decode, b'"' + b'\\"' * n) == (UnterminatedQuote, 0, 0, 0)
    assert error_where(impl.decode, b'"' + b'\\"' * n + b"\\") == (UnterminatedQuote, 0, 0, 0)
    assert error_where(impl.decode, b'x\n"' + b'\\"' * n + b"\n") == (UnterminatedQuote, 2, 1, 0)
    # In a stream, one byte at a time.
    assert stream(impl, bytewise(b'"' + b'\\"' * n + b'",x\n')) == [['"' * n, "x"]]
    # Written back either way.
    for quote_escape in ("backslash", "double"):
        value = '\\"' * n
        payload = impl.encode([[value]], quote_escape=quote_escape)
        assert impl.decode(payload) == [[value]]


def test_backslash_quote_repeated_over_the_limit(impl):
    payload = b'"' + b'\\"' * 9000 + b'"'
    assert error_where(impl.decode, payload) == (PayloadTooLarge, LIMIT - 2, 0, None)
    assert impl.decode(payload, limit=None) == [['"' * 9000]]
    assert error_where(stream, impl, [payload]) == (RowTooLarge, LIMIT, 0, None)


# ------------------------------------------------------------ oversize payloads

ROWS_200 = (b"x" * 99 + b"\n") * 200  # 20000 bytes, rows of 100


@pytest.mark.parametrize(
    "topic, qos, room",
    [
        (None, 0, 16182),
        ("s/us", 0, 16175),
        ("s/us", 1, 16173),
        ("s/us", 2, 16173),
        ("s/uc/\u00e9", 1, 16170),  # the topic counts in UTF-8 bytes
    ],
)
def test_oversize_payload(impl, topic, qos, room):
    if topic is not None:
        assert packet_size(topic, room, qos) <= LIMIT < packet_size(topic, room + 1, qos)
    fits = b"y" * room
    assert impl.decode(fits, topic=topic, qos=qos) == [["y" * room]]
    assert error_where(impl.decode, fits + b"y", topic=topic, qos=qos) == (
        PayloadTooLarge, room, 0, None)
    # The row named is the one the first byte past the limit falls in.
    assert error_where(impl.decode, ROWS_200, topic=topic, qos=qos) == (
        PayloadTooLarge, room, room // 100, None)
    # Oversize but also malformed: the size is checked first.
    assert error_where(impl.decode, b"\xff" + ROWS_200, topic=topic, qos=qos)[0] is PayloadTooLarge


def test_oversize_payload_without_limit(impl):
    big = ROWS_200 * 50  # 1 MB
    assert len(impl.decode(big, limit=None)) == 10000
    assert len(impl.decode(big, topic="s/us", qos=1, limit=None)) == 10000


def test_oversize_with_custom_limit(impl):
    assert error_where(impl.decode, b"abcdef", limit=7) == (PayloadTooLarge, 5, 0, None)
    assert impl.decode(b"abcde", limit=7) == [["abcde"]]
    assert error_where(impl.decode, b"a\nbcdef", topic="t", qos=0, limit=10) == (
        PayloadTooLarge, 5, 1, None)


# ------------------------------------------------------------ non-str values to encode


class Intish(int):
    def __repr__(self):
        return "not this"


def test_encode_int_subclass_uses_int_text(impl):
    assert impl.encode([[Intish(5)]]) == b"5\n"


@pytest.mark.parametrize(
    "value",
    [object(), [1], ("a",), {"a": 1}, {1}, 1j, type, Exception("x"), ...],
)
def test_encode_rejects_other_values(impl, value):
    name = type(value).__name__
    with pytest.raises(TypeError) as info:
        impl.encode([["ok"], ["1", "2", value]])
    assert str(info.value) == f"cannot encode a value of type {name} (row 1, field 2)"
    with pytest.raises(TypeError) as info:
        impl.encode_row(["1", value])
    assert str(info.value) == f"cannot encode a value of type {name} (row 0, field 1)"


@pytest.mark.parametrize("row", ["abc", b"abc", bytearray(b"abc")])
def test_encode_rejects_str_rows(impl, row):
    with pytest.raises(TypeError) as info:
        impl.encode([["ok"], row])
    assert str(info.value) == f"row 1 must be a sequence of values, not {type(row).__name__}"


def test_encode_rejects_non_iterable_rows_and_empty_rows(impl):
    with pytest.raises(TypeError):
        impl.encode([5])
    with pytest.raises(TypeError):
        impl.encode(None)
    assert error_where(impl.encode, [["a"], []]) == (EmptyRow, None, 1, None)
    assert error_where(impl.encode_row, []) == (EmptyRow, None, 0, None)


# ------------------------------------------------------------ runs of empty lines


def test_runs_of_empty_lines_across_blocks(impl):
    # Regression guard for the 64-byte block path: empty lines (LF or CR LF)
    # running across block edges give no row, whatever their number.
    for k in range(0, 200, 3):
        for gap in (b"\n" * k, b"\r\n" * k):
            assert impl.decode(b"e\n" + gap) == [["e"]], k
            assert impl.decode(b"e\n" + gap + b"x,y") == [["e"], ["x", "y"]], k
            assert impl.decode(gap + b'"q"\n' + gap) == [["q"]], k
