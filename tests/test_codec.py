"""The SmartREST dialect rule by rule (docs/dialect.md sections 1-6).

Every test takes the ``impl`` fixture, so it runs against the pure-Python
reference and the C extension alike, with the same expected bytes, rows and
error positions.
"""

from __future__ import annotations

import datetime
import pickle
from decimal import Decimal

import pytest

from smartrest import (
    LIMIT,
    TRIM_MARKER,
    EmptyRow,
    InvalidUtf8,
    PayloadTooLarge,
    RowTooLarge,
    SmartRestError,
    TextAfterQuote,
    UnterminatedQuote,
    packet_size,
)

from codec_helpers import assert_error, bytewise, error_of, stream

from smartrest import templates
from smartrest.errors import InvalidValue


# ------------------------------------------------------- 1. payload and rows


@pytest.mark.parametrize(
    "payload, rows",
    [
        # An empty payload has zero rows.
        (b"", []),
        # Rows end at LF; the last row may lack it.
        (b"100,a\n", [["100", "a"]]),
        (b"100,a", [["100", "a"]]),
        (b"100,a\n200,b\n", [["100", "a"], ["200", "b"]]),
        (b"100,a\n200,b", [["100", "a"], ["200", "b"]]),
        # A CR directly before the LF belongs to the line ending.
        (b"100,a\r\n200,b\r\n", [["100", "a"], ["200", "b"]]),
        (b"100,a\r\n200,b", [["100", "a"], ["200", "b"]]),
        # Only one CR is the line ending; another one is data.
        (b"100,a\r\r\n", [["100", "a\r"]]),
        # A lone CR not followed by LF is data.
        (b"a\r", [["a\r"]]),
        (b"\r", [["\r"]]),
        (b"a\rb,c\n", [["a\rb", "c"]]),
        (b"a,\r", [["a", "\r"]]),
        (b"\rx\n", [["\rx"]]),
        # Lines with no bytes or only the CR of a CRLF give no row.
        (b"\n", []),
        (b"\r\n", []),
        (b"\n\n\r\n\n", []),
        (b"\na\n\nb\r\n\r\nc\n\n", [["a"], ["b"], ["c"]]),
        (b"\r\n\r\n100\r\n", [["100"]]),
    ],
)
def test_payload_rows(impl, payload, rows):
    assert impl.decode(payload) == rows


def test_input_types(impl):
    """bytes, bytearray, memoryview and str payloads decode alike."""
    expected = [["100", "caf\u00e9"], ["200", "x"]]
    data = "100,caf\u00e9\n200,x\n".encode()
    assert impl.decode(data) == expected
    assert impl.decode(bytearray(data)) == expected
    assert impl.decode(memoryview(data)) == expected
    assert impl.decode(data.decode()) == expected
    with pytest.raises(TypeError):
        impl.decode(12)


def test_str_payload_with_lone_surrogate(impl):
    # "a,\ud800" is encoded with surrogatepass: the surrogate starts at byte 2.
    assert_error(error_of(impl.decode, "a,\ud800"), InvalidUtf8, 2, 0, 1)


# ----------------------------------------------------------------- 2. fields


@pytest.mark.parametrize(
    "payload, rows",
    [
        # n commas give n+1 fields; empty fields are empty strings.
        (b"a", [["a"]]),
        (b"a,b,c", [["a", "b", "c"]]),
        (b",", [["", ""]]),
        (b",,", [["", "", ""]]),
        (b"100,,myType", [["100", "", "myType"]]),
        (b"a,", [["a", ""]]),
        (b"a,\n", [["a", ""]]),
        (b"a,\r\n", [["a", ""]]),
        (b",a", [["", "a"]]),
        # Nothing is trimmed; unquoted fields are taken byte for byte.
        (b" a , b ", [[" a ", " b "]]),
        (b"\ta\t,\x0b\x0c", [["\ta\t", "\x0b\x0c"]]),
        (b"a\\b,c\\,\\\\", [["a\\b", "c\\", "\\\\"]]),
        (b"a\\nb", [["a\\nb"]]),
        ("caf\u00e9,\u65e5\u672c,\U0001f600".encode(), [["caf\u00e9", "\u65e5\u672c", "\U0001f600"]]),
        (b"a\x00b,\x7f", [["a\x00b", "\x7f"]]),
        # A quote that is not the first byte of a field is ordinary.
        (b'a"b', [['a"b']]),
        (b'a"', [['a"']]),
        (b'a"b,c"d', [['a"b', 'c"d']]),
        (b'a"b\nc"d\n', [['a"b'], ['c"d']]),
        (b' "a,b"', [[' "a', 'b"']]),
        (b'x""', [['x""']]),
        # Quoted fields.
        (b'""', [[""]]),
        (b'"",""', [["", ""]]),
        (b'"a"', [["a"]]),
        (b'"a,b"', [["a,b"]]),
        (b'"a,b",c', [["a,b", "c"]]),
        (b'1,"a,b"\n2', [["1", "a,b"], ["2"]]),
        # \" is a literal quote.
        (b'"a\\"b"', [['a"b']]),
        (b'"\\""', [['"']]),
        (b'"\\"\\""', [['""']]),
        # "" is a literal quote.
        (b'"a""b"', [['a"b']]),
        (b'""""', [['"']]),
        (b'""""""', [['""']]),
        (b'"a""b\\"c"', [['a"b"c']]),
        # Every other backslash is literal.
        (b'"a\\nb"', [["a\\nb"]]),
        (b'"a\\\\b"', [["a\\\\b"]]),
        (b'"a\\tb,"', [["a\\tb,"]]),
        (b'"\\a"', [["\\a"]]),
        # Left to right: a backslash followed by a quote is the escape, so
        # "\\" followed by a quote is a literal backslash, then \".
        (b'"a\\\\"b"', [['a\\"b']]),
        (b'"\\\\\\""', [['\\\\"']]),
        # LF, CR, tab and commas inside quotes are data.
        (b'"a\nb"', [["a\nb"]]),
        (b'"a\r\nb"\r\n', [["a\r\nb"]]),
        (b'"\r"', [["\r"]]),
        (b'"a\r"\n', [["a\r"]]),
        (b'"\t,\t"', [["\t,\t"]]),
        (b'"\n"\n"\n"', [["\n"], ["\n"]]),
        (b'"a\n\nb",c\n', [["a\n\nb", "c"]]),
        # The closing quote ends the field; it is followed by a separator.
        (b'"a"\n', [["a"]]),
        (b'"a"\r\n', [["a"]]),
        (b'"a",', [["a", ""]]),
        (b'"a","b"', [["a", "b"]]),
        # Bytes after the closing quote are appended literally.
        (b'"ab"cd', [["abcd"]]),
        (b'"ab"cd,e', [["abcd", "e"]]),
        (b'"ab"c"d\n', [['abc"d']]),
        (b'"a"b"c"', [['ab"c"']]),
        (b'"ab" \r\n', [["ab "]]),
        (b'"ab"\r', [["ab\r"]]),
        (b'"ab"\rx\n', [["ab\rx"]]),
        # A backslash run after the closing quote (rule 3 writes those).
        (b'"a,b"\\', [["a,b\\"]]),
        (b'"a,b"\\\\\\,c', [["a,b\\\\\\", "c"]]),
        (b'"a,b"\\\n', [["a,b\\"]]),
        (b'"a,b"\\\r\n', [["a,b\\"]]),
    ],
)
def test_fields(impl, payload, rows):
    assert impl.decode(payload) == rows


