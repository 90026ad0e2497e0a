"""Pure-Python reference implementation of the SmartREST codec.

This module is the oracle for the C extension and the fallback when the
extension is missing.  It follows ``docs/dialect.md`` rule by rule; speed comes
from builtins: a payload is decoded to ``str`` once, rows without a quote are
cut with ``str.split`` and only rows holding a ``"`` go through the field
scanner below.

Error precedence (shared with the C core): when a payload has several
problems, the one that starts at the smallest byte offset is reported.  In
a stream, a problem in a field is reported by the feed that completes the
field (the comma or LF after it arrives), or by close (docs/dialect.md
section 4.6).
"""

from __future__ import annotations

import re
import threading
from itertools import repeat
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Type

from . import _docs
from .errors import (
    EmptyRow,
    InvalidUtf8,
    RowTooLarge,
    SmartRestError,
    TextAfterQuote,
    UnterminatedQuote,
)
from ._limits import LIMIT, check_limit, check_options, check_payload_size
from ._payload import count_rows as _count_rows
from ._payload import payload_bytes, payload_view
from ._payload import skip_empty_lines as _skip_empty_lines
from ._values import needs_quotes as _needs_quotes
from ._values import value_text as _value_text
from .errors import DECODER_IN_USE, raised_again

__all__ = ["decode", "encode", "encode_row", "Decoder"]

# A quoted field: the opening quote, then runs of ordinary characters, the
# escape pairs \" and "" and lone backslashes, then the closing quote.  The
# body is matched inside a lookahead and taken with a backreference, which
# makes it atomic (possessive quantifiers need Python 3.11): the match is a
# strict left-to-right scan, so a backslash followed by a quote is always
# the escape pair, never a literal backslash followed by the closing quote,
# and an unterminated field fails in linear time.
_QUOTED = re.compile(r'"(?=((?:[^"\\]+|\\"|""|\\)*))\1"')
_PAIR = re.compile(r'\\"|""')
_SEP = re.compile(r"[,\n]")

# An error found by the scanner: (class, char index, row, field, reason).
_Err = Tuple[Type[SmartRestError], int, int, int, str]

# The fast path (_split_simple) rewrites a payload so that plain str.split
# does all the work.  These control characters stand for structural commas
# and LFs, for the escape pairs \" and "", and join lists of parts; a
# payload that already holds one of them takes the exact scanner instead.
_COMMA, _LF, _PAIR_MARK, _JOIN = "\x00", "\x01", "\x02", "\x03"
# \" is always an escape pair inside quotes; outside quotes it is literal
# text, which the fast path does not handle (see _split_simple).
_ESCAPED = re.compile(r'\\"')
# "" is a pair unless its first quote may open a field (after a comma, a
# LF or at the start): there it may be an empty field or an opening quote.
# The literal first, so that the search is quick.
_DOUBLED = re.compile(r'""(?<=[^,\n]"")')
# In the text outside quotes, with each quoted value replaced by _JOIN: a
# value that does not start a field.  Inside quotes this also catches a ""
# that _DOUBLED left alone (two _JOIN in a row).
_OPEN_MID_FIELD = re.compile(r"\x03(?<=[^,\n]\x03)")
# ... and a closing quote followed by text, which strict mode rejects
# unless the text is a run of backslashes.
_TEXT_AFTER_QUOTE = re.compile(r"\x03(?!\\*(?:[,\n]|\r\n|\Z))")
# Long texts (a stream read whole) go through the fast path in blocks, so
# that one unusual row costs the exact scanner one block, not the whole.
_BLOCK = 1 << 16


