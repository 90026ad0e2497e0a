"""sequences: a program of calls run on the C and the Python implementation
side by side, the outcomes compared after every step.

The input is a list of operations, read front to back (past the end every
read gives 0).  Each operation is one byte, ``op % 13`` naming it, then its
arguments.  A chunk is a template byte (``% 10``: raw, raw + LF, invalid
UTF-8 in a row, an unterminated quote, text after a closing quote, a row of
16 * n bytes, ``200,c8y_T,\\xff,2\\n``, CRLF line ends, a UTF-8 character
cut short, empty lines), a length byte and that many bytes.

  0 new      a Decoder pair: option byte (bit 0 strict, bits 1-2 limit:
             default, None, u16 % 300 + 1, or an invalid one from
             BAD_DECODER_LIMITS by the next byte)
  1-3 feed   buffer-kind byte (``% 32``: below len(KINDS) that kind, else
             the next accepted kind in turn), chunk
  4 close
  5 thread   chunk, fed as bytes from a second thread (joined before the
             next step)
  6 encode   option byte (bits 0-1 quote escape: backslash, backslash,
             double, invalid; bit 2 rows as an iterator), row count
             (``% 5``), then per row a container byte, a field count byte
             (``% 6``) and per field a kind byte, an action byte and a chunk
             (see make_value; kinds 10-12 are a Decimal or bytes subclass
             whose conversion mutates the row or the list of rows)
  7 encode_row  option byte, one row as for encode
  8 tokenize option byte (bit 0 strict, bit 4 no mutation, bits 1-3
             MUTABLE_KINDS), chunk, then up to len(payload) bytes that
             overwrite the buffer in place (the rest: the payload's bytes
             with the top bit flipped), a query count (``% 8 + 1``) and the
             queries (row, to_rows, column of float/int/str, len, nfields,
             flags and row_starts), then decode of the original payload and
             of the bytes it was overwritten with
  9 batch    decode_options byte, count byte (bit 0 iterator, ``>> 1 % 6``
             payloads), per payload a KINDS byte and a chunk
 10 decode   bytes for the limit, qos and topic (ODD_*), strictness, a
             KINDS byte and a chunk
 11 validate as decode, for smartrest.validate with and without the C
             validator
 12 tables   option byte (bit 0 errors="collect", bit 1 two threads, the
             rest % 3 the topic: None, s/us, s/us/child), count byte
             (``% 5 + 1``), per payload a KINDS byte and a chunk:
             arrow.decode_tables against the template layer's tables

Both implementations are given equal, separately built inputs.  After each
step the outcomes must be equal: the result, or for a SmartRestError its
class, str, offset, row, field and payload_index, or for a TypeError,
ValueError, RuntimeError (and IndexError from Tokens.row) its class.
Every str a call returns must be sound (ASCII flag, UTF-8).  Any other
exception is a finding; its note holds the program up to it.

SEQ_OPS=feed,close,... restricts a run to some operations, SEQ_SKIP=kind,...
turns those buffer kinds into bytes (to look past a known finding),
SEQ_TRACE=1 prints every step to stderr before it runs (for a crash).
"""

import array
import decimal
import mmap
import os
import struct
import sys
import threading

import numpy as np

import _common as h

MAX_OPS = 32

# ------------------------------------------------------------ buffers


class BytesSub(bytes):
    pass


class StrSub(str):
    pass


def _mmap(data):
    if not data:  # an anonymous mmap cannot be empty
        return b""
    m = mmap.mmap(-1, len(data))
    m[:] = data
    return m


def _closed_mmap(data):
    m = mmap.mmap(-1, max(len(data), 1))
    m.close()
    return m


def _released(data):
    view = memoryview(bytearray(data))
    view.release()
    return view


def _even(data):
    return data + b" " if len(data) % 2 else data


def _strided(data):
    # Not contiguous once it has two items (numpy calls a one-item array
    # contiguous whatever its stride).
    whole = np.zeros(2 * len(data), dtype=np.uint8)
    whole[::2] = np.frombuffer(data, dtype=np.uint8)
    return whole[::2]


