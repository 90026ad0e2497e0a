"""smartrest.validate and its C validator (csrc/validate.c) against
smartrest.templates.decode_messages, the authority: on valid rows of every
static upstream template and on broken ones, the C verdict and first problem
are decode_messages', and validate raises exactly decode_messages' error."""

from __future__ import annotations

import types
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_templates import messages

import smartrest
from smartrest import LIMIT, _implementation, _validation
from smartrest import templates as T
from smartrest.errors import SmartRestError, TemplateError
from smartrest.templates.payload import _spec_args
from smartrest.templates.registry import _STATIC_UP

UP = sorted((t for t in _STATIC_UP.values()), key=lambda t: t.id)
TOPICS = ["s/us", "t/us", "q/us", "c/us", "s/us/child-1", "t/us/Ч", "c/us/a b"]
OTHER_TOPICS = ["s/ds", "s/uc/xid", "s/us/a/b", "x/us", "s/e", "s/us/+", "t/ds"]
BAD_VALUES = ["x", "1e", "--1", ".", "2020-13-01T00:00Z", "2020-01-01T24:00Z", "tru",
              "１", "²", "é", "1.5", "", "$SW", "\"", "a,b", "a\nb", "1 "]
BAD_IDS = ["999", "0200", "", "abc", "106", "511", "2000", "+200", " 200", "２００"]
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def c_check():
    """The C validator's check, or the test fails (skips under SMARTREST_PURE_PYTHON=1)."""
    if _implementation.PURE_REQUESTED:
        pytest.skip("SMARTREST_PURE_PYTHON=1: the pure-Python implementation was asked for")
    module = _implementation.validate_module()
    if module is None:
        pytest.fail(f"the C extension smartrest._validate cannot be imported; "
                    f"{_implementation.BUILD_HINT}", pytrace=False)
    return module.check


@pytest.fixture(params=["python", "c"])
def validate_impl(request, monkeypatch):
    """smartrest.validate with the C validator, or with none (the pure path)."""
    if request.param == "c":
        request.getfixturevalue("c_check")
    else:
        monkeypatch.setattr(_validation, "_C", None)
    return smartrest.validate


def _problem(exc: SmartRestError) -> Tuple[str, Any, Any, Any, Any]:
    tid = exc.template_id if isinstance(exc, TemplateError) else None
    return (type(exc).__name__, exc.offset, exc.row, exc.field, tid)


def _reference(payload: bytes, topic: Optional[str], qos: int, limit: Optional[int],
               strict: bool) -> Optional[SmartRestError]:
    try:
        T.decode_messages(payload, topic=topic, qos=qos, limit=limit, strict=strict)
    except SmartRestError as exc:
        return exc
    return None


def agree(check: Any, payload: bytes, topic: Optional[str], qos: int = 0,
          limit: Optional[int] = LIMIT, strict: bool = False) -> Optional[Tuple[Any, ...]]:
    """Assert that the C verdict (unless "slow") and validate agree with
    decode_messages; return the C verdict."""
    exc = _reference(payload, topic, qos, limit, strict)
    got = check(payload, None if topic is None else topic.encode(), qos, limit, strict)
    if got is None:
        assert exc is None, (payload, topic, exc)
    elif got[0] != "slow":
        assert exc is not None, (payload, topic, got)
        assert got == _problem(exc), (payload, topic)
    _agree_validate(smartrest.validate, payload, topic, qos, limit, strict, exc)
    return got


def _agree_validate(validate: Any, payload: Any, topic: Optional[str], qos: int,
                    limit: Optional[int], strict: bool, exc: Optional[SmartRestError]) -> None:
    if exc is None:
        assert validate(payload, topic=topic, qos=qos, limit=limit, strict=strict) is None
        return
    with pytest.raises(type(exc)) as info:
        validate(payload, topic=topic, qos=qos, limit=limit, strict=strict)
    assert str(info.value) == str(exc)
    assert _problem(info.value) == _problem(exc)


# ------------------------------------------------------------------ strategies


def _rows(data: Any, count: int) -> List[List[str]]:
    out = []
    for _ in range(count):
        t = data.draw(st.sampled_from(UP))
        drawn = data.draw(messages(t))
        out.append(T.build(t.id, topic="s/us", groups=drawn["groups"],
                           **drawn["values"]).to_row())
    return out