@pytest.mark.parametrize(
    "payload, rows",
    [
        (b'"a,b"\\', [["a,b\\"]]),
        (b'"a,b"\\\\\\,c\n', [["a,b\\\\\\", "c"]]),
        (b'"a"\r\n', [["a"]]),
        (b'"a\\"b"""', [['a"b"']]),
        (b'a"b,c', [['a"b', "c"]]),
    ],
)
def test_strict_accepts(impl, payload, rows):
    assert impl.decode(payload, strict=True) == rows


@pytest.mark.parametrize(
    "payload, offset, row, field",
    [
        (b'"ab"cd', 4, 0, 0),
        (b'100,"x"yz,1\n', 7, 0, 1),
        (b'1\n2,"x" \n', 7, 1, 1),
        # A CR that does not end the line is text after the quote.
        (b'"ab"\r', 4, 0, 0),
        (b'"ab"\rx\n', 4, 0, 0),
        # A backslash run is allowed, the byte after it is not.
        (b'"ab"\\\\x,y', 6, 0, 0),
        (b'"ab"c"d"', 4, 0, 0),
    ],
)
def test_strict_text_after_quote(impl, payload, offset, row, field):
    err = error_of(impl.decode, payload, strict=True)
    assert_error(err, TextAfterQuote, offset, row, field)
    # Without strict the same payload decodes.
    impl.decode(payload)


@pytest.mark.parametrize(
    "payload, offset, row, field",
    [
        (b'"', 0, 0, 0),
        (b'"abc', 0, 0, 0),
        (b'a,"b', 2, 0, 1),
        (b'a\nb,c,"d\ne\nf', 6, 1, 2),
        # \" never closes, so the field stays open.
        (b'"a\\"', 0, 0, 0),
        (b'x,"a\\"', 2, 0, 1),
        (b'"a\\\\"', 0, 0, 0),
        # "" is a literal quote, not a close and a reopen.
        (b'"a""', 0, 0, 0),
        (b'"a""\n', 0, 0, 0),
        (b'"""', 0, 0, 0),
        (b'"a\n', 0, 0, 0),
        (b'\r\n\r\n"a\n', 4, 0, 0),
    ],
)
def test_unterminated_quote(impl, payload, offset, row, field):
    for strict in (False, True):
        err = error_of(impl.decode, payload, strict=strict)
        assert_error(err, UnterminatedQuote, offset, row, field)


# ---------------------------------------------------- source text examples


def test_source_publish_example(impl):
    line = b"100,\"This value, needs escaping\",This value does not need escaping\n"
    row = ["100", "This value, needs escaping", "This value does not need escaping"]
    assert impl.decode(line) == [row]
    assert impl.encode([row]) == line
    assert impl.encode_row(row) == line


def test_source_subscribe_example(impl):
    line = b'511,myDeviceSerial,"execute this\\nand this\\nand \\"this\\""\n'
    row = ["511", "myDeviceSerial", 'execute this\\nand this\\nand "this"']
    decoded = impl.decode(line)
    assert decoded == [row]
    # Each \n stays two characters, a backslash and an n.
    assert "\n" not in decoded[0][2]
    assert decoded[0][2].count("\\n") == 2
    assert impl.encode([row]) == line
    # The older dialect writes the same value with "".
    older = b'511,myDeviceSerial,"execute this\\nand this\\nand ""this"""\n'
    assert impl.encode([row], quote_escape="double") == older
    assert impl.decode(older) == [row]


# --------------------------------------------------------------- 3. encoding


@pytest.mark.parametrize(
    "value",
    [
        'a"b', '"', "a,b", ",", "a\nb", "a\rb", "a\tb",
        " a", "a ", "\ta", "a\t", "\na", "a\n", "\ra", "a\r",
        "\x0ba", "a\x0b", "\x0ca", "a\x0c", " ", "\x0b",
    ],
)
def test_encode_quotes_when_needed(impl, value):
    out = impl.encode_row([value])
    assert out.startswith(b'"') and out.endswith(b'"\n')
    assert impl.decode(out) == [[value]]