# (name, factory) of every buffer that decode, feed, tokenize accept ...
ACCEPTED = (
    ("bytes", bytes),
    ("bytearray", bytearray),
    ("memoryview", memoryview),
    ("memoryview_of_bytearray", lambda d: memoryview(bytearray(d))),
    ("str", lambda d: d.decode("utf-8", "surrogateescape")),
    ("array_B", lambda d: array.array("B", d)),
    ("numpy_uint8", lambda d: np.frombuffer(d, dtype=np.uint8).copy()),
    ("mmap", _mmap),
    ("bytes_subclass", BytesSub),
    ("str_subclass", lambda d: StrSub(d.decode("utf-8", "surrogateescape"))),
    ("array_H_padded", lambda d: array.array("H", _even(d))),
    ("numpy_2d_padded", lambda d: np.frombuffer(_even(d), dtype=np.uint8).reshape(2, -1).copy()),
)
# ... and what they refuse.
REJECTED = (
    ("numpy_strided", _strided),
    ("released_memoryview", _released),
    ("closed_mmap", _closed_mmap),
    ("int", lambda d: len(d)),
    ("None", lambda d: None),
    ("list_of_ints", list),
    ("object", lambda d: object()),
)
# SEQ_SKIP=str_subclass,...: those buffer kinds give bytes instead (triage).
_SKIP = set(filter(None, os.environ.get("SEQ_SKIP", "").split(",")))
ACCEPTED = tuple((n, bytes) if n in _SKIP else (n, f) for n, f in ACCEPTED)
REJECTED = tuple((n, bytes) if n in _SKIP else (n, f) for n, f in REJECTED)
KINDS = ACCEPTED + REJECTED

# Buffers that can change after tokenize (and str, bytes for contrast).
MUTABLE_KINDS = (
    ("bytearray", bytearray),
    ("memoryview_of_bytearray", lambda d: memoryview(bytearray(d))),
    ("array_B", lambda d: array.array("B", d)),
    ("numpy_uint8", lambda d: np.frombuffer(d, dtype=np.uint8).copy()),
    ("mmap", _mmap),
    ("bytearray", bytearray),
    ("bytes", bytes),
    ("str", lambda d: d.decode("utf-8", "surrogateescape")),
)


def overwrite(buf, new: bytes) -> None:
    """Replace the contents of a mutable buffer, same length."""
    if isinstance(buf, (bytes, str)) or not new:
        return
    if isinstance(buf, np.ndarray):
        buf[:] = np.frombuffer(new, dtype=np.uint8)
    elif isinstance(buf, array.array):
        buf[:] = array.array("B", new)
    elif isinstance(buf, memoryview):
        buf[:] = new
    else:  # bytearray, mmap
        buf[:] = new