def _break_row(data: Any, row: List[str]) -> List[str]:
    row = list(row)
    how = data.draw(st.sampled_from(["drop", "extra", "value", "id", "empty"]))
    if how == "drop" and len(row) > 1:
        del row[data.draw(st.integers(1, len(row) - 1)):]
    elif how == "extra":
        row += data.draw(st.lists(st.sampled_from(BAD_VALUES + ["1", "v"]), min_size=1,
                                  max_size=5))
    elif how == "value" and len(row) > 1:
        row[data.draw(st.integers(1, len(row) - 1))] = data.draw(st.sampled_from(BAD_VALUES))
    elif how == "empty" and len(row) > 1:
        row[data.draw(st.integers(1, len(row) - 1))] = ""
    else:
        row[0] = data.draw(st.sampled_from(BAD_IDS))
    return row


def _break_bytes(data: Any, payload: bytes) -> bytes:
    how = data.draw(st.sampled_from(["insert", "replace", "cut"]))
    at = data.draw(st.integers(0, len(payload)))
    junk = data.draw(st.sampled_from([b'"', b"\xff", b"\xc3", b"\xe2\x82", b"\\", b'""',
                                      b"\r", b"\n", b",", b"\n\n", b'"x"y', b"\x00",
                                      b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]))
    if how == "insert":
        return payload[:at] + junk + payload[at:]
    if how == "replace":
        return payload[:at] + junk + payload[at + len(junk):]
    return payload[:at]


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("t", UP, ids=lambda t: str(t.id))
def test_documented_example_is_valid_in_c(c_check, t):
    payload = (t.example or str(t.id)).encode() + b"\n"
    for topic in ("s/us", "t/us/child"):
        got = agree(c_check, payload, topic)
        if T.decode_messages(payload, topic=topic) and not _slow(t):
            assert got is None


def _slow(t: T.Template) -> bool:
    """Whether the C tables leave every row of ``t`` to Python."""
    return bool(_spec_args(t, {k: k for k in (T.NUMBER, T.INTEGER, T.BOOLEAN, T.DATE)})["slow"])


@SETTINGS
@given(data=st.data())
def test_valid_rows_of_every_upstream_template(c_check, data):
    rows = _rows(data, data.draw(st.integers(1, 6)))
    topic = data.draw(st.sampled_from(TOPICS + [None]))
    quote = data.draw(st.sampled_from(["backslash", "double"]))
    payload = smartrest.encode(rows, quote_escape=quote)
    got = agree(c_check, payload, topic)
    if all(not any(ord(c) > 127 for c in "".join(r)) for r in rows):
        assert got is None  # ASCII rows of these templates are decided in C


@SETTINGS
@given(data=st.data())
def test_broken_rows(c_check, data):
    rows = _rows(data, data.draw(st.integers(1, 5)))
    for _ in range(data.draw(st.integers(1, 2))):
        i = data.draw(st.integers(0, len(rows) - 1))
        rows[i] = _break_row(data, rows[i])
    topic = data.draw(st.sampled_from(TOPICS + [None]))
    got = agree(c_check, smartrest.encode(rows), topic)
    assert got is not None or _reference(smartrest.encode(rows), topic, 0, LIMIT, False) is None


@SETTINGS
@given(data=st.data())
def test_broken_bytes(c_check, data):
    payload = smartrest.encode(_rows(data, data.draw(st.integers(1, 4))))
    for _ in range(data.draw(st.integers(1, 3))):
        payload = _break_bytes(data, payload)
    topic = data.draw(st.sampled_from(TOPICS + [None]))
    strict = data.draw(st.booleans())
    agree(c_check, payload, topic, strict=strict)


@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_sizes(c_check, data):
    row = smartrest.encode(_rows(data, 1))
    topic = data.draw(st.sampled_from(TOPICS + [None]))
    qos = data.draw(st.sampled_from([0, 1, 2]))
    count = data.draw(st.integers(1, 700))
    limit = data.draw(st.sampled_from([LIMIT, None, 0, 1, 2, 3, 40, 200, 16385, 2 ** 70]))
    payload = row * count
    if data.draw(st.booleans()):
        payload = _break_bytes(data, payload)
    agree(c_check, payload, topic, qos=qos, limit=limit)