def _split_simple(text: str, final: bool, strict: bool) -> Optional[List[List[str]]]:
    """The rows of ``text`` when its quoting is simple, else None.

    Simple means: every quoted value starts a field, holds at least one
    character and is properly closed, and the only escape pairs are \\" and
    "" inside quotes.  Then splitting on ``"`` gives alternating outside and
    inside parts, and after turning the commas and LFs outside quotes into
    markers one ``str.split`` per level gives the rows.  Without ``final``
    the text must end with a row's LF.  None sends the caller to the exact
    scanner, which also finds every error; the fast path never reports one.
    """
    if '"' not in text:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        sep = ","
    else:
        if _COMMA in text or _LF in text or _PAIR_MARK in text or _JOIN in text:
            return None
        if "\\" in text:
            text = _ESCAPED.sub(_PAIR_MARK, text)
        # The regex finds "" faster than ``in`` does among many quotes.
        if _DOUBLED.search(text) is not None:
            text = _DOUBLED.sub(_PAIR_MARK, text)
        parts = text.split('"')
        if not len(parts) & 1:  # ends inside quotes
            return None
        inside = parts[1::2]
        outside = _JOIN.join(parts[0::2])
        if ("" in inside  # "" as a whole field: a row of it must not vanish
                or _PAIR_MARK in outside  # \" or "" in an unquoted field
                or _OPEN_MID_FIELD.search(outside) is not None
                or (strict and _TEXT_AFTER_QUOTE.search(outside) is not None)):
            return None
        if "\r" in outside:
            outside = outside.replace("\r\n", "\n")
        parts[0::2] = outside.replace(",", _COMMA).replace("\n", _LF).split(_JOIN)
        text = "".join(parts)
        if _PAIR_MARK in text:
            text = text.replace(_PAIR_MARK, '"')
        lines = text.split(_LF)
        sep = _COMMA
    if not lines[-1]:
        lines.pop()
    elif not final:  # the last row is not complete yet
        return None
    if "" in lines:  # empty lines hold no row
        lines = [line for line in lines if line]
    return list(map(str.split, lines, repeat(sep)))


def _scan_fast(text: str, final: bool, strict: bool) -> Optional[Tuple[List[List[str]], int]]:
    """``(rows, consumed)`` like :func:`_scan`, through :func:`_split_simple`
    where it applies; None when the text holds an error (the caller then
    runs the exact scanner over the whole text to report it)."""
    rows: List[List[str]] = []
    n = len(text)
    pos = 0
    while pos < n:
        end = n
        if n - pos > _BLOCK:
            end = text.find("\n", pos + _BLOCK) + 1 or n
            # Values may hold LFs: move the end past the next LFs while the
            # block would end inside quotes (an odd number of quotes that
            # are not part of a \" pair), for at most another block.
            start = pos
            odd = 0
            while end < n and end - pos < 2 * _BLOCK:
                odd ^= (text.count('"', start, end) - text.count('\\"', start, end)) & 1
                if not odd:
                    break
                start = end
                end = text.find("\n", end) + 1 or n
        last = end == n
        block = text[pos:end]
        got = _split_simple(block, final and last, strict)
        if got is not None:
            rows += got
            pos = end
            continue
        got, consumed, err, _ = _scan(block, final and last, strict)
        if err is not None or (consumed == 0 and not last):
            return None  # an error, or a row longer than the block
        rows += got
        pos += consumed
        if last:
            break
    return rows, pos



def _scan(
    text: str, final: bool, strict: bool
) -> Tuple[List[List[str]], int, Optional[_Err], List[int]]:
    """Split ``text`` into rows of fields.

    Returns ``(rows, consumed, error, ends)``: the complete rows, the index
    just past the last complete row, the first structural error in a
    complete row (or an unterminated quote when ``final``), and for every row
    the index of its terminating LF (or ``len(text)``).  Without ``final``, a
    row only completes at its LF; the rest is left unconsumed.
    """
    rows: List[List[str]] = []
    ends: List[int] = []
    n = len(text)
    pos = 0
    find = text.find
    while pos < n:
        lf = find("\n", pos)
        stop = n if lf < 0 else lf
        if find('"', pos, stop) < 0:
            # A row without any quote: plain split.
            if lf < 0:
                if not final:
                    break
                rows.append(text[pos:].split(","))
                ends.append(n)
                pos = n
                break
            line = text[pos:lf]
            if line and line[-1] == "\r":
                line = line[:-1]
            if line:
                rows.append(line.split(","))
                ends.append(lf)
            pos = lf + 1
            continue
        row_start = pos
        row, pos, err = _scan_row(text, pos, final, strict, len(rows))
        if row is None:  # incomplete row, stream not final
            pos = row_start
            break
        unterminated = err is not None and err[0] is UnterminatedQuote
        ends.append(pos - 1 if not unterminated and text[pos - 1] == "\n" else pos)
        if err is not None:
            return rows, row_start, err, ends
        rows.append(row)
    return rows, pos, None, ends