def chunk(r: h.Reader) -> bytes:
    template = r.byte() % 10
    raw = r.chunk()
    if template == 0:
        return raw
    if template == 1:
        return raw + b"\n"
    if template == 2:
        return b"200,c8y_T," + raw[:len(raw) // 2] + b"\xff" + raw[len(raw) // 2:] + b",2\n"
    if template == 3:
        return b'"' + raw
    if template == 4:
        return b'"' + raw.replace(b'"', b"") + b'"x,' + raw + b"\n"
    if template == 5:
        return b"y" * (16 * len(raw)) + raw
    if template == 6:
        return b"200,c8y_T,\xff,2\n"
    if template == 7:
        return raw.replace(b"\n", b"\r\n") + b"\r\n"
    if template == 8:
        return raw + b"\xe2\x82"
    return b"\n" * (len(raw) % 4) + b"\r\n" + raw


def kind_of(r: h.Reader, kinds=KINDS):
    return kinds[r.byte() % len(kinds)]


def show(kind, data) -> str:
    return f"{kind[0]}({data!r})"


# ------------------------------------------------------------ comparing

PLAIN = h.PLAIN_ERRORS
PLAIN_INDEX = h.PLAIN_ERRORS + (IndexError,)


class Program:
    """One input's run: the steps so far (as Python-like text, for the
    report) and the live objects of both implementations."""

    def __init__(self) -> None:
        self.trace = []
        self.decoders = None  # (c, py) or None
        self.fed = 0  # chunks fed to the current pair

    def note(self, text: str) -> None:
        self.trace.append(text)
        if TRACE:
            print("step:", text, file=sys.stderr, flush=True)

    def both(self, what: str, call, norm=None, plain=PLAIN):
        """Run call(impl) for C and Python; the outcomes must agree.
        Returns the two outcomes (results not normalised)."""
        self.note(what)
        raw = []
        for impl in h.IMPLS:
            out = h.compare(call, impl, plain=plain)
            if out[0] == "ok":
                h.check_strs(out[1])
            raw.append(out)
        shown = [o if o[0] != "ok" else ("ok", norm(o[1]) if norm else o[1]) for o in raw]
        if shown[0] != shown[1]:
            raise AssertionError(
                "C and Python differ at the last step of:\n  "
                + "\n  ".join(self.trace)
                + f"\nC:      {shown[0]!r}\nPython: {shown[1]!r}")
        return raw


# ------------------------------------------------------------ Decoder

BAD_DECODER_LIMITS = (0, -1, True, False, 1.5, float("nan"), 2 ** 64, "5")


def op_new(p: Program, r: h.Reader) -> None:
    opts = r.byte()
    kwargs = {"strict": bool(opts & 1)}
    which = (opts >> 1) & 3
    if which == 1:
        kwargs["limit"] = None
    elif which == 2:
        kwargs["limit"] = r.u16() % 300 + 1
    elif which == 3:
        kwargs["limit"] = BAD_DECODER_LIMITS[r.byte() % len(BAD_DECODER_LIMITS)]
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    c, py = p.both(f"d = Decoder({args})", lambda impl: impl.Decoder(**kwargs),
                   norm=lambda d: "Decoder")
    p.decoders = (c[1], py[1]) if c[0] == "ok" else None
    p.fed = 0


def _decoders(p: Program):
    if p.decoders is None:
        p.note("d = Decoder()")
        p.decoders = (h.C.Decoder(), h.PY.Decoder())
        p.fed = 0
    return p.decoders


def op_feed(p: Program, r: h.Reader) -> None:
    pick = r.byte() % 32
    if pick < len(KINDS):
        kind = KINDS[pick]
    else:  # every accepted buffer type in turn
        kind = ACCEPTED[p.fed % len(ACCEPTED)]
    data = chunk(r)
    decoders = dict(zip((h.C.name, h.PY.name), _decoders(p)))
    p.fed += 1
    p.both(f"d.feed({show(kind, data)})", lambda impl: decoders[impl.name].feed(kind[1](data)))


def op_close(p: Program, r: h.Reader) -> None:
    decoders = dict(zip((h.C.name, h.PY.name), _decoders(p)))
    p.both("d.close()", lambda impl: decoders[impl.name].close())


def op_thread(p: Program, r: h.Reader) -> None:
    data = chunk(r)
    decoders = dict(zip((h.C.name, h.PY.name), _decoders(p)))

    def in_thread(impl):
        box = {}

        def target():
            try:
                box["out"] = decoders[impl.name].feed(data)
            except BaseException as exc:  # re-raised in this thread
                box["exc"] = exc
        t = threading.Thread(target=target)
        t.start()
        t.join()
        if "exc" in box:
            raise box["exc"]
        return box["out"]
    p.both(f"d.feed({data!r})  # from another thread", in_thread)


# ------------------------------------------------------------ encode

ACTIONS = ("none", "clear", "set0", "append", "extend", "pop0", "outer_append", "outer_clear")
DECIMALS = ("1.5", "-0", "NaN", "sNaN", "-Infinity", "1E+10", "0.000001",
            "123456789012345678901234567890.5", "7", "-2.50")


def _fire(value) -> None:
    """The conversion's side effect, once per value."""
    if value.fired:
        return
    value.fired = True
    row, outer, action = value.row, value.outer, value.action
    fresh = "".join(["new", str(len(row) if row is not None else -1)])  # a new object
    if action == "clear" and row is not None:
        row.clear()
    elif action == "set0" and row:
        row[0] = fresh
    elif action == "append" and row is not None:
        row.append(fresh)
    elif action == "extend" and row is not None:
        row.extend([fresh + str(i) for i in range(64)])  # moves the item array
    elif action == "pop0" and row:
        row.pop(0)
    elif action == "outer_append" and outer is not None:
        outer.append([fresh, "x"])
    elif action == "outer_clear" and outer is not None:
        outer.clear()


class MutDecimal(decimal.Decimal):
    """A Decimal whose str() changes the row (or rows) holding it."""

    def __str__(self):
        _fire(self)
        return decimal.Decimal.__str__(self)


class FailDecimal(decimal.Decimal):
    """A Decimal whose str() changes the row, then raises ValueError."""

    def __str__(self):
        _fire(self)
        raise ValueError("conversion failed")


class MutBytes(bytes):
    """A bytes value whose bytes() changes the row (or rows) holding it."""

    def __bytes__(self):
        _fire(self)
        return memoryview(self).tobytes()


MUTANTS = (MutDecimal, FailDecimal, MutBytes)


def read_row(r: h.Reader):
    container = r.byte() % 8
    fields = [(r.byte() % 16, ACTIONS[r.byte() % len(ACTIONS)], chunk(r))
              for _ in range(r.byte() % 6)]
    return container, fields


def make_value(kind, action, raw, row, outer):
    if kind == 0:
        return raw.decode("utf-8", "replace")
    if kind == 1:
        return raw.decode("utf-8", "surrogateescape")
    if kind == 2:
        return None
    if kind == 3:
        return bool(raw[:1] and raw[0] & 1)
    if kind == 4:
        return int.from_bytes(raw[:9], "little", signed=True)
    if kind == 5:
        return struct.unpack("<d", raw[:8].ljust(8, b"\0"))[0]
    if kind == 6:
        return decimal.Decimal(DECIMALS[raw[0] % len(DECIMALS)] if raw else "0")
    if kind == 7:
        return raw
    if kind == 8:
        return bytearray(raw)
    if kind == 9:
        return memoryview(raw)
    if kind in (10, 11, 12):
        cls = MUTANTS[kind - 10]
        value = cls(raw) if cls is MutBytes else cls(DECIMALS[raw[0] % len(DECIMALS)] if raw else "1")
        value.fired = False
        value.row, value.outer, value.action = row, outer, action
        return value
    if kind == 13:
        return object()
    if kind == 14:
        return StrSub(raw.decode("utf-8", "replace"))
    return 10 ** 5000  # int -> str refuses (ValueError)


def make_row(spec, outer):
    container, fields = spec
    if container == 6:
        return "not,a,row"
    if container == 7:
        return 42
    row = []
    target = row if container != 4 else None  # a tuple cannot change
    row.extend(make_value(k, a, raw, target, outer) for k, a, raw in fields)
    if container == 4:
        return tuple(row)
    if container == 5:
        return iter(row)
    return row


def describe(value):
    """What a value looks like after the call (the same for both
    implementations' copies when they behaved alike)."""
    if isinstance(value, MUTANTS):
        return (type(value).__name__, value.fired)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [describe(v) for v in value])
    if isinstance(value, memoryview):
        return ("memoryview", value.tobytes())
    if isinstance(value, float):
        return ("float", "nan" if value != value else value.hex())
    if isinstance(value, decimal.Decimal):  # sNaN cannot be compared
        return ("Decimal", decimal.Decimal.__str__(value))
    if isinstance(value, (str, bytes, bytearray, int)) or value is None:
        return (type(value).__name__, value)
    return type(value).__name__