def test_limit_boundary(c_check):
    row = b"200,c8y_Temperature,T,25.3,C\n"
    for topic, qos in (("s/us", 0), ("s/us/child", 1), (None, 0)):
        room = smartrest._limits.max_payload(topic, qos, LIMIT)
        base = row * (room // len(row))
        payload = base + b"1" * (room - len(base))  # the last row: "1111", unknown
        for extra in (b"", b"\n", b"1\n"):
            agree(c_check, payload[:room - len(extra)] + extra, topic, qos=qos)
        assert agree(c_check, base, topic, qos=qos) is None
        got = agree(c_check, payload + b"1", topic, qos=qos)
        assert got is not None and got[0] == "PayloadTooLarge"


@pytest.mark.parametrize("topic", OTHER_TOPICS)
def test_other_topics_are_left_to_decode_messages(c_check, topic):
    payload = b"200,c8y_Temperature,T,25.3,C\n"
    assert agree(c_check, payload, topic)[0] == "slow"


@pytest.mark.parametrize("payload, error, field", [
    (b"200,f,s,x,C\n", "InvalidValue", 3),
    (b"200,f,s\n", "MissingValue", 3),
    (b"200,,s,1\n", "MissingValue", 1),
    (b"200,f,s,1,C,,extra\n", "TooManyValues", 6),
    (b"200,,s,1,C,,extra\n", "MissingValue", 1),  # the Python check's order
    (b"122,a,b\n", "MissingValue", 4),  # the first non-optional value left out
    (b"201,f,2020-01-01T00:00:00Z,s,v\n", "IncompleteGroup", 5),
    (b"201,f\n", "MissingValue", 2),
    (b"210\n", "MissingValue", 1),
    (b"106,x\n", "UnknownTemplate", 0),
    (b'200,"f""",s,"1",C\n200,f,s,1,C\n999\n', "UnknownTemplate", 0),
    (b"200,f,s,1,C\n\xff\n999\n", "InvalidUtf8", 0),
    (b'999\n"open', "UnterminatedQuote", 0),
])
def test_known_problems(c_check, payload, error, field):
    got = agree(c_check, payload, "s/us")
    assert got is not None and got[0] == error and got[3] == field


def test_text_after_quote_is_strict_only(c_check):
    payload = b'200,"f"x,s,1,C\n'
    assert agree(c_check, payload, "s/us") is None
    assert agree(c_check, payload, "s/us", strict=True)[0] == "TextAfterQuote"


@settings(SETTINGS, max_examples=200)
@given(data=st.data())
def test_validate_raises_what_decode_messages_raises(validate_impl, data):
    rows = _rows(data, data.draw(st.integers(1, 3)))
    if data.draw(st.booleans()):
        rows[0] = _break_row(data, rows[0])
    payload: Any = smartrest.encode(rows)
    if data.draw(st.booleans()):
        payload = _break_bytes(data, payload)
    topic = data.draw(st.sampled_from(TOPICS + OTHER_TOPICS + [None]))
    payload = data.draw(st.sampled_from([payload, bytearray(payload), memoryview(payload),
                                         payload.decode("utf-8", "replace")]))
    qos = data.draw(st.sampled_from([0, 1, 2]))
    exc = None
    try:
        T.decode_messages(payload, topic=topic, qos=qos)
    except SmartRestError as e:
        exc = e
    _agree_validate(validate_impl, payload, topic, qos, LIMIT, False, exc)


@pytest.mark.parametrize("kwargs, error", [
    ({"qos": 3}, ValueError), ({"qos": True}, ValueError), ({"limit": -1}, ValueError),
    ({"limit": 1.5}, TypeError), ({"topic": 5}, TypeError), ({"topic": "s/us/\ud800"}, Exception),
])
def test_bad_arguments_raise_as_decode_messages(validate_impl, kwargs, error):
    with pytest.raises(error) as expected:
        T.decode_messages(b"200,f,s,1\n", **kwargs)
    with pytest.raises(type(expected.value), match=None) as got:
        validate_impl(b"200,f,s,1\n", **kwargs)
    assert str(got.value) == str(expected.value)
    with pytest.raises(TypeError):
        validate_impl(object(), topic="s/us")


def test_validate_is_exported():
    assert smartrest.validate is _validation.validate
    assert "validate" in smartrest.__all__
    assert isinstance(_validation, types.ModuleType)


# Values at the edges of the word-at-a-time NUMBER and DATE checks of the C
# validator's block path (csrc/check.c, sr_check_value_padded), each in a row
# with enough rows after it that the bytes past the value are readable.
EDGE_NUMBERS = ["0", "-0", "+1", "1.", ".5", "-.5", ".", "-", "+", "1.2.3", "1e5", "1E-5",
                "1e", "12345678901234.5", "1234567890123456", "12345678901234567", "1,5",
                "1 ", " 1", "+-1", "1-", "٣", "0x1F", "9" * 16, "-" + "9" * 15, "1.5.",
                "1..5"]
EDGE_DATES = ["2024-05-01T08:00:00Z", "2024-05-01T08:00:00.123+02:00", "2024-05-01T08:00:00z",
              "2024-05-01T08:00:00,5-0330", "2024-05-01T08:00:00.123456789+02",
              "2024-05-01T08:00:00.1234567890Z", "2024-05-01T08:00:00.Z",
              "2024-13-01T08:00:00Z", "2024-00-01T08:00:00Z", "2024-05-32T08:00:00Z",
              "2024-05-00T08:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T23:60:00Z",
              "2024-05-01T23:59:60Z", "2024-05-01T23:59:61Z", "2024-05-01T08:00:00+24:00",
              "2024-05-01T08:00:00+23:60", "2024-05-01T08:00:00+0200", "2024-05-01T08:00:00+2",
              "2024-05-01T08:00:00+02:0", "2024-05-01T08:00:00+02:000", "2024-05-01T08:00Z",
              "2024-05-01T08:00:00", "2024-05-01 08:00:00Z", "2024-05-01T08:00:00.5Zx",
              "2024-05-01T08:00:00.000000000000000Z", "2024/05/01T08:00:00Z",
              "2024-05-01T08:00:00.123+02:00:00", "２024-05-01T08:00:00Z",
              "2024-05-01T08:00:00Y"]


@pytest.mark.parametrize("value", EDGE_NUMBERS + EDGE_DATES)
def test_edge_values_on_the_block_path(c_check, value):
    fill = b"200,c8y_Temperature,T,21.5,C,2024-05-01T08:00:00.123+02:00\n" * 3
    for row in (f"200,c8y_T,T,{value},C\n", f"200,c8y_T,T,1,C,{value}\n"):
        encoded = smartrest.encode([row[:-1].split(",")])
        agree(c_check, encoded + fill, "s/us")
        agree(c_check, fill + encoded + fill, "s/us")


# The C validator's block path reads 64-byte blocks whole, with the quote
# state carried from block to block (csrc/validate_fast.h), and falls back to
# reading field by field a block where a quote opens anywhere but at a
# field's start or right after a closing quote; UTF-8 is checked per block
# stretch.  Each row below is put at every offset of a block (a row of
# 114, which takes any values, in front of it), followed or not by rows
# that keep the block path going, in both modes.
BLOCK_ROWS = [
    b'400,c8y_E,"a,b\nc",2024-05-01T08:00:00.123+02:00\n',
    b'400,c8y_E,"say \\"hi\\", ok",2024-05-01T08:00:00.123+02:00\n',
    b'400,c8y_E,"say ""hi"", ok",2024-05-01T08:00:00Z\n',
    b'400,c8y_E,"C:\\logs"\\,2024-05-01T08:00:00.123Z\n',
    b'400,c8y_E,"C:\\logs"\\\\\r\n',
    b'400,c8y_E,"ab"cd,2024-05-01T08:00:00.123+02:00\n',
    b'400,c8y_E,"ab"c"d,e\n',
    b'400,c8y_E,5"x,2024-05-01T08:00:00.123+02:00\n',
    b'400,c8y_E,a\\"b,"c"\n',
    b'400,c8y_E,"a\\\\",2024-05-01T08:00:00Z\n',
    b'400,c8y_E,"",2024-05-01T08:00:00Z\n',
    b'400,c8y_E,""\r\n',
    b'400,c8y_E,""""\n',
    b'400,c8y_E,"""",""\n',
    b'"400","c8y_E","text"\r\n\r\n\n',
    b'400,c8y_E,text\r\r\n',
    b'400,c8y_E,"a\r"\n',
    '400,c8y_E,Überhitzung °C, Lüfter\n'.encode(),
    '400,c8y_E,"Überhitzung, °C",2024-05-01T08:00:00.123+02:00\n'.encode(),
    b'400,c8y_E,bad \xc3(,2024-05-01T08:00:00Z\n',
    b'400,c8y_E,cut \xe2\x82\n',
    b'400,c8y_E,lone \x80\n',
    b'400,c8y_E,\xed\xa0\x80\n',
    b'200,c8y_T,T,"21.5",C\n',
    b'200,c8y_T,T,21.5,C,"2024-05-01T08:00:00.123+02:00"\n',
    b'200,c8y_T,T,21.5,C,2024-05-01T08:00:00.123+24:00\n',
    b'200,c8y_T,T,,C\n',
    b'200,c8y_T,T,1,C,,extra\n',
    b'210,,,2024-05-01T08:00:00Z\n',
    b'999,x\n',
    b'400,c8y_E,"open\n',
]
BLOCK_FILL = b"200,c8y_Temperature,T,21.5,C,2024-05-01T08:00:00.123+02:00\n" * 3


@pytest.mark.parametrize("row", BLOCK_ROWS)
def test_rows_at_every_block_offset(c_check, row):
    for shift in range(0, 66):
        front = b"114," + b"x" * shift + b"\n"
        for payload in (front + row + BLOCK_FILL, front + row, BLOCK_FILL + front + row * 3):
            for strict in (False, True):
                agree(c_check, payload, "s/us", strict=strict)


def test_quoted_fields_across_blocks(c_check):
    # Quoted values longer than a block, with escapes and separators in
    # them, starting at every offset.
    text = b'"' + b'ab,\\"c\n""d' * 12 + b'"'
    for shift in range(0, 66):
        front = b"114," + b"y" * shift + b"\n"
        for tail in (b"", b"\\\\", b"x"):
            payload = front + b"400,c8y_E," + text + tail + b",2024-05-01T08:00:00Z\n" + BLOCK_FILL
            assert agree(c_check, payload, "s/us") is None
            agree(c_check, payload, "s/us", strict=True)
        agree(c_check, front + b"400,c8y_E," + text[:-1] + b"\n" + BLOCK_FILL, "s/us")


DATE_LAYOUT_SAMPLES = ["2024-05-01T08:00:00Z", "2024-05-01T08:00:00.123Z",
                       "2024-05-01T08:00:00+02:00", "2024-05-01T08:00:00.123456Z",
                       "2024-05-01T08:00:00.123-02:00", "2024-05-01T08:00:00.123456+02:00",
                       "2024-12-31T23:59:60.999-23:59", "2024-10-10T19:09:59,5+20:00"]


@pytest.mark.parametrize("date", DATE_LAYOUT_SAMPLES)
def test_date_layouts_byte_by_byte(c_check, date):
    # Every byte of a date of each layout the block path checks whole,
    # replaced by bytes at the edges of the ranges.
    for i in range(len(date)):
        for c in "0123456789/:;-+,.ZzT ":
            value = date[:i] + c + date[i + 1:]
            row = f"200,c8y_T,T,1,C,{value}\n".encode()
            agree(c_check, row + BLOCK_FILL, "s/us")


def test_every_buffer_kind_and_a_changing_one(validate_impl, tmp_path):
    """mmap, numpy and array buffers are read as their bytes; a bytearray
    changed by another thread is judged as it was at one moment (valid, or
    the one error of its broken state), and the next call is unaffected."""
    import array
    import mmap
    import threading

    import numpy as np

    good = b"200,c8y_Temperature,T,21.5,C\n" * 200
    bad = bytearray(good)
    bad[29 * 100 + 22:29 * 100 + 26] = b"2x.5"
    with pytest.raises(SmartRestError) as info:
        T.decode_messages(bytes(bad), topic="s/us")
    want_bad = _problem(info.value)
    path = tmp_path / "p.bin"
    path.write_bytes(bytes(bad))
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), 0) as mm:
        for buf in (mm, np.frombuffer(bytes(bad), dtype=np.uint8).copy(),
                    array.array("B", bytes(bad))):
            with pytest.raises(SmartRestError) as info:
                validate_impl(buf, topic="s/us")
            assert _problem(info.value) == want_bad
    assert validate_impl(np.frombuffer(good, dtype=np.uint8).copy(), topic="s/us") is None

    buf = bytearray(good)
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            buf[:] = bad
            buf[:] = good

    t = threading.Thread(target=flip)
    t.start()
    seen = set()
    try:
        for _ in range(300):
            try:
                validate_impl(buf, topic="s/us")
                seen.add("valid")
            except SmartRestError as exc:
                assert _problem(exc) == want_bad
                seen.add("bad")
    finally:
        stop.set()
        t.join()
    assert seen
    assert validate_impl(good, topic="s/us") is None


def test_a_bytes_subclass_is_read_as_its_bytes(validate_impl):
    class Sub(bytes):
        pass

    good = b"200,c8y_Temperature,T,21.5,C\n" * 40
    assert validate_impl(Sub(good), topic="s/us") is None
    for kwargs in ({"limit": 1}, {"topic": "s/us"}):
        bad = Sub(good + b"200,c8y_Temperature,T,x,C\n")
        with pytest.raises(SmartRestError) as want:
            T.decode_messages(bad, **kwargs)
        with pytest.raises(SmartRestError) as got:
            validate_impl(bad, **kwargs)
        assert _problem(got.value) == _problem(want.value)
