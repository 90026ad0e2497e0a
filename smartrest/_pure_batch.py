"""Pure-Python ``tokenize``, ``Tokens`` and ``decode_batch``: the batch and
column part of the pure-Python reference, built on ``_pure``.

The fallback for the C versions in ``_codec``: the same results, from the
reference decoder and its scanner patterns.  ``Tokens.data`` here holds the
field values one after the other (the C version points into the payload
instead); the boundaries describe the same fields either way.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Tuple

from . import _docs, _limits, _pure
from ._limits import LIMIT
from .errors import InvalidNumber, SmartRestError

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "smartrest.tokenize needs numpy: pip install 'smartrest[numpy]'") from None
    return numpy


class Tokens:
    """Row and field boundaries of a payload, as numpy arrays.

    See :class:`smartrest.Tokens`.
    """

    def __init__(self, rows: List[List[str]], quoted: List[bool], offsets: List[int]) -> None:
        np = _numpy()
        values = [f.encode("utf-8") for row in rows for f in row]
        self.flags = np.fromiter(
            (q | (not v.isascii()) << 1 for q, v in zip(quoted, values)),
            dtype=np.uint8, count=len(values))
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        self.ends = np.cumsum(lengths, dtype=np.int64)
        self.starts = self.ends - lengths
        counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        self.row_starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        for array in (self.starts, self.ends, self.row_starts, self.flags):
            array.setflags(write=False)
        self.data = b"".join(values)
        self._rows = rows
        self._offsets = offsets  # each field's first byte in the payload

    def _offset(self, row: int, index: int) -> Optional[int]:
        """The payload offset of field ``index`` of row ``row`` (its opening
        quote if quoted), or None if the row has no such field."""
        if index >= len(self._rows[row]):
            return None
        return self._offsets[int(self.row_starts[row]) + index]

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def nfields(self) -> int:
        """Number of fields in all rows."""
        return int(self.row_starts[-1])

    def row(self, i: int) -> List[str]:
        """The fields of row ``i`` as a list of ``str``."""
        return list(self._rows[i])

    def to_rows(self) -> List[List[str]]:
        """All rows as lists of ``str`` (what :func:`smartrest.decode` gives)."""
        return [list(r) for r in self._rows]

    def column(self, index: int, dtype: Any = float, default: Any = None) -> Any:
        """Field ``index`` of every row as a numpy array.

        See :meth:`smartrest.Tokens.column`.
        """
        np = _numpy()
        if index < 0:
            raise ValueError("index must not be negative")
        texts = [r[index] if index < len(r) else "" for r in self._rows]
        if dtype is float:
            fill = float("nan") if default is None else float(default)
            out = np.empty(len(texts), dtype=np.float64)
            for i, text in enumerate(texts):
                if not text:
                    out[i] = fill
                    continue
                try:
                    if not text.isascii():  # SmartREST numbers are ASCII
                        raise ValueError
                    out[i] = float(text)
                except ValueError:
                    raise InvalidNumber(f"not a number: {text!r}", self._offset(i, index), i,
                                        index) from None
            return out
        if dtype is int:
            out = np.empty(len(texts), dtype=np.int64)
            for i, text in enumerate(texts):
                if not text:
                    if default is None:
                        raise InvalidNumber("missing or empty integer (pass default= to fill)",
                                            self._offset(i, index), i, index)
                    out[i] = default
                    continue
                digits = text[1:] if text[0] in "+-" else text
                if not (digits.isascii() and digits.isdigit()):
                    raise InvalidNumber(f"not an integer: {text!r}", self._offset(i, index), i,
                                        index)
                value = int(text)
                if not _INT64_MIN <= value <= _INT64_MAX:
                    raise InvalidNumber(f"outside the int64 range: {text!r}",
                                        self._offset(i, index), i, index)
                out[i] = value
            return out
        if dtype is str:
            missing = "" if default is None else default
            out = np.empty(len(texts), dtype=object)
            for i, r in enumerate(self._rows):
                out[i] = r[index] if index < len(r) else missing
            return out
        raise ValueError(f"dtype must be float, int or str, not {dtype!r}")


@_docs.shared(_docs.TOKENIZE)
def tokenize(payload: Any, *, strict: bool = False) -> Tokens:
    _numpy()
    data = _pure._as_bytes(payload)
    rows = _pure.decode(data, limit=None, strict=strict)
    quoted, offsets = _field_layout(data)
    return Tokens(rows, quoted, offsets)


def _field_layout(data: bytes) -> Tuple[List[bool], List[int]]:
    """For every field of a well-formed payload, whether it is quoted, and
    the offset of its first byte (the opening quote if quoted).

    Walks the rows as the reference scanner does (``_pure._scan_row``):
    empty lines hold no row, a field is quoted when its first byte is a
    quote, and the text after its closing quote runs to the next separator.
    """
    text = data.decode("latin-1")  # byte positions; separators are ASCII
    n = len(text)
    pos = 0
    out: List[bool] = []
    starts: List[int] = []
    while pos < n:
        if text[pos] == "\n":
            pos += 1
            continue
        if text.startswith("\r\n", pos):
            pos += 2
            continue
        while True:  # the fields of one row
            quoted = text.startswith('"', pos)
            out.append(quoted)
            starts.append(pos)
            if quoted:
                match = _pure._QUOTED.match(text, pos)
                assert match is not None  # decode has accepted the payload
                pos = match.end()
            sep = _pure._SEP.search(text, pos)
            if sep is None:
                pos = n
                break
            pos = sep.end()
            if sep.group() == "\n":
                break
    return out, starts


@_docs.shared(_docs.DECODE_BATCH)
def decode_batch(
    payloads: Iterable[Any],
    *,
    topic: Optional[str] = None,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    strict: bool = False,
) -> List[List[List[str]]]:
    _limits.check_options(topic, qos, limit)
    out = []
    for index, payload in enumerate(payloads):
        try:
            out.append(_pure.decode(payload, topic=topic, qos=qos, limit=limit, strict=strict))
        except SmartRestError as exc:
            exc.payload_index = index
            raise
    return out
