"""Rules about values and rows, written once for the codec (both
implementations) and the template layers above it."""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from typing import Any, List, Optional, Sequence

from .errors import InvalidUtf8, InvalidValue


def _where(row: Optional[int], field: Optional[int]) -> str:
    return f" (row {row}, field {field})" if row is not None else ""


def value_text(value: Any, row: Optional[int] = None, field: Optional[int] = None) -> str:
    """The SmartREST text of one value (docs/dialect.md section 3).

    ``str`` as it is; ``None`` empty; ``bool`` ``true``/``false``; ``int``
    and finite ``float`` their ``repr``; a finite :class:`decimal.Decimal`
    its ``str``; an aware :class:`datetime.datetime` ISO 8601 to the
    millisecond with its offset (``2016-06-22T17:03:14.000+02:00``);
    ``bytes``, ``bytearray`` and ``memoryview`` their UTF-8 text.  NaN and
    infinities have no SmartREST form, nor has a naive datetime (no offset
    to write): both are refused rather than guessed.

    ``row`` and ``field`` name the value's place in errors.

    Raises:
        InvalidValue: a float or Decimal that is not finite, or a naive
            datetime.
        InvalidUtf8: a bytes value that is not UTF-8.
        TypeError: a value of any other type.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(f"{float.__repr__(value)} is not a finite number (SmartREST "
                               "has no form for it)", None, row, field)
        return float.__repr__(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValue(f"Decimal {str(value)!r} is not a finite number (SmartREST "
                               "has no form for it)", None, row, field)
        return str(value)
    if isinstance(value, _dt.datetime):
        if value.utcoffset() is None:
            raise InvalidValue(f"datetime {value!r} has no UTC offset to write", None, row,
                               field)
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidUtf8(f"bytes value is not valid UTF-8 (value byte {exc.start})",
                              None, row, field) from None
    raise TypeError(f"cannot encode a value of type {type(value).__name__}{_where(row, field)}")


# When a value is quoted: it holds a quote, comma, LF, CR or tab, or starts
# or ends with whitespace (docs/dialect.md section 3).  A character class
# (one scan) and the two edges.
SPECIAL = re.compile(r'["\n\r\t,]')
EDGE = " \t\n\r\x0b\x0c"


def needs_quotes(value: str) -> bool:
    """Whether encoding writes ``value`` quoted (the empty value of a row of
    one field aside, which is written ``""``)."""
    return bool(value) and (value[0] in EDGE or value[-1] in EDGE
                            or SPECIAL.search(value) is not None)


def trim_trailing_empty(row: List[Any], keep: int = 0) -> List[Any]:
    """Drop the empty values (``""`` or ``None``) at the end of ``row``, in
    place, down to ``keep`` values: a value left out at the end of a row is
    an empty value, so ``100,,`` means ``100``."""
    while len(row) > keep and (row[-1] is None or row[-1] == ""):
        row.pop()
    return row


def str_row(row: Sequence[Any], index: Optional[int] = None, *,
            allow_empty: bool = False) -> List[str]:
    """``row`` as a new list of ``str`` (a row of values already decoded).

    Raises:
        TypeError: ``row`` is a ``str`` or bytes, a value is not a ``str``,
            or the row is empty (unless ``allow_empty``).
    """
    if isinstance(row, (str, bytes, bytearray)):
        raise TypeError(f"row must be a sequence of str, not {type(row).__name__}")
    values = list(row)
    where = f"row {index}" if index is not None else "row"
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise TypeError(f"{where} field {i} must be str, not {type(v).__name__}")
    if not values and not allow_empty:
        raise TypeError("row must have at least its message ID")
    return values