@pytest.mark.parametrize(
    "value",
    [
        "a", "a b", "a\\b", "\\", "\\\\", "a\\", "caf\u00e9", "\u00a0x\u00a0",
        "\u2003", "a\x0bb", "a\x0cb", "x\x1c", "\x85", "a'b", "\\n", "a\x00b",
    ],
)
def test_encode_writes_others_as_they_are(impl, value):
    assert impl.encode_row([value]) == value.encode() + b"\n"


@pytest.mark.parametrize(
    "value, backslash, double",
    [
        ('a"b', b'"a\\"b"', b'"a""b"'),
        ('"', b'"\\""', b'""""'),
        ('say "hi"', b'"say \\"hi\\""', b'"say ""hi"""'),
        # A quote right after a backslash is written \" in both modes.
        ('a\\"b', b'"a\\\\"b"', b'"a\\\\"b"'),
        ('\\"', b'"\\\\""', b'"\\\\""'),
        ('a\\""b', b'"a\\\\"\\"b"', b'"a\\\\"""b"'),
        # Nothing else is escaped; LF, CR and tab are written raw.
        ("a\\n\n\r\tb", b'"a\\n\n\r\tb"', b'"a\\n\n\r\tb"'),
        # A trailing backslash run goes after the closing quote.
        ("a,b\\", b'"a,b"\\', b'"a,b"\\'),
        ("a,b\\\\\\", b'"a,b"\\\\\\', b'"a,b"\\\\\\'),
        (' \\', b'" "\\', b'" "\\'),
        ('a"\\', b'"a\\""\\', b'"a"""\\'),
        ('"\\', b'"\\""\\', b'""""\\'),
        # No quoting needed: a trailing backslash stays as it is.
        ("a\\", b"a\\", b"a\\"),
    ],
)
def test_encode_escapes(impl, value, backslash, double):
    assert impl.encode_row([value]) == backslash + b"\n"
    assert impl.encode_row([value], quote_escape="backslash") == backslash + b"\n"
    assert impl.encode_row([value], quote_escape="double") == double + b"\n"
    assert impl.decode(backslash) == [[value]]
    assert impl.decode(double) == [[value]]


def test_encode_empty_values(impl):
    assert impl.encode([["100", "", "myType"]]) == b"100,,myType\n"
    assert impl.encode([["", ""]]) == b",\n"
    assert impl.encode([["a", ""]]) == b"a,\n"
    # A single empty field is written "" so that it is no empty line.
    assert impl.encode([[""]]) == b'""\n'
    assert impl.encode([[None]]) == b'""\n'
    assert impl.encode_row([""]) == b'""\n'
    assert impl.decode(impl.encode([[""], ["a"], [""]])) == [[""], ["a"], [""]]


def test_encode_rows(impl):
    rows = [["100", "a"], ["caf\u00e9", "\u65e5\u672c", "\U0001f600"]]
    out = impl.encode(rows)
    assert isinstance(out, bytes)
    assert out == "100,a\ncaf\u00e9,\u65e5\u672c,\U0001f600\n".encode()
    assert impl.encode([]) == b""
    assert impl.encode(iter([iter(["a", "b"]), ("c",)])) == b"a,b\nc\n"
    assert isinstance(impl.encode_row(["x"]), bytes)


def test_encode_empty_row(impl):
    err = error_of(impl.encode, [["a"], []])
    assert type(err) is EmptyRow and err.row == 1
    assert type(error_of(impl.encode_row, [])) is EmptyRow


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-17, "-17"),
        (10**30, str(10**30)),
        (-12345678901234567890, "-12345678901234567890"),
        (1.5, "1.5"),
        (1e100, "1e+100"),
        (0.1, "0.1"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (2.5e-07, "2.5e-07"),
        (Decimal("1.10"), "1.10"),
        (Decimal("-3E+2"), "-3E+2"),
        (Decimal("-0"), "-0"),
        (b"caf\xc3\xa9", "caf\u00e9"),
        (b"\xc3\xa9", "\u00e9"),
        (bytearray(b"a,b"), "a,b"),
        (memoryview(b'q"'), 'q"'),
        ("text", "text"),
        (datetime.datetime(2016, 6, 22, 17, 3, 14, 123456, tzinfo=datetime.timezone.utc),
         "2016-06-22T17:03:14.123+00:00"),
    ],
)
def test_encode_value_types(impl, value, text):
    assert impl.decode(impl.encode([["100", value]])) == [["100", text]]
    assert impl.encode_row(["100", value]) == impl.encode_row(["100", text])
    # The template layer writes a value by the same rule.
    assert templates.format_value(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("-inf"), float("inf"), Decimal("NaN"),
                                   Decimal("-Infinity"), datetime.datetime(2016, 6, 22)])
def test_values_without_a_smartrest_form(impl, value):
    # NaN, infinities and a datetime without offset are refused, by encode
    # and the template layer alike, rather than written as a guess.
    with pytest.raises(InvalidValue) as info:
        impl.encode([["a"], ["100", value]])
    assert (info.value.row, info.value.field) == (1, 1)
    with pytest.raises(InvalidValue):
        impl.encode_row([value])
    with pytest.raises(InvalidValue):
        templates.format_value(value)


def test_encode_invalid_bytes(impl):
    err = error_of(impl.encode, [["a"], ["b", "c", b"\xff"]])
    assert type(err) is InvalidUtf8
    assert (err.row, err.field) == (1, 2)


def test_encode_lone_surrogate(impl):
    err = error_of(impl.encode, [["a"], ["b", "\ud800"]])
    assert type(err) is InvalidUtf8
    assert (err.row, err.field) == (1, 1)


@pytest.mark.parametrize("value", [object(), 1j, ["a"], {"a": 1}])
def test_encode_type_error_names_row_and_field(impl, value):
    with pytest.raises(TypeError) as info:
        impl.encode([["a"], ["b", "c", value]])
    assert "row 1" in str(info.value) and "field 2" in str(info.value)