def spec_text(spec) -> str:
    container, fields = spec
    names = ["list"] * 4 + ["tuple", "iter", "str", "int"]
    return f"{names[container]}[" + ", ".join(
        f"kind{k}/{a}({raw!r})" for k, a, raw in fields) + "]"


QUOTE_ESCAPES = ("backslash", "backslash", "double", "bogus")


def op_encode(p: Program, r: h.Reader, one_row: bool = False) -> None:
    opts = r.byte()
    quote_escape = QUOTE_ESCAPES[opts & 3]
    as_iter = bool(opts & 4)
    specs = [read_row(r)] if one_row else [read_row(r) for _ in range(r.byte() % 5)]
    states = {}

    def call(impl):
        outer = []
        outer.extend(make_row(spec, outer) for spec in specs)
        states[impl.name] = outer
        if one_row:
            return impl.encode_row(outer[0], quote_escape=quote_escape)
        return impl.encode(iter(outer) if as_iter else outer, quote_escape=quote_escape)
    name = "encode_row" if one_row else "encode"
    out = p.both(f"{name}([{', '.join(map(spec_text, specs))}], quote_escape={quote_escape!r}"
                 f"{', rows as iterator' if as_iter and not one_row else ''})", call)
    # Which values were converted before an error is not part of the
    # contract; after a successful call both must have left the rows alike.
    after = [describe(states[impl.name]) for impl in h.IMPLS]
    if out[0][0] == "ok" and after[0] != after[1]:
        raise AssertionError(
            "C and Python left the rows differently after:\n  " + "\n  ".join(p.trace)
            + f"\nC:      {after[0]!r}\nPython: {after[1]!r}")


