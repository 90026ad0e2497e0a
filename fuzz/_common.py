"""Shared helpers of the atheris harnesses in this folder.

Every harness imports the package from the working tree (build the
extension in place first) with atheris' Python coverage instrumentation,
and runs both implementations, as smartrest._implementation gives them:
``C`` (smartrest._codec) and ``PY`` (smartrest._pure and
smartrest._pure_batch, the oracle).
"""

from __future__ import annotations

import functools
import os
import sys
import types

import atheris

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with atheris.instrument_imports():
    import smartrest  # noqa: F401  (instrumented with the modules below)
    from smartrest import _implementation, _limits, _packing, _pure, _pure_batch  # noqa: F401
    from smartrest.errors import SmartRestError


def _namespace(api):
    """One implementation's API from smartrest._implementation, with pack."""
    return types.SimpleNamespace(
        **vars(api), pack=functools.partial(_packing.pack, encode_row=api.encode_row))


# The C extension is compiled, so atheris does not instrument it; the
# harnesses need it (c_api raises ImportError, saying how to build it).
C = _namespace(_implementation.c_api())
PY = _namespace(_implementation.python_api())
IMPLS = (C, PY)
packet_size = _limits.packet_size
TRIM_MARKER = _packing.TRIM_MARKER

TOPICS = (None, "s/us", "s/uc/my-template-collection", "s/us/" + "c" * 200)
LIMITS = (_limits.LIMIT, None, 64, 300)

# Rows travel in the fuzz input as text: U+001E ends a row, U+001F
# separates fields, every other character (quotes, commas, LF, CR,
# backslashes...) is value data.
ROW_SEP = "\x1e"
FIELD_SEP = "\x1f"


def decode_options(opts: int) -> dict:
    """decode() keyword arguments from one option byte."""
    return {
        "strict": bool(opts & 1),
        "topic": TOPICS[(opts >> 1) & 3],
        "qos": ((opts >> 3) & 3) % 3,
        "limit": LIMITS[(opts >> 5) & 3],
    }


def outcome(fn, *args, **kwargs):
    """("ok", result) or ("error", class, offset, row, field).

    Any exception that is not a SmartRestError propagates: a crash.
    """
    try:
        return ("ok", fn(*args, **kwargs))
    except SmartRestError as exc:
        return ("error", type(exc), exc.offset, exc.row, exc.field)


# What compare() keeps of an exception besides SmartRestError: its class.
PLAIN_ERRORS = (TypeError, ValueError, RuntimeError)


def compare(fn, *args, plain=PLAIN_ERRORS, **kwargs):
    """Like outcome(), with more of the error: ("error", class, str, offset,
    row, field, payload_index) for a SmartRestError, ("raised", class) for
    an exception of a class in ``plain``.  Anything else propagates.
    """
    try:
        return ("ok", fn(*args, **kwargs))
    except SmartRestError as exc:
        return ("error", type(exc), str(exc), exc.offset, exc.row, exc.field,
                exc.payload_index)
    except plain as exc:
        return ("raised", type(exc))


def check_strs(value) -> None:
    """Every str in nested lists/tuples is sound: its ASCII flag matches
    its characters and it encodes to UTF-8 (an extension that builds a str
    from bytes it did not check breaks one of these)."""
    if isinstance(value, str):
        assert value.isascii() == (not value or max(value) < "\x80"), ascii(value)
        value.encode("utf-8")
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_strs(item)


class Reader:
    """Fuzz bytes read front to back; past the end every read gives zeros
    (or nothing), so any input is a valid program."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self) -> int:
        return self.byte() | self.byte() << 8

    def take(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def chunk(self) -> bytes:
        """A length byte, then that many bytes."""
        return self.take(self.byte())


def tokenized_rows(tokenize, payload: bytes, strict: bool) -> list:
    """The rows of ``tokenize(payload)``, after checking that every field's
    span in ``data`` holds its value and that row_starts counts the fields
    (a broken invariant raises AssertionError: a finding)."""
    tokens = tokenize(payload, strict=strict)
    rows = tokens.to_rows()
    data = bytes(tokens.data)
    spans = [data[s:e].decode("utf-8") for s, e in zip(tokens.starts.tolist(),
                                                        tokens.ends.tolist())]
    assert spans == [f for row in rows for f in row], (spans, rows)
    counts = [b - a for a, b in zip(tokens.row_starts.tolist(), tokens.row_starts.tolist()[1:])]
    assert counts == [len(row) for row in rows], (counts, rows)
    assert len(tokens.flags) == tokens.nfields == len(spans)
    return rows


def rows_from_text(text: str) -> list:
    """Rows of str values from harness text (see ROW_SEP, FIELD_SEP)."""
    if not text:
        return []
    return [row.split(FIELD_SEP) for row in text.split(ROW_SEP)]


def rows_from_input(data: bytes) -> list:
    return rows_from_text(data.decode("utf-8", "replace"))


def split_points(raw: bytes, length: int) -> list:
    """Sorted cut positions in [0, length] from fuzz bytes."""
    return sorted(b * (length + 1) // 256 for b in raw)


def run(test_one_input) -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