def test_encode_bad_options(impl):
    with pytest.raises(ValueError):
        impl.encode([["a"]], quote_escape="single")
    with pytest.raises(ValueError):
        impl.encode_row(["a"], quote_escape="")
    with pytest.raises(TypeError):
        impl.encode(["abc"])


# -------------------------------------------------- 4. limit: packet sizes


def test_packet_size_example():
    assert packet_size("a/b", 2, 1) == 11
    assert packet_size("a/b", 2, 0) == 9
    assert packet_size("a/b", 2, 2) == 11
    assert packet_size("a/b", 2) == 9


@pytest.mark.parametrize(
    "remaining, size",
    [
        (127, 1 + 1 + 127),
        (128, 1 + 2 + 128),
        (16383, 1 + 2 + 16383),
        (16384, 1 + 3 + 16384),
        (2097151, 1 + 3 + 2097151),
        (2097152, 1 + 4 + 2097152),
    ],
)
def test_packet_size_varint_boundaries(remaining, size):
    # Topic "t" at QoS 0: remaining length = 2 + 1 + payload.
    assert packet_size("t", remaining - 3, 0) == size
    # Topic "s/us" at QoS 1: remaining length = 2 + 4 + 2 + payload.
    assert packet_size("s/us", remaining - 8, 1) == size


def test_packet_size_counts_topic_bytes():
    assert packet_size("s/us/caf\u00e9", 0, 0) == 1 + 1 + 2 + 10


def test_packet_size_bad_arguments():
    with pytest.raises(ValueError):
        packet_size("a", 1, 3)
    with pytest.raises(ValueError):
        packet_size("a", -1, 0)
    with pytest.raises(TypeError):
        packet_size(b"a", 1, 0)


def test_limit_constant():
    assert LIMIT == 16184


def test_decode_size_without_topic(impl):
    # Without a topic the smallest (2-byte) header is assumed.
    ok = b"a" * (LIMIT - 2)
    assert impl.decode(ok) == [[ok.decode()]]
    err = error_of(impl.decode, b"a" * (LIMIT - 1))
    assert_error(err, PayloadTooLarge, LIMIT - 2, 0)
    # The row of the error is the row holding the first byte past the limit.
    payload = (b"x" * 99 + b"\n") * 162  # 16200 bytes
    err = error_of(impl.decode, payload)
    assert_error(err, PayloadTooLarge, 16182, 161)
    # A smaller limit.
    assert impl.decode(b"abc", limit=5) == [["abc"]]
    assert_error(error_of(impl.decode, b"abcd", limit=5), PayloadTooLarge, 3, 0)


def test_decode_size_with_topic(impl):
    # s/us at QoS 1: 1 + 2 (length) + 2 + 4 + 2 + payload <= 16184.
    fits = b"a" * 16173
    assert packet_size("s/us", len(fits), 1) == LIMIT
    assert impl.decode(fits, topic="s/us", qos=1) == [[fits.decode()]]
    err = error_of(impl.decode, fits + b"a", topic="s/us", qos=1)
    assert_error(err, PayloadTooLarge, 16173, 0)
    # At QoS 0 there is no packet identifier: two bytes more fit.
    assert impl.decode(fits + b"aa", topic="s/us", qos=0) == [[fits.decode() + "aa"]]
    err = error_of(impl.decode, fits + b"aaa", topic="s/us", qos=0)
    assert_error(err, PayloadTooLarge, 16175, 0)
    # The example of docs/dialect.md section 4.1 with a tiny limit: a/b + xy is 11 bytes at QoS 1.
    assert impl.decode(b"xy", topic="a/b", qos=1, limit=11) == [["xy"]]
    assert type(error_of(impl.decode, b"xy", topic="a/b", qos=1, limit=10)) is PayloadTooLarge
    assert impl.decode(b"xy", topic="a/b", qos=0, limit=9) == [["xy"]]
    assert type(error_of(impl.decode, b"xy", topic="a/b", qos=0, limit=8)) is PayloadTooLarge


def test_decode_size_check_comes_first(impl):
    # Several problems, but the size is checked before anything else.
    payload = b'\xff"' + b"a" * LIMIT
    assert type(error_of(impl.decode, payload)) is PayloadTooLarge
    assert type(error_of(impl.decode, payload, strict=True)) is PayloadTooLarge


def test_decode_limit_none(impl):
    big = (b"200,temp," + b"9" * 50 + b"\n") * 2000
    assert len(big) > LIMIT
    rows = impl.decode(big, limit=None)
    assert len(rows) == 2000 and rows[0] == ["200", "temp", "9" * 50]
    assert len(impl.decode(big, topic="s/us", qos=1, limit=None)) == 2000


def test_decode_bad_qos(impl):
    with pytest.raises(ValueError):
        impl.decode(b"a", topic="s/us", qos=3)


# -------------------------------------------------------- 4. limit: pack


def publish_sizes(publishes, topic, qos):
    return [packet_size(topic, len(p), qos) for p in publishes]


def test_pack_greedy_in_order(impl):
    # Topic a/b at QoS 0: 7 bytes of header for small payloads, so a
    # 37-byte limit leaves room for 30 payload bytes.
    rows = [[f"{i:03d}", "abcde"] for i in range(7)]  # 10 bytes each
    publishes = impl.pack(rows, topic="a/b", limit=37)
    assert [len(p) for p in publishes] == [30, 30, 10]
    assert publish_sizes(publishes, "a/b", 0) == [37, 37, 17]
    assert b"".join(publishes) == impl.encode(rows)
    assert [r for p in publishes for r in impl.decode(p)] == rows