def op_encode_row(p: Program, r: h.Reader) -> None:
    op_encode(p, r, one_row=True)


# ------------------------------------------------------------ tokenize


def _floats(a):
    return (str(a.dtype), ["nan" if x != x else x.hex() for x in a.tolist()])


def _array(a):
    return (str(a.dtype), a.tolist())


def _tokens_summary(t):
    return ("Tokens", len(t), t.nfields, t.flags.tolist(), t.row_starts.tolist())


def _column(t, index, dtype, default):
    out = t.column(index, dtype=dtype, default=default)
    return _floats(out) if dtype is float else _array(out)


def op_tokenize(p: Program, r: h.Reader) -> None:
    opts = r.byte()
    strict = bool(opts & 1)
    kind = MUTABLE_KINDS[(opts >> 1) & 7]
    mutate = not opts & 0x10
    data = chunk(r)
    given = r.take(len(data))
    new = given + bytes(b ^ 0x80 for b in data[len(given):])
    bufs, toks = {}, {}

    def make(impl):
        bufs[impl.name] = kind[1](data)
        toks[impl.name] = impl.tokenize(bufs[impl.name], strict=strict)
        return toks[impl.name]
    out = p.both(f"t = tokenize(buf := {show(kind, data)}, strict={strict})", make,
                 norm=_tokens_summary)
    if out[0][0] != "ok":
        return
    if mutate and not isinstance(bufs[h.C.name], (bytes, str)):
        p.note(f"buf[:] = {new!r}")
        for impl in h.IMPLS:
            overwrite(bufs[impl.name], new)
    for _ in range(r.byte() % 8 + 1):
        q = r.byte()
        what = q % 8
        if what == 0:
            i = (r.byte() ^ 0x80) - 0x80
            p.both(f"t.row({i})", lambda impl: toks[impl.name].row(i), plain=PLAIN_INDEX)
        elif what == 1:
            p.both("t.to_rows()", lambda impl: toks[impl.name].to_rows())
        elif what in (2, 3, 4):
            dtype = (float, int, str)[what - 2]
            b = r.byte()
            index = -1 if b & 0x80 else b % 6
            default = None
            if b & 0x40:
                default = {float: 0.5, int: -7, str: "dflt"}[dtype]
            p.both(f"t.column({index}, dtype={dtype.__name__}, default={default!r})",
                   lambda impl: _column(toks[impl.name], index, dtype, default))
        elif what == 5:
            p.both("len(t)", lambda impl: len(toks[impl.name]))
        elif what == 6:
            p.both("t.nfields", lambda impl: toks[impl.name].nfields)
        else:
            p.both("t.flags, t.row_starts", lambda impl: _tokens_summary(toks[impl.name]))
    # Unrelated decodes: what a shared cache of str holds must still be right.
    for payload in (data, new, data):
        p.both(f"decode({payload!r}, limit=None, strict={strict})",
               lambda impl: impl.decode(payload, limit=None, strict=strict))


# ------------------------------------------------------------ decode_batch, decode


def op_batch(p: Program, r: h.Reader) -> None:
    options = h.decode_options(r.byte())
    count = r.byte()
    as_iter = bool(count & 1)
    items = [(kind_of(r), chunk(r)) for _ in range((count >> 1) % 6)]

    def call(impl):
        payloads = [kind[1](data) for kind, data in items]
        return impl.decode_batch(iter(payloads) if as_iter else payloads, **options)
    p.both(f"decode_batch([{', '.join(show(k, d) for k, d in items)}]"
           f"{' as iterator' if as_iter else ''}, **{options!r})", call)