def _scan_row(
    text: str, pos: int, final: bool, strict: bool, row_index: int
) -> Tuple[Optional[List[str]], int, Optional[_Err]]:
    """Scan one row that holds a quote somewhere, field by field.

    Returns ``(fields, next_pos, error)``; ``fields`` is None when the row
    is not complete and ``final`` is false.
    """
    n = len(text)
    row: List[str] = []
    err: Optional[_Err] = None
    while True:
        field_index = len(row)
        if pos < n and text[pos] == '"':
            m = _QUOTED.match(text, pos)
            if m is None:
                if not final:
                    return None, pos, None
                if err is None:
                    err = (UnterminatedQuote, pos, row_index, field_index,
                           "unterminated quoted field starting")
                return row, n, err
            value = m.group(1)
            if "\\\"" in value or '""' in value:
                value = _PAIR.sub('"', value)
            tail_start = m.end()
            sep = _SEP.search(text, tail_start)
            stop = n if sep is None else sep.start()
            if stop > tail_start:
                tail = text[tail_start:stop]
                if sep is not None and text[stop] == "\n" and tail[-1] == "\r":
                    tail = tail[:-1]
                if strict and err is None:
                    bad = tail.lstrip("\\")
                    if bad:
                        err = (TextAfterQuote, tail_start + len(tail) - len(bad),
                               row_index, field_index,
                               "text after the closing quote")
                value += tail
        else:
            sep = _SEP.search(text, pos)
            stop = n if sep is None else sep.start()
            value = text[pos:stop]
            if sep is not None and text[stop] == "\n" and value and value[-1] == "\r":
                value = value[:-1]
        row.append(value)
        if sep is None:
            if not final:
                return None, pos, None
            return row, n, err
        pos = stop + 1
        if text[stop] == "\n":
            return row, pos, err


def _complete_fields_end(text: str) -> int:
    """In an unfinished row, the position of the comma that ends its last
    complete field (-1 if no field is complete yet)."""
    n = len(text)
    pos = 0
    last = -1
    while pos < n:
        if text[pos] == '"':
            m = _QUOTED.match(text, pos)
            # No closing quote yet, or it is the last byte (it may still
            # turn out to be the first half of a "" pair).
            if m is None or m.end() >= n:
                break
            pos = m.end()
        sep = text.find(",", pos)
        if sep < 0:
            break
        last = sep
        pos = sep + 1
    return last


def _locate(text: str, index: int) -> Tuple[int, int]:
    """Row and field indexes of the character at ``index`` (error path only)."""
    rows, consumed, _, _ = _scan(text[:index], False, False)
    field = 0
    pos = consumed
    while pos < index:
        ch = text[pos]
        if ch == '"' and (pos == consumed or text[pos - 1] == ","):
            m = _QUOTED.match(text, pos)
            if m is None or m.end() > index:
                break
            pos = m.end()
            continue
        if ch == ",":
            field += 1
        pos += 1
    return len(rows), field


def _byte_offset(text: str, index: int, is_bytes_view: bool) -> int:
    if is_bytes_view:
        return index
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_bytes(
    data: bytes,
    final: bool,
    strict: bool,
    base: int = 0,
    row_base: int = 0,
    row_limit: Optional[int] = None,
) -> Tuple[List[List[str]], int]:
    """Decode ``data``; return the complete rows and the bytes consumed.

    ``base`` and ``row_base`` shift the offsets and row indexes in errors,
    so that a stream reports positions in the whole stream.
    """
    bad_utf8: Optional[int] = None
    try:
        text = data.decode("utf-8")
        is_bytes_view = len(text) == len(data)
    except UnicodeDecodeError as exc:
        bad_utf8 = exc.start
        text = data.decode("latin-1")
        is_bytes_view = True
    if bad_utf8 is None and (row_limit is None or len(data) <= row_limit):
        fast = _scan_fast(text, final, strict)
        if fast is not None:
            rows, consumed = fast
            if consumed == len(text):
                return rows, len(data)
            return rows, _byte_offset(text, consumed, is_bytes_view)
    rows, consumed, err, ends = _scan(text, final, strict)
    consumed_bytes = _byte_offset(text, consumed, is_bytes_view)
    # Every problem found, as (byte offset, rank, make exception); the one
    # that starts first wins, ties go to the lower rank (the C core checks
    # the row length first, then UTF-8, then the structure).
    found: List[Tuple[int, int, Callable[[int], SmartRestError]]] = []
    if err is not None:
        cls, index, row, field, reason = err
        found.append((_byte_offset(text, index, is_bytes_view), 2,
                      lambda at: cls(reason, base + at, row_base + row, field)))
    if bad_utf8 is not None and (err is not None or final or bad_utf8 < consumed_bytes):
        def utf8_error(at: int) -> SmartRestError:
            row, field = _locate(text, at)
            return InvalidUtf8("invalid UTF-8", base + at, row_base + row, field)
        found.append((bad_utf8, 1, utf8_error))
    if row_limit is not None and len(data) > row_limit:
        long_row = _first_long_row(text, ends, is_bytes_view, row_limit)
        if long_row is not None:
            index, start = long_row
            # Problems of earlier rows go first; those of the long row (and
            # after it) are judged as a stream judges them, see _raise_long_row.
            found = [item for item in found if item[0] < start]
            if not found:
                _raise_long_row(data, start, row_limit, strict, base, row_base + index)
    if found:
        at, _, make = min(found, key=lambda item: (item[0], item[1]))
        raise make(at)
    if bad_utf8 is not None:
        # The invalid bytes lie in the unfinished tail; the rows are valid.
        rows = [[f.encode("latin-1").decode("utf-8") for f in row] for row in rows]
    return rows, consumed_bytes