def test_pack_greedy_does_not_reorder(impl):
    # 8 + 8 bytes, then 20 does not fit (36 > 30): a new publish starts, and
    # the 5-byte row after it goes there, never back into the first one.
    rows = [["1234567"], ["abcdefg"], ["x" * 19], ["wxyz"]]
    publishes = impl.pack(rows, topic="a/b", limit=37)
    assert publishes == [b"1234567\nabcdefg\n", b"x" * 19 + b"\nwxyz\n"]


def test_pack_exact_fit(impl):
    rows = [["x" * 29]]
    assert impl.pack(rows, topic="a/b", limit=37) == [b"x" * 29 + b"\n"]
    err = error_of(impl.pack, [["x" * 30]], topic="a/b", limit=37)
    assert_error(err, RowTooLarge, 30, 0)
    # QoS 1 adds the 2-byte packet identifier.
    assert impl.pack([["x" * 27]], topic="a/b", qos=1, limit=37) == [b"x" * 27 + b"\n"]
    assert type(error_of(impl.pack, [["x" * 28]], topic="a/b", qos=1, limit=37)) is RowTooLarge


def test_pack_full_limit(impl):
    topic = "s/us"
    rows = [["200", "c8y_Temperature", "T", str(i)] for i in range(3000)]
    publishes = impl.pack(rows, topic=topic, qos=1)
    sizes = publish_sizes(publishes, topic, 1)
    assert max(sizes) <= LIMIT
    assert [r for p in publishes for r in impl.decode(p, topic=topic, qos=1)] == rows
    # Greedy: each publish but the last could not take the next row.
    lines = [impl.encode_row(r) for r in rows]
    used = 0
    for publish in publishes[:-1]:
        used += len(publish.split(b"\n")) - 1
        assert packet_size(topic, len(publish) + len(lines[used]), 1) > LIMIT


def test_pack_across_varint_boundary(impl):
    # Near 127 remaining bytes the length field grows from 1 to 2 bytes.
    # Topic "t" at QoS 0: remaining = 3 + payload; 124 payload bytes give
    # 1 + 1 + 127 = 129, 125 give 1 + 2 + 128 = 131.
    assert impl.pack([["x" * 123]], topic="t", limit=129) == [b"x" * 123 + b"\n"]
    assert type(error_of(impl.pack, [["x" * 124]], topic="t", limit=130)) is RowTooLarge
    assert impl.pack([["x" * 124]], topic="t", limit=131) == [b"x" * 124 + b"\n"]


def test_pack_oversize_raise(impl):
    rows = [["a"], ["b" * 100], ["c"]]
    err = error_of(impl.pack, rows, topic="a/b", limit=37)
    assert_error(err, RowTooLarge, 30, 1)
    err = error_of(impl.pack, rows, topic="a/b", limit=37, on_oversize="raise")
    assert type(err) is RowTooLarge


def test_pack_truncate_ascii(impl):
    rows = [["a"], ["100", "x" * 100], ["c"]]
    publishes = impl.pack(rows, topic="a/b", limit=37, on_oversize="truncate")
    kept = 30 - len("100,") - len(TRIM_MARKER) - 1
    assert publishes == [b"a\n", b"100," + b"x" * kept + TRIM_MARKER.encode() + b"\n", b"c\n"]
    # The truncated row fits exactly.
    assert publish_sizes(publishes, "a/b", 0)[1] == 37
    assert impl.decode(publishes[1]) == [["100", "x" * kept + TRIM_MARKER]]


def test_pack_truncate_character_boundary(impl):
    value = "\u00e9" * 100  # two bytes each
    publishes = impl.pack([["100", value]], topic="a/b", limit=37, on_oversize="truncate")
    assert len(publishes) == 1
    # 4 + 2k + 12 + 1 <= 30: k = 6, one byte of room stays unused.
    assert impl.decode(publishes[0]) == [["100", "\u00e9" * 6 + TRIM_MARKER]]
    assert len(publishes[0]) == 29
    value = "\U0001f600" * 10  # four bytes each
    publishes = impl.pack([[value]], topic="a/b", limit=37, on_oversize="truncate")
    assert impl.decode(publishes[0]) == [["\U0001f600" * 4 + TRIM_MARKER]]


@pytest.mark.parametrize("escape", ["backslash", "double"])
@pytest.mark.parametrize("limit", range(30, 60))
def test_pack_truncate_quotes_balanced(impl, escape, limit):
    value = 'say "hi", \\"x\\" \\' * 8
    try:
        publishes = impl.pack([["100", value]], topic="a/b", limit=limit,
                              on_oversize="truncate", quote_escape=escape)
    except RowTooLarge:
        # Only when not even "100,<marker>" fits.
        assert limit < 7 + len(b'100,"' + TRIM_MARKER.encode() + b'"\n')
        return
    assert len(publishes) == 1
    assert packet_size("a/b", len(publishes[0]), 0) <= limit
    [[first, last]] = impl.decode(publishes[0], strict=True)
    assert first == "100"
    assert last.endswith(TRIM_MARKER)
    kept = last[: -len(TRIM_MARKER)]
    assert value.startswith(kept)
    # The longest prefix that fits was kept.
    longer = impl.encode_row(["100", value[: len(kept) + 1] + TRIM_MARKER], quote_escape=escape)
    assert packet_size("a/b", len(longer), 0) > limit


def test_pack_truncate_too_small(impl):
    # Even the marker alone does not fit.
    err = error_of(impl.pack, [["100", "x" * 50]], topic="a/b", limit=20, on_oversize="truncate")
    assert type(err) is RowTooLarge and err.row == 0


def test_pack_truncate_keeps_other_fields(impl):
    # The leading fields alone are too long: they are never cut.
    err = error_of(impl.pack, [["y" * 40, "x"]], topic="a/b", limit=37, on_oversize="truncate")
    assert type(err) is RowTooLarge