DEFAULT = object()  # the keyword left out
ODD_LIMITS = (-1, 0, 1, True, 1.5, float("inf"), float("nan"), 2 ** 64, None, DEFAULT, 64, 300)
ODD_QOS = (0, 1, 2, 3, -1, True, None, DEFAULT)
ODD_TOPICS = (None, "", "s/us", "a+b", "#", "x\x00y", "t" * 70000, "\udc80", DEFAULT, "s/uc/x")


def op_decode(p: Program, r: h.Reader) -> None:
    kwargs = _kwargs(r)
    kind = kind_of(r)
    data = chunk(r)
    p.both(f"decode({show(kind, data)}, **{_shown(kwargs)})",
           lambda impl: impl.decode(kind[1](data), **kwargs))


def _kwargs(r: h.Reader) -> dict:
    kwargs = {}
    for name, choices in (("limit", ODD_LIMITS), ("qos", ODD_QOS), ("topic", ODD_TOPICS)):
        value = choices[r.byte() % len(choices)]
        if value is not DEFAULT:
            kwargs[name] = value
    kwargs["strict"] = bool(r.byte() & 1)
    return kwargs


def _validate(impl, payload, **kwargs):
    """smartrest.validate with the C validator (impl C) or without it."""
    from smartrest import _validation

    if impl is h.C:
        return _validation.validate(payload, **kwargs)
    saved, _validation._C = _validation._C, None
    try:
        return _validation.validate(payload, **kwargs)
    finally:
        _validation._C = saved


def op_validate(p: Program, r: h.Reader) -> None:
    kwargs = _kwargs(r)
    kind = kind_of(r)
    data = chunk(r)
    p.both(f"validate({show(kind, data)}, **{_shown(kwargs)})",
           lambda impl: _validate(impl, kind[1](data), **kwargs))


def op_tables(p: Program, r: h.Reader) -> None:
    """decode_tables (C) against the template layer's tables (Python)."""
    from smartrest import arrow

    options = r.byte()
    errors = "collect" if options & 1 else "raise"
    threads = 1 + ((options >> 1) & 1)
    topics = (None, "s/us", "s/us/child")[(options >> 2) % 3]
    items = [(kind_of(r), chunk(r)) for _ in range(r.byte() % 5 + 1)]

    def call(impl):
        fn = arrow.decode_tables if impl is h.C else arrow._reference_tables
        got = fn([kind[1](data) for kind, data in items], topics=topics, errors=errors,
                 threads=threads)
        return sorted((key, str(t.schema), t.to_pylist()) for key, t in got.items())
    p.both(f"decode_tables([{', '.join(show(k, d) for k, d in items)}], topics={topics!r}, "
           f"errors={errors!r}, threads={threads})", call)


def _shown(kwargs: dict) -> str:
    return "{" + ", ".join(f"{k}={v!r}" if not (isinstance(v, str) and len(v) > 40)
                           else f"{k}={v[:1]!r}*{len(v)}" for k, v in kwargs.items()) + "}"


# ------------------------------------------------------------ the program

OPS = (
    ("new", op_new), ("feed", op_feed), ("feed", op_feed), ("feed", op_feed),
    ("close", op_close), ("thread", op_thread), ("encode", op_encode),
    ("encode_row", op_encode_row), ("tokenize", op_tokenize), ("batch", op_batch),
    ("decode", op_decode), ("validate", op_validate), ("tables", op_tables),
)
TRACE = bool(os.environ.get("SEQ_TRACE"))
_only = os.environ.get("SEQ_OPS")
ENABLED = set(_only.split(",")) if _only else {name for name, _ in OPS}


def test_one_input(data: bytes) -> None:
    r = h.Reader(data)
    p = Program()
    try:
        for _ in range(MAX_OPS):
            if not r.left():
                break
            name, op = OPS[r.byte() % len(OPS)]
            if name in ENABLED:
                op(p, r)
    except AssertionError:
        raise
    except BaseException as exc:
        exc.add_note("after:\n  " + "\n  ".join(p.trace))
        raise


if __name__ == "__main__":
    h.run(test_one_input)