def _raise_long_row(
    data: bytes, start: int, limit: int, strict: bool, base: int, row: int
) -> None:
    """Raise the error of a row that starts at ``start`` and is longer than
    ``limit`` bytes.

    A stream must give up on such a row once it holds ``limit + 1`` of its
    bytes, so only those bytes decide, however the stream is split: a
    problem in a field that a comma ends within them is reported (the one
    that starts first), otherwise RowTooLarge at ``start + limit``.
    """
    window = data[start:start + limit + 1]
    done = _complete_fields_end(window.decode("latin-1"))
    if done > 0:
        _decode_bytes(window[:done], True, strict, base + start, row, limit)
    raise RowTooLarge(f"row longer than the limit of {limit} bytes",
                      base + start + limit, row)


def _first_long_row(
    text: str, ends: List[int], is_bytes_view: bool, limit: int
) -> Optional[Tuple[int, int]]:
    """The first row longer than ``limit`` bytes, as (row index, start byte)."""
    start = 0
    for i, end in enumerate(ends):
        # Skip the empty lines in front of the row.
        while start < end and (text[start] == "\n" or text.startswith("\r\n", start)):
            start += 1 if text[start] == "\n" else 2
        s = _byte_offset(text, start, is_bytes_view)
        if _byte_offset(text, end, is_bytes_view) - s > limit:
            return i, s
        start = end + 1
    return None


def _as_bytes(payload: Any) -> bytes:
    return payload_bytes(payload_view(payload))


@_docs.shared(_docs.DECODE)
def decode(
    payload: Any,
    *,
    topic: Optional[str] = None,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    strict: bool = False,
) -> List[List[str]]:
    view = payload_view(payload)
    try:
        limit = check_options(topic, qos, limit)
        check_payload_size(len(view), view, topic, qos, limit, _count_rows)
        data = payload_bytes(view)
    finally:
        # The payload's buffer is not held past the call, not even by the
        # traceback of an error (an mmap can then be closed).
        if isinstance(view, memoryview):
            view.release()
    rows, _ = _decode_bytes(data, True, strict)
    return rows


# ---------------------------------------------------------------- encoding


def _quote(value: str, double: bool) -> str:
    if not _needs_quotes(value):
        return value
    body = value.rstrip("\\")
    tail = value[len(body):]
    if '"' in body:
        if double:
            body = body.replace('"', '""').replace('\\""', '\\\\"')
        else:
            body = body.replace('"', '\\"')
    return '"' + body + '"' + tail


def _check_escape(quote_escape: str) -> bool:
    if quote_escape == "backslash":
        return False
    if quote_escape == "double":
        return True
    raise ValueError(f"quote_escape must be 'backslash' or 'double', not {quote_escape!r}")


def _unquoted(text: str) -> bool:
    """Whether joined values (one row, or rows each ended by LF) can be
    written as they are, given that the caller has checked that their commas
    and LFs are exactly the separators: no quote, CR or tab, and no value
    starting or ending with whitespace."""
    if '"' in text or "\r" in text or "\t" in text:
        return False
    for c in " \x0b\x0c":
        if c in text and (c + "," in text or "," + c in text or c + "\n" in text
                          or "\n" + c in text or text[0] == c or text[-1] == c):
            return False
    return True


def _row_text(fields: Any, double: bool, row: int) -> str:
    # A row of str values none of which needs quoting is one str.join
    # (checked on the joined text as _encode_plain does for a payload).
    if type(fields) in (list, tuple) and fields:
        try:
            line = ",".join(fields)
        except TypeError:  # a value that is not a str
            pass
        else:
            if (line and "\n" not in line and line.count(",") == len(fields) - 1
                    and _unquoted(line)):
                return line + "\n"
    return _row_text_by_value(fields, double, row)