def test_pack_values_and_errors(impl):
    assert impl.pack([[100, None, True, 1.5]], topic="a/b") == [b"100,,true,1.5\n"]
    assert impl.pack([], topic="a/b") == []
    with pytest.raises(ValueError):
        impl.pack([["a"]], topic="a/b", on_oversize="drop")
    with pytest.raises(ValueError):
        impl.pack([["a"]], topic="a/b", qos=5)
    with pytest.raises(TypeError):
        impl.pack([["a", object()]], topic="a/b")
    assert type(error_of(impl.pack, [["a"], []], topic="a/b")) is EmptyRow


def test_pack_quote_escape(impl):
    assert impl.pack([['a"b']], topic="a/b", quote_escape="double") == [b'"a""b"\n']
    assert impl.pack([['a"b']], topic="a/b") == [b'"a\\"b"\n']


# ----------------------------------------------------- 4. streaming Decoder


def test_decoder_feed_pieces(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"100,a") == []
    assert decoder.feed(b"b\n200,") == [["100", "ab"]]
    assert decoder.feed(b"x\n300\n") == [["200", "x"], ["300"]]
    assert decoder.feed(b"") == []
    assert decoder.feed(b"400,y") == []
    # close returns the last row even without its LF.
    assert decoder.close() == [["400", "y"]]


def test_decoder_input_types(impl):
    decoder = impl.Decoder()
    assert decoder.feed(bytearray(b"a\n")) == [["a"]]
    assert decoder.feed(memoryview(b"b\n")) == [["b"]]
    assert decoder.feed("c\n") == [["c"]]
    assert decoder.close() == []


def test_decoder_close_empty(impl):
    assert impl.Decoder().close() == []
    decoder = impl.Decoder()
    decoder.feed(b"a\n\r\n\n")
    assert decoder.close() == []


def test_decoder_close_open_quote(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"x\n1,\"abc\n") == [["x"]]
    err = error_of(decoder.close)
    assert_error(err, UnterminatedQuote, 4, 1, 1)


def test_decoder_crlf_split(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"a\r") == []
    assert decoder.feed(b"\nb") == [["a"]]
    assert decoder.close() == [["b"]]
    # A CR at the end of the stream is data.
    decoder = impl.Decoder()
    assert decoder.feed(b"a\r") == []
    assert decoder.close() == [["a\r"]]
    assert stream(impl, [b"\r", b"\n", b"\r", b"\n", b"x\r", b"\r", b"\n"]) == [["x\r"]]


@pytest.mark.parametrize(
    "payload",
    [
        b'1,"a""b",2\n',
        b'1,"a\\"b",2\n',
        b'1,"a\\\\"b",2\n',
        b'"a\r\nb"\r\n"c"\\\\\r\n',
        "caf\u00e9,\U0001f600\r\n\u65e5\n".encode(),
        b'511,dev,"line 1\nline 2"\n511,dev,"a,b"\\\n510,dev\n',
        b"\n\r\n,\n\"\"\n\"\"\"\"\n",
    ],
)
def test_decoder_any_split(impl, payload):
    expected = impl.decode(payload)
    assert stream(impl, [payload]) == expected
    assert stream(impl, bytewise(payload)) == expected
    for cut in range(len(payload) + 1):
        assert stream(impl, [payload[:cut], payload[cut:]]) == expected


def test_decoder_rows_complete_in_order(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b'1,"multi\n') == []
    assert decoder.feed(b'line"\n2\n3') == [["1", "multi\nline"], ["2"]]
    assert decoder.close() == [["3"]]


def test_decoder_errors_count_over_stream(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"a\n") == [["a"]]
    err = error_of(decoder.feed, b"b,\xff\n")
    assert_error(err, InvalidUtf8, 4, 1, 1)

    decoder = impl.Decoder(strict=True)
    assert decoder.feed(b"a\nb\n") == [["a"], ["b"]]
    err = error_of(decoder.feed, b'"c"d\n')
    assert_error(err, TextAfterQuote, 7, 2, 0)


def test_decoder_invalid_utf8_split(impl):
    data = "\u00e9".encode()
    decoder = impl.Decoder()
    assert decoder.feed(b"a," + data[:1]) == []
    assert decoder.feed(data[1:] + b"\n") == [["a", "\u00e9"]]
    # An unfinished sequence at the end of the stream is an error.
    decoder = impl.Decoder()
    assert decoder.feed(b"a\nb," + data[:1]) == [["a"]]
    assert_error(error_of(decoder.close), InvalidUtf8, 4, 1, 1)


def test_decoder_row_too_large(impl):
    decoder = impl.Decoder(limit=10)
    assert decoder.feed(b"x" * 10 + b"\n") == [["x" * 10]]
    err = error_of(decoder.feed, b"y" * 11)
    assert_error(err, RowTooLarge, 11 + 10, 1)

    # Offsets and rows count over the whole stream; empty lines are no row.
    decoder = impl.Decoder(limit=10)
    assert decoder.feed(b"ab\n\n\r\n") == [["ab"]]
    err = error_of(decoder.feed, b"c" * 20 + b"\n")
    assert_error(err, RowTooLarge, 6 + 10, 1)


def test_decoder_row_too_large_counts_cr(impl):
    # The row length runs from its first byte to its LF, LF excluded.
    row = b"z" * 10 + b"\r\n"
    assert_error(error_of(stream, impl, [row], limit=10), RowTooLarge, 10, 0)
    assert_error(error_of(stream, impl, bytewise(row), limit=10), RowTooLarge, 10, 0)
    assert stream(impl, [b"z" * 9 + b"\r\n"], limit=10) == [["z" * 9]]


def test_decoder_row_too_large_quoted(impl):
    # LFs inside quotes do not end the row.
    data = b'1,"' + b"ab\n" * 10 + b'"\n'
    assert stream(impl, [data], limit=len(data) - 1) == [["1", "ab\n" * 10]]
    err = error_of(stream, impl, bytewise(data), limit=10)
    assert_error(err, RowTooLarge, 10, 0)
    err = error_of(stream, impl, [data], limit=10)
    assert_error(err, RowTooLarge, 10, 0)


