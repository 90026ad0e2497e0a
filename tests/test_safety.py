"""Call sequences, re-entry, changing buffers and odd options: both
implementations give the same answer, and the C one never reads memory it
does not own.

Each test here names the problem it guards against; every one of them
crashed, corrupted a ``str`` or made the implementations disagree before
the fix it tests.
"""

from __future__ import annotations

import array
import copy
import gc
import mmap
import pickle
import sys
import tracemalloc
from decimal import Decimal
from typing import Any, List

import pytest

import smartrest
from smartrest import (
    InvalidUtf8,
    PayloadTooLarge,
    RowTooLarge,
    SmartRestError,
    TextAfterQuote,
    UnterminatedQuote,
)
from smartrest.errors import InvalidNumber, InvalidTopic

np = pytest.importorskip("numpy")


def outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The result, or the class, text and attributes of the exception."""
    try:
        return ("ok", call(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the outcome is compared
        attrs = {k: getattr(exc, k, None) for k in ("offset", "row", "field", "payload_index")}
        return (type(exc), str(exc), attrs)


def both(impl_factory: Any) -> List[Any]:
    return [impl_factory("python"), impl_factory("c")]


# ---------------------------------------------------------------- Decoder errors

BROKEN_STREAMS = [
    (b"200,c8y_T,\xff,2\n", {}, InvalidUtf8),
    (b'"a"\xff\n', {}, InvalidUtf8),
    (b'1,"a"bc\n', {"strict": True}, TextAfterQuote),
    (b"abcdefghij", {"limit": 5}, RowTooLarge),
    (b"1,2\nabcdefghij", {"limit": 5}, RowTooLarge),
]


@pytest.mark.parametrize("chunk,options,cls", BROKEN_STREAMS)
def test_decoder_error_is_final(impl, chunk, options, cls):
    # close() after a failed feed() read a buffer that was gone (segfault);
    # a later feed() gave rows cut short, or a MemoryError.
    decoder = impl.Decoder(**options)
    with pytest.raises(cls) as first:
        decoder.feed(chunk)
    for call in (decoder.close, lambda: decoder.feed(b"a,b\n"), decoder.close,
                 lambda: decoder.feed(bytearray(b"\n")), lambda: decoder.feed(b"")):
        with pytest.raises(cls) as again:
            call()
        assert again.value is not first.value  # a new exception, not the old one re-raised
        assert (str(again.value), again.value.offset, again.value.row, again.value.field) == (
            str(first.value), first.value.offset, first.value.row, first.value.field)


def test_decoder_error_in_later_chunk_is_final(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"1,2\n3,") == [["1", "2"]]
    with pytest.raises(InvalidUtf8) as first:
        decoder.feed(b"\xff\n4\n")
    assert first.value.offset == 6
    with pytest.raises(InvalidUtf8) as again:
        decoder.feed(b"5\n")
    assert again.value.offset == 6


def test_failed_close_is_final(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b'1\n"open') == [["1"]]
    for _ in range(3):
        with pytest.raises(UnterminatedQuote) as info:
            decoder.close()
        assert (info.value.offset, info.value.row) == (2, 1)
    with pytest.raises(UnterminatedQuote):
        decoder.feed(b"x\n")


def test_decoder_outcomes_agree_after_errors(c_impl, py_impl):
    for chunk, options, _ in BROKEN_STREAMS:
        results = []
        for impl in (py_impl, c_impl):
            decoder = impl.Decoder(**options)
            results.append([outcome(decoder.feed, chunk), outcome(decoder.close),
                             outcome(decoder.feed, b"x\n")])
        assert results[0] == results[1]


def test_bad_chunk_type_changes_nothing(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"1,") == []
    with pytest.raises(TypeError):
        decoder.feed(5)
    with pytest.raises(TypeError):
        decoder.feed(np.arange(8, dtype=np.uint8)[::2])  # not C-contiguous
    assert decoder.feed(b"2\n") == [["1", "2"]]
    assert decoder.close() == []


def test_decoder_after_close(impl):
    decoder = impl.Decoder()
    assert decoder.feed(b"1") == []
    assert decoder.close() == [["1"]]
    assert decoder.close() == []
    with pytest.raises(ValueError, match="after close"):
        decoder.feed(b"2\n")


def test_decoder_reentered_from_gc_callback(impl):
    # A garbage-collector callback that feeds the decoder while feed() runs
    # overflowed the C decoder's buffer; now it gets RuntimeError and the
    # running call is not disturbed.
    decoder = impl.Decoder(limit=None)
    seen: List[Any] = []

    # The intruder feeds an empty chunk: outside a running feed() that is a
    # no-op returning [] (on CPython 3.12 and later collections run only
    # between bytecodes, so a callback can land between two feed() calls),
    # inside one it must raise RuntimeError and change nothing.
    def reenter(phase: str, info: Any) -> None:
        if phase == "start":
            seen.append(outcome(decoder.feed, b""))

    rows = [[str(i), "c8y_T", "T", f"{i}.5"] for i in range(3000)]
    payload = smartrest.encode(rows)
    old = gc.get_threshold()
    gc.callbacks.append(reenter)
    gc.set_threshold(5)
    try:
        got = []
        for k in range(0, len(payload), 997):
            got += decoder.feed(payload[k:k + 997])
        got += decoder.close()
    finally:
        gc.callbacks.remove(reenter)
        gc.set_threshold(*old)
    assert got == rows
    assert seen, "no collection ran during the loop"
    assert all(s == ("ok", []) or s[0] is RuntimeError for s in seen), seen
    if sys.version_info < (3, 12):
        # Collections run inside feed() (at its allocations) before 3.12.
        assert any(s[0] is RuntimeError for s in seen), seen


# ---------------------------------------------------------------- encode


class _ClearsRow(Decimal):
    row: list

    def __str__(self) -> str:
        self.row.clear()
        return "1.5"


class _ReplacesFirst(Decimal):
    row: list

    def __str__(self) -> str:
        self.row[0] = "x" * 1000  # frees the row's first value...
        self.row.append("extra")
        # ... and objects of its size take its memory.
        self.junk = ["%040d" % i for i in range(500)]
        return "2"


class _BytesClearsRow(bytes):
    row: list

    def __bytes__(self) -> bytes:
        self.row.clear()
        return b"zz"


def _hostile_row(cls: type) -> list:
    row: list = ["".join(["a"] * 40), "b", None, "c"]  # a str only the row holds
    value = cls(b"q") if issubclass(cls, bytes) else cls("7")
    value.row = row
    row[2] = value
    return row


@pytest.mark.parametrize("cls,text", [(_ClearsRow, "1.5"), (_ReplacesFirst, "2"),
                                      (_BytesClearsRow, "zz")])
def test_encode_value_that_changes_its_row(impl, cls, text):
    # A value whose conversion cleared its row segfaulted the C encoder; one
    # that replaced row[0] made it copy bytes of a freed object.
    want = ("a" * 40 + ",b," + text + ",c\n").encode()
    assert impl.encode([_hostile_row(cls)]) == want
    assert impl.encode([_hostile_row(cls), ["d"]]) == want + b"d\n"
    assert impl.encode_row(_hostile_row(cls)) == want
    assert impl.encode([tuple(_hostile_row(cls))]) == want


def test_encode_value_that_clears_the_rows(impl):
    rows: list = []

    class ClearsAll(Decimal):
        def __str__(self) -> str:
            rows.clear()
            return "3"

    rows.extend([["a", ClearsAll("3")], ["b"], ["c"]])
    # The row being encoded is kept; the rows after it are gone from the list.
    assert impl.encode(rows) == b"a,3\n"


# ---------------------------------------------------------------- changing buffers


def _mutable_payloads(data: bytes) -> List[Any]:
    m = mmap.mmap(-1, len(data))
    m.write(data)
    return [bytearray(data), memoryview(bytearray(data)), m,
            np.frombuffer(bytearray(data), dtype=np.uint8), array.array("B", data)]


def _overwrite(buf: Any, data: bytes) -> None:
    if isinstance(buf, mmap.mmap):
        buf.seek(0)
        buf.write(data)
    elif isinstance(buf, np.ndarray):
        buf[:] = np.frombuffer(data, dtype=np.uint8)
    else:
        buf[:] = array.array("B", data) if isinstance(buf, array.array) else data


@pytest.mark.parametrize("kind", range(5))
@pytest.mark.parametrize("original", [b'abc,def,"q"\n12,3.5\n', b'abc,def,"q\\"x"\n12,3.5\n'])
def test_tokens_unaffected_by_later_changes(impl, kind, original):
    # Tokens kept the bytearray and built str objects from whatever it held
    # later: a str flagged ASCII over non-ASCII bytes, which then entered
    # the shared string cache.
    payload = _mutable_payloads(original)[kind]
    tokens = impl.tokenize(payload)
    _overwrite(payload, (b"\xc3\xa9\xc3\xa9\xc3,\xff" + original[7:]))
    want = smartrest._pure.decode(original, limit=None)
    assert tokens.row(0) == want[0]
    assert tokens.to_rows() == want
    assert tokens.column(0, dtype=str).tolist() == ["abc", "12"]
    assert tokens.column(1, dtype=str).tolist() == ["def", "3.5"]
    for s in tokens.row(0):
        s.encode("utf-8")  # a valid str
    assert impl.decode(b"abc,def\n") == [["abc", "def"]]  # the cache holds the right value


def test_decode_batch_copies_each_payload_when_taken(impl):
    # A payload is read when it is taken from the iterable: a later change
    # to it (here made while the next one is asked for) does not reach it.
    first = bytearray(b"ab,cd\n")

    def payloads():
        yield first
        first[:] = b"\xff\xff,\xff\xff"
        first.extend(b"!")  # resizing works: the batch holds no export of it
        yield b"x\n"

    assert impl.decode_batch(payloads()) == [[["ab", "cd"]], [["x"]]]


def test_decode_copies_after_the_size_check(impl):
    # A huge buffer is refused as too large without being copied first.
    size = 64 << 20
    m = mmap.mmap(-1, size)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge) as info:
            impl.decode(m)
        with pytest.raises(PayloadTooLarge):
            impl.decode(m, topic="s/us", qos=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        m.close()
    assert info.value.offset == smartrest.LIMIT - 2
    assert peak < size // 4, peak


# ---------------------------------------------------------------- options

LIMITS = [(-1, ValueError), (True, TypeError), (1.5, TypeError), (float("inf"), TypeError),
          (float("nan"), TypeError), ("10", TypeError), (2**64, None), (10**30, None),
          (np.int64(100), None), (0, PayloadTooLarge), (None, None)]


@pytest.mark.parametrize("limit,cls", LIMITS)
def test_limit_is_checked_alike(c_impl, py_impl, limit, cls):
    got = [outcome(impl.decode, b"a,b\n", limit=limit) for impl in (py_impl, c_impl)]
    assert got[0] == got[1]
    assert got[0][0] == (cls or "ok")
    batch = [outcome(impl.decode_batch, [b"a\n"], limit=limit) for impl in (py_impl, c_impl)]
    assert batch[0] == batch[1]


@pytest.mark.parametrize("limit,cls", [(-1, ValueError), (0, ValueError), (True, TypeError),
                                       (1.5, TypeError), (2**64, None), (2**70, None)])
def test_decoder_limit_is_checked_alike(c_impl, py_impl, limit, cls):
    got = [outcome(lambda: impl.Decoder(limit=limit).feed(b"ab\n")) for impl in (py_impl, c_impl)]
    assert got[0] == got[1]
    assert got[0][0] == (cls or "ok")


@pytest.mark.parametrize("qos", [3, -1, True, None, "1", 1.0])
@pytest.mark.parametrize("limit", [None, smartrest.LIMIT])
def test_qos_is_always_checked(impl, qos, limit):
    # With limit=None and no topic qos was never looked at.
    with pytest.raises(ValueError, match="qos"):
        impl.decode(b"a", qos=qos, limit=limit)
    with pytest.raises(ValueError, match="qos"):
        impl.decode_batch([], qos=qos, limit=limit)


BAD_TOPICS = [("", 0), ("a" * 65536, 65535), ("s/us/+", 5), ("s/#", 2), ("s/u\x00s", 3),
              ("a#\x00+", 1), ("a\x00#", 1),
              ("s/\udc80", 2)]


@pytest.mark.parametrize("topic,offset", BAD_TOPICS)
def test_bad_publish_topics(impl, topic, offset):
    for call in (lambda: impl.decode(b"a", topic=topic),
                 lambda: impl.decode(b"a", topic=topic, limit=None),
                 lambda: smartrest.packet_size(topic, 1),
                 lambda: impl.pack([["a"]], topic=topic)):
        with pytest.raises(InvalidTopic) as info:
            call()
        assert info.value.offset == offset


def test_longest_topic_is_accepted():
    topic = "a" * 65535
    assert smartrest.packet_size(topic, 0) == 1 + 3 + 2 + 65535


def test_pack_without_limit_and_above_the_mqtt_maximum(impl):
    # pack(limit=None) raised a bare TypeError; a limit above the MQTT
    # maximum raised ValueError even for a 2-byte row.
    assert impl.pack([["a"], ["b"]], topic="s/us", limit=None) == [b"a\nb\n"]
    assert impl.pack([["a"], ["b"]], topic="s/us", limit=10**12) == [b"a\nb\n"]
    with pytest.raises(TypeError):
        impl.pack([["a"]], topic="s/us", limit=1.5)
    with pytest.raises(ValueError):
        impl.pack([["a"]], topic="s/us", limit=-5)


def test_non_contiguous_buffer_is_a_type_error(impl):
    strided = np.arange(16, dtype=np.uint8)[::2]
    for call in (impl.decode, impl.tokenize, lambda p: impl.Decoder().feed(p),
                 lambda p: impl.decode_batch([p])):
        with pytest.raises(TypeError, match="C-contiguous"):
            call(strided)
    # A C-contiguous array of another item type is read as its bytes.
    assert impl.decode(np.frombuffer(b"ab\ncd\n", dtype=np.uint16)) == [["ab"], ["cd"]]


def test_decode_batch_reports_the_first_problem_in_order(c_impl, py_impl):
    closed = mmap.mmap(-1, 8)
    closed.close()
    released = memoryview(b"x")
    released.release()
    for batch, cls, index in (([b'"open', closed], UnterminatedQuote, 0),
                              ([b"ok\n", closed, b'"open'], ValueError, None),
                              ([b"ok\n", released], ValueError, None),
                              ([b"ok\n", 5, b'"open'], TypeError, None),
                              ([b'"open', b"x" * 20000], UnterminatedQuote, 0),
                              ([b"ok", b"x" * 20000, b'"open'], PayloadTooLarge, 1)):
        got = [outcome(impl.decode_batch, batch) for impl in (py_impl, c_impl)]
        assert got[0] == got[1], batch
        assert got[0][0] is cls
        assert got[0][2]["payload_index"] == index


@pytest.mark.parametrize("text", ["\u0661\u0662", "\uff11\uff12", "\u00b2", "1\u00a0"])
def test_float_column_takes_ascii_numbers_only(impl, text):
    # Python's float() reads Arabic-Indic and fullwidth digits; the C
    # column did not: both refuse them now.
    tokens = impl.tokenize(f"200,{text}\n".encode())
    with pytest.raises(InvalidNumber) as info:
        tokens.column(1)
    assert (info.value.offset, info.value.row, info.value.field) == (4, 0, 1)


def test_column_error_offsets_agree(c_impl, py_impl):
    payload = b'1,2\n3,"x"\n5,"a\\"b"\n7,"c"d\n8,\n9\n'
    for index, dtype, kwargs in ((1, float, {}), (1, int, {}), (1, int, {"default": 0})):
        got = []
        for impl in (py_impl, c_impl):
            tokens = impl.tokenize(payload)
            got.append(outcome(tokens.column, index, dtype, **kwargs))
        assert got[0] == got[1], (index, dtype, got)
    tokens = py_impl.tokenize(payload)
    with pytest.raises(InvalidNumber) as info:
        tokens.column(1, int)
    assert (info.value.offset, info.value.row) == (6, 1)  # the quote of "x"
    with pytest.raises(InvalidNumber) as info:
        py_impl.tokenize(b'1,"2"\n3,"a\\"b"\n').column(1)
    assert (info.value.offset, info.value.row) == (8, 1)
    with pytest.raises(InvalidNumber) as info:
        py_impl.tokenize(b"1,2\n3\n").column(1, int)
    assert (info.value.offset, info.value.row) == (None, 1)


# ---------------------------------------------------------------- errors


def test_error_attributes_survive_pickling_and_copying(impl):
    with pytest.raises(SmartRestError) as info:
        impl.decode_batch([b"ok\n", b'a,"open'])
    exc = info.value
    assert exc.payload_index == 1
    for clone in (pickle.loads(pickle.dumps(exc)), copy.copy(exc)):
        assert type(clone) is type(exc)
        assert (str(clone), clone.reason, clone.offset, clone.row, clone.field,
                clone.payload_index) == (str(exc), exc.reason, exc.offset, exc.row, exc.field, 1)


def test_template_error_attributes_survive_pickling():
    from smartrest.errors import MissingValue

    exc = MissingValue("missing", 4, 1, 2, template_id=200, field_name="series")
    exc.payload_index = 3
    clone = pickle.loads(pickle.dumps(exc))
    assert (clone.template_id, clone.field_name, clone.payload_index, str(clone)) == (
        200, "series", 3, str(exc))


# ---------------------------------------------------------------- MQTT


def test_message_handler_survives_a_topic_that_is_not_utf8():
    # The topic was read outside the handler's try: a PUBLISH with a
    # non-UTF-8 topic raised into paho's loop and ended the loop thread.
    client = pytest.importorskip("paho.mqtt.client")
    from smartrest.mqtt import MessageHandler

    received: List[Any] = []
    errors: List[Any] = []
    handler = MessageHandler(received.append, on_error=lambda t, e: errors.append((t, e)))
    bad = client.MQTTMessage(topic=b"s/\xffds")
    bad.payload = b"510,serial\n"
    handler(None, None, bad)
    good = client.MQTTMessage(topic=b"s/ds")
    good.payload = b"510,serial\n"
    handler(None, None, good)
    assert len(errors) == 1 and isinstance(errors[0][1], InvalidTopic)
    assert errors[0][0] == "s/\\xffds" and errors[0][1].offset == 2
    assert [r.topic for r in received] == ["s/ds"]
    logged_handler = MessageHandler(received.append)  # no on_error: logged, not raised
    logged_handler(None, None, bad)


# ---------------------------------------------------------------- found by fuzz/fuzz_sequences.py


def test_str_subclass_payload(impl):
    class Text(str):
        def encode(self, *args: Any, **kwargs: Any) -> bytes:  # not consulted
            return b"wrong\n"

    assert impl.decode(Text("a,b\n")) == [["a", "b"]]
    assert impl.Decoder().feed(Text("a\n")) == [["a"]]
    assert impl.decode_batch([Text("x\n")]) == [[["x"]]]
    assert impl.tokenize(Text("a,b\n")).to_rows() == [["a", "b"]]


@pytest.mark.parametrize("chunk,options,cls,offset", [
    (b"\x81,b", {}, InvalidUtf8, 0),
    (b'"a"x,"b', {"strict": True}, TextAfterQuote, 3),
    (b"1\n2,\xc3\xa9,\xff,z", {}, InvalidUtf8, 7),
])
def test_decoder_reports_a_field_problem_when_the_field_ends(impl, chunk, options, cls, offset):
    # The C decoder reported it at once, the reference only when the row
    # ended: both report it when the field's comma arrives now.
    with pytest.raises(cls) as info:
        impl.Decoder(**options).feed(chunk)
    assert info.value.offset == offset
    # A field that may still go on is not judged yet.
    assert impl.Decoder(**options).feed(chunk[:chunk.rindex(b",")]) == \
        ([["1"]] if chunk.startswith(b"1\n") else [])


@pytest.mark.parametrize("rows", [[["\udcff", 10**5000]], [["\udcff"], 42],
                                  [["a"], ["\udcff", object()]]])
def test_encode_reports_the_first_problem_in_order(c_impl, py_impl, rows):
    got = [outcome(impl.encode, rows) for impl in (py_impl, c_impl)]
    assert got[0] == got[1]
    assert got[0][0] is InvalidUtf8