def _row_text_by_value(fields: Iterable[Any], double: bool, row: int) -> str:
    if isinstance(fields, (str, bytes, bytearray)):
        raise TypeError(f"row {row} must be a sequence of values, not {type(fields).__name__}")
    out = [_quote(v if type(v) is str else _value_text(v, row, i), double)
           for i, v in enumerate(fields)]
    if not out:
        raise EmptyRow("a row must have at least one field", None, row)
    if len(out) == 1 and not out[0]:
        return '""\n'
    return ",".join(out) + "\n"


def _to_utf8(text: str, rows: Sequence[Any], row_base: int) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    # A lone surrogate: find the row and field that hold it.
    for r, fields in enumerate(rows):
        for f, value in enumerate(fields):
            if isinstance(value, str):
                _check_utf8(value, row_base + r, f)
    raise AssertionError("unreachable")  # pragma: no cover


def _check_utf8(value: str, row: int, field: int) -> None:
    """Raise InvalidUtf8 if ``value`` holds a lone surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidUtf8(f"value holds a lone surrogate at character {exc.start}",
                          None, row, field) from None


@_docs.shared(_docs.ENCODE_ROW)
def encode_row(fields: Iterable[Any], *, quote_escape: str = "backslash") -> bytes:
    double = _check_escape(quote_escape)
    fields = list(fields) if not isinstance(fields, (str, bytes, bytearray)) else fields
    try:
        text = _row_text(fields, double, 0)
    except Exception:
        if not isinstance(fields, (str, bytes, bytearray)):
            _first_problem(fields, 0)
        raise
    return _to_utf8(text, [fields], 0)


def _encode_plain(rows: Any) -> Optional[bytes]:
    """The payload of a list of list or tuple rows of ``str`` values none of
    which needs quoting, joined by ``str.join`` alone; else None (the
    caller then takes the general path, which also reports every error)."""
    if type(rows) is not list or not rows or not set(map(type, rows)) <= {list, tuple}:
        return None
    try:
        text = "\n".join(map(",".join, rows)) + "\n"
    except TypeError:  # a value that is not a str
        return None
    # The commas and LFs are exactly the separators (so no value holds one);
    # no empty line (a row of one empty value is written "").
    if (text.count(",") + len(rows) != sum(map(len, rows))
            or text.count("\n") != len(rows)
            or text[0] == "\n" or "\n\n" in text or not _unquoted(text)):
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the general path names it
        return None


@_docs.shared(_docs.ENCODE)
def encode(rows: Iterable[Iterable[Any]], *, quote_escape: str = "backslash") -> bytes:
    double = _check_escape(quote_escape)
    plain = _encode_plain(rows)
    if plain is not None:
        return plain
    return _encode_rows(rows, double)


def _encode_rows(rows: Iterable[Iterable[Any]], double: bool) -> bytes:
    """encode() row by row (str.join where no value needs quoting, else value
    by value), every error reported in order."""
    done: List[Any] = []
    parts: List[str] = []
    for i, r in enumerate(rows):
        # Each row is taken as a tuple first (a tuple is used as it is), so
        # a value whose conversion changes the row it came from (__str__ of
        # a Decimal subclass, __bytes__) cannot change what is encoded.
        fields: Any = r
        try:
            if type(r) is not tuple:
                fields = r if isinstance(r, (str, bytes, bytearray)) else tuple(r)
            parts.append(_row_text(fields, double, i))
        except Exception:
            # Report problems in the order the values come (as the C
            # implementation meets them): a lone surrogate in an earlier
            # value goes first, whatever the later problem is.
            _to_utf8("".join(parts), done, 0)
            if type(fields) is tuple:
                _first_problem(fields, i)
            raise
        done.append(fields)
    return _to_utf8("".join(parts), done, 0)


def _first_problem(fields: Sequence[Any], row: int) -> None:
    """Raise the error of the first value of a row that cannot be encoded."""
    for f, value in enumerate(fields):
        if isinstance(value, str):
            _check_utf8(value, row, f)
        else:
            _value_text(value, row, f)


# ---------------------------------------------------------------- streaming


class Decoder:
    """Incremental decoder for a stream of SmartREST rows.

    Bytes go in with :meth:`feed` in chunks of any size, split anywhere
    (inside a field, a quote, a CRLF or a UTF-8 character); each call
    returns the rows it completes, and :meth:`close` returns the last row if
    it lacks its LF.  The rows are those :func:`smartrest.decode` gives for
    the whole stream; error offsets count from the start of the stream.

    Errors are final: once :meth:`feed` or :meth:`close` has raised a
    :class:`smartrest.SmartRestError` (or ``MemoryError``), the decoder is
    failed and every later call of either raises an equal error again (same
    class, message and attributes).  A chunk of the wrong type
    (``TypeError``) changes nothing.

    A decoder is one stream: it must not be used by two threads at once,
    nor re-entered (from a garbage-collector callback, say) while one of
    its calls runs.  Such a call raises ``RuntimeError`` and changes
    nothing; the call that was running is not disturbed.

    Args:
        limit: the longest row allowed, in bytes, so that memory stays
            bounded; ``None`` allows any length.  Defaults to
            :data:`smartrest.LIMIT`.
        strict: as for :func:`smartrest.decode`.

    Raises:
        ValueError: ``limit`` is less than 1.
        TypeError: ``limit`` is not an int or ``None``.
    """

    def __init__(self, *, limit: Optional[int] = LIMIT, strict: bool = False) -> None:
        limit = check_limit(limit)
        if limit is not None and limit < 1:
            raise ValueError("limit must be positive or None")
        self._limit = limit
        self._strict = bool(strict)
        self._buf = b""
        self._base = 0  # stream offset of self._buf[0]
        self._rows = 0  # rows returned so far
        self._closed = False
        self._error: Optional[BaseException] = None
        self._busy = threading.Lock()

    def _enter(self) -> None:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError(DECODER_IN_USE)
        if self._error is not None:
            self._busy.release()
            raise raised_again(self._error)

    @_docs.shared(_docs.DECODER_FEED)
    def feed(self, data: Any) -> List[List[str]]:
        self._enter()
        try:
            if self._closed:
                raise ValueError("feed() after close()")
            chunk = _as_bytes(data)
            try:
                return self._feed(chunk)
            except (SmartRestError, MemoryError) as exc:
                self._error = exc
                raise
        finally:
            self._busy.release()

    def _feed(self, chunk: bytes) -> List[List[str]]:
        buf = self._buf + chunk if self._buf else chunk
        rows: List[List[str]] = []
        if b"\n" in chunk:
            end = buf.rfind(b"\n") + 1
            rows, consumed = _decode_bytes(
                buf[:end], False, self._strict, self._base, self._rows, self._limit)
            buf = buf[consumed:]
            self._base += consumed
            self._rows += len(rows)
        self._buf = buf
        self._check_pending()
        self._check_tail()
        return rows

    def _check_tail(self) -> None:
        """Raise the first problem in the complete fields of the unfinished
        row (those a comma ends), as the C tokenizer meets them."""
        buf = self._buf
        # Only non-ASCII bytes (UTF-8) and, in strict mode, quotes can make
        # a problem here; most streams skip the check.
        if not buf or (buf.isascii() and not (self._strict and b'"' in buf)):
            return
        start = _skip_empty_lines(buf, 0)
        tail = buf[start:]
        done = _complete_fields_end(tail.decode("latin-1"))
        if done > 0:
            _decode_bytes(tail[:done], True, self._strict, self._base + start, self._rows,
                          self._limit)

    def _check_pending(self) -> None:
        """Raise when the unfinished row is already longer than the limit.

        This keeps the memory of a stream bounded.  Problems in the fields
        of that row which a comma ends within its first ``limit + 1`` bytes
        are reported first (see :func:`_raise_long_row`).
        """
        limit = self._limit
        if limit is None or len(self._buf) <= limit:
            return
        # Empty lines in front of the unfinished row are not part of it.
        buf = self._buf
        start = _skip_empty_lines(buf, 0)
        if len(buf) - start > limit:
            _raise_long_row(buf, start, limit, self._strict, self._base, self._rows)

    @_docs.shared(_docs.DECODER_CLOSE)
    def close(self) -> List[List[str]]:
        self._enter()
        try:
            if self._closed:
                return []
            self._closed = True
            try:
                rows, _ = _decode_bytes(self._buf, True, self._strict, self._base, self._rows,
                                        self._limit)
            except (SmartRestError, MemoryError) as exc:
                self._error = exc
                raise
            self._buf = b""
            self._rows += len(rows)
            return rows
        finally:
            self._busy.release()