def test_decoder_row_too_large_bounded_memory(impl):
    # A row that never ends is rejected as soon as it passes the limit.
    decoder = impl.Decoder(limit=100)
    fed = 0
    with pytest.raises(RowTooLarge) as info:
        for _ in range(10_000):
            decoder.feed(b"q")
            fed += 1
    assert fed == 100
    assert_error(info.value, RowTooLarge, 100, 0)
    # The same with big chunks of an open quoted field.
    decoder = impl.Decoder()
    with pytest.raises(RowTooLarge) as info:
        decoder.feed(b'"')
        for _ in range(10_000):
            decoder.feed(b"\n" * 1000)
    assert_error(info.value, RowTooLarge, LIMIT, 0)


@pytest.mark.parametrize(
    "payload, strict, expected",
    [
        # No field of the row ends (at a comma) within its first limit+1
        # bytes: RowTooLarge, even where a problem starts earlier.
        (b'"a"x' + b"y" * 20 + b"\n", True, (RowTooLarge, 10, 0, None)),
        (b"ab\xff" + b"y" * 20 + b"\n", False, (RowTooLarge, 10, 0, None)),
        (b'a,"' + b"y" * 20, False, (RowTooLarge, 10, 0, None)),
        (b'a,"' + b"y" * 20 + b'"\n', False, (RowTooLarge, 10, 0, None)),
        # The comma after the problem lies past the first limit+1 bytes.
        (b"ab\xff" + b"y" * 8 + b",z" * 5 + b"\n", False, (RowTooLarge, 10, 0, None)),
        # A field ended by a comma within the first limit+1 bytes: its
        # problem starts first and is reported.
        (b'"a"x,' + b"y" * 20 + b"\n", True, (TextAfterQuote, 3, 0, 0)),
        (b"ab\xff," + b"y" * 20 + b"\n", False, (InvalidUtf8, 2, 0, 0)),
        (b"ab\xff" + b"y" * 7 + b"," + b"y" * 5 + b"\n", False, (InvalidUtf8, 2, 0, 0)),
        (b"1,ab\xff" + b"y" * 5 + b"," + b"y" * 5 + b"\n", False, (InvalidUtf8, 4, 0, 1)),
        # An error in an earlier row comes first.
        (b"\xff\n" + b"y" * 20 + b"\n", False, (InvalidUtf8, 0, 0, 0)),
        (b'"a"x\n' + b"y" * 20, True, (TextAfterQuote, 3, 0, 0)),
        # At the same offset RowTooLarge comes before InvalidUtf8.
        (b"abcdefghij\xff\n", False, (RowTooLarge, 10, 0, None)),
        # Offsets count from the row's first byte, after empty lines.
        (b"\r\n\n" + b"y" * 11, False, (RowTooLarge, 13, 0, None)),
        (b"ok\n" + b"y" * 11 + b"\nz\n", False, (RowTooLarge, 13, 1, None)),
    ],
)
def test_decoder_oversize_row_errors(impl, payload, strict, expected):
    """A stream cannot wait for the end of an oversize row, so only problems
    that its first limit+1 bytes settle (those in fields ended by a comma)
    go before RowTooLarge, and the result does not depend on the split."""
    cls, offset, row, field = expected
    for chunks in ([payload], bytewise(payload), [payload[:7], payload[7:]],
                   [payload.rstrip(b"\n")]):
        err = error_of(stream, impl, chunks, limit=10, strict=strict)
        assert_error(err, cls, offset, row, field)


def test_decoder_limit_none(impl):
    data = b"w" * (LIMIT * 3)
    decoder = impl.Decoder(limit=None)
    assert decoder.feed(data) == []
    assert decoder.feed(b"\n") == [[data.decode()]]


def test_decoder_bad_limit(impl):
    with pytest.raises(ValueError):
        impl.Decoder(limit=0)


# ---------------------------------------------------------------- 5. errors


def test_error_precedence_smallest_offset(impl):
    # Invalid UTF-8 at 1, unterminated quote at 3.
    assert_error(error_of(impl.decode, b'a\xff,"b'), InvalidUtf8, 1, 0, 0)
    # Unterminated quote at 0 holds invalid UTF-8 at 2: the quote starts first.
    assert_error(error_of(impl.decode, b'"a\xffb'), UnterminatedQuote, 0, 0, 0)
    # Text after a quote (strict) at 3 before invalid UTF-8 at 5.
    err = error_of(impl.decode, b'"a"bc\xff', strict=True)
    assert_error(err, TextAfterQuote, 3, 0, 0)
    # Invalid UTF-8 in row 1 before text after a quote in row 2.
    err = error_of(impl.decode, b'a\n\xff\n"b"c\n', strict=True)
    assert_error(err, InvalidUtf8, 2, 1, 0)
    # Text after quote in row 0 before an unterminated quote in row 1.
    err = error_of(impl.decode, b'"b"c\n"d', strict=True)
    assert_error(err, TextAfterQuote, 3, 0, 0)


def test_error_precedence_ties(impl):
    # InvalidUtf8 and TextAfterQuote both at byte 3: InvalidUtf8 first.
    err = error_of(impl.decode, b'"a"\xff', strict=True)
    assert_error(err, InvalidUtf8, 3, 0, 0)


@pytest.mark.parametrize(
    "payload, offset, row, field",
    [
        (b"\xff", 0, 0, 0),
        (b"\x80abc", 0, 0, 0),
        (b"a,b,\xc3", 4, 0, 2),
        (b"a,b,\xc3(", 4, 0, 2),
        (b"ok\n\xe2\x82\n", 3, 1, 0),
        (b"x,\xc0\x80", 2, 0, 1),  # overlong
        (b"x,\xed\xa0\x80", 2, 0, 1),  # encoded surrogate
        (b"x,\xf4\x90\x80\x80", 2, 0, 1),  # above U+10FFFF
        (b"\xe2\x82\xac,\xf0\x9f\x98", 4, 0, 1),
        (b'"a,\xff",b', 3, 0, 0),
        (b'"a\nb",c\xff', 7, 0, 1),
        (b'"x"\xff,y', 3, 0, 0),
        (b'a"\xff', 2, 0, 0),
    ],
)
def test_invalid_utf8(impl, payload, offset, row, field):
    for strict in (False, True):
        err = error_of(impl.decode, payload, strict=strict)
        assert_error(err, InvalidUtf8, offset, row, field)


def test_error_messages(impl):
    err = error_of(impl.decode, b'200,temp,10\nab,c,"x')
    assert_error(err, UnterminatedQuote, 17, 1, 2)
    assert str(err) == "unterminated quoted field starting at byte 17 (row 1, field 2)"
    assert err.reason == "unterminated quoted field starting"

    err = error_of(impl.decode, b'a\nb,"x"y', strict=True)
    assert "at byte 7 (row 1, field 1)" in str(err)
    assert "quote" in str(err)

    err = error_of(impl.decode, b'a\nb,\xff')
    assert "UTF-8" in str(err) and "at byte 4 (row 1, field 1)" in str(err)

    err = error_of(impl.decode, b"a" * 20, limit=12)
    assert "at byte 10 (row 0)" in str(err) and "12" in str(err)

    decoder = impl.Decoder(limit=10)
    decoder.feed(b"ab\n")
    err = error_of(decoder.feed, b"c" * 11)
    assert "at byte 13 (row 1)" in str(err) and "10" in str(err)


def test_errors_are_value_errors(impl):
    err = error_of(impl.decode, b'"')
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is UnterminatedQuote
    assert (copy.offset, copy.row, copy.field, str(copy)) == (0, 0, 0, str(err))


def test_no_silent_drop(impl):
    # Nothing after an error is returned instead of the error.
    for payload in [b'a\n"b', b"a\nb\xff\n", b"a\n\xff"]:
        with pytest.raises(SmartRestError):
            impl.decode(payload)


# ------------------------------------------------- 6. where peers differ


@pytest.mark.parametrize(
    "value",
    ['a\\"b', '\\"', 'C:\\dir\\"x"', '\\\\"', 'a\\""b', '"\\', '\\"\\"'],
)
def test_interop_backslash_before_quote(impl, value):
    for escape in ("backslash", "double"):
        out = impl.encode([["1", value, "2"]], quote_escape=escape)
        assert impl.decode(out) == [["1", value, "2"]]
        assert impl.decode(out, strict=True) == [["1", value, "2"]]


@pytest.mark.parametrize("run", [1, 2, 3, 7])
def test_interop_trailing_backslash_run(impl, run):
    value = "a,b" + "\\" * run
    out = impl.encode([["1", value], ["2", "x"]])
    assert out == b'1,"a,b"' + b"\\" * run + b"\n2,x\n"
    assert impl.decode(out, strict=True) == [["1", value], ["2", "x"]]


def test_interop_both_quote_escapes(impl):
    assert impl.decode(b'1,"a""b","a\\"b"') == [["1", 'a"b', 'a"b']]
    assert impl.decode(b'1,"""a""","\\"a\\""') == [["1", '"a"', '"a"']]


def test_interop_stray_quote_in_unquoted_field(impl):
    payload = b'100,5"x,sensor"\n200,ok\n'
    assert impl.decode(payload) == [["100", '5"x', 'sensor"'], ["200", "ok"]]
    assert impl.decode(payload, strict=True) == impl.decode(payload)
    assert impl.decode(b'a"b"c\nd') == [['a"b"c'], ["d"]]


def test_interop_crlf(impl):
    payload = b'100,dev\r\n"a\r\nb",c\r\n200\r\n'
    assert impl.decode(payload) == [["100", "dev"], ["a\r\nb", "c"], ["200"]]


def test_interop_multi_row_publish(impl):
    payload = b"200,c8y_Temperature,T,25\n200,c8y_Humidity,H,60\n400,c8y_Event,Hello\n"
    assert impl.decode(payload) == [
        ["200", "c8y_Temperature", "T", "25"],
        ["200", "c8y_Humidity", "H", "60"],
        ["400", "c8y_Event", "Hello"],
    ]


def test_interop_batched_operations_with_line_breaks(impl):
    payload = (
        b'511,dev1,"echo one\nsleep 1\necho \\"two\\""\n'
        b'511,dev2,"line 1\r\nline 2"\n'
        b"510,dev3\n"
        b'513,dev4,"a,b\n",x\n'
    )
    assert impl.decode(payload) == [
        ["511", "dev1", 'echo one\nsleep 1\necho "two"'],
        ["511", "dev2", "line 1\r\nline 2"],
        ["510", "dev3"],
        ["513", "dev4", "a,b\n", "x"],
    ]


def test_interop_value_ending_in_backslash_then_records(impl):
    # Quoted with the backslash after the closing quote, unquoted, and in
    # the middle of a batch: the records after it stay separate.
    payload = b'511,dev1,"cd C:\\tmp, dir"\\\n510,dev2\n511,dev3,C:\\\n510,dev4\n'
    assert impl.decode(payload, strict=True) == [
        ["511", "dev1", "cd C:\\tmp, dir\\"],
        ["510", "dev2"],
        ["511", "dev3", "C:\\"],
        ["510", "dev4"],
    ]
    rows = [["511", "dev1", "x,\\"], ["510", "dev2"], ["511", "dev3", "\\"], ["510", "dev4"]]
    for escape in ("backslash", "double"):
        assert impl.decode(impl.encode(rows, quote_escape=escape)) == rows
