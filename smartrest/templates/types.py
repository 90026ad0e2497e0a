"""What a template's value must be: its type and its requirement level.

A value of type ``NUMBER``, ``INTEGER``, ``BOOLEAN`` or ``DATE`` is checked by
a pattern (:func:`type_check`) and converted on typed access (:func:`convert`);
a ``STRING`` value may be any text.  Whether a value may be empty or left out
is its requirement level: ``REQUIRED``, ``PRESENT`` or ``OPTIONAL`` (see
:mod:`smartrest.templates`).  :func:`format_value` writes a value as text.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Dict, List, Tuple

from .._values import value_text

STRING = "STRING"
NUMBER = "NUMBER"
INTEGER = "INTEGER"
BOOLEAN = "BOOLEAN"
DATE = "DATE"

#: The type names of ``templates.json``.
_TYPE_NAMES = {"String": STRING, "Number": NUMBER, "Integer": INTEGER,
               "Boolean": BOOLEAN, "Date": DATE}

# Requirement levels of a value.
REQUIRED = "required"  # present and non-empty
PRESENT = "present"  # present, may be empty (requirement not documented)
OPTIONAL = "optional"  # may be empty or left out at the end

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_BOOLEAN_RE = re.compile(r"(?i:true|false)")
# Field ranges are part of the pattern so that checking a date needs no
# datetime; a day past the end of its month (February 30) passes the check
# and fails only on typed access.
_DATE_RE = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9])"
    r"(?::([0-5][0-9]|60)(?:[.,]([0-9]{1,9}))?)?"
    r"(Z|z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)")


def _to_date(text: str) -> _dt.datetime:
    """ISO 8601 date and time with a UTC offset, as an aware ``datetime``.

    A leap second (``:60``) is read as ``:59.999999``, which ``datetime``
    can hold.

    Raises:
        ValueError: not of that form, or not a real date.
    """
    m = _DATE_RE.fullmatch(text)
    if m is None:
        raise ValueError("not an ISO 8601 date and time with a UTC offset")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    if zone in ("Z", "z"):
        tz = _dt.timezone.utc
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        tz = _dt.timezone(sign * offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    sec = int(second or 0)
    if sec == 60:
        sec, micro = 59, 999999
    return _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), sec, micro, tz)


def _to_boolean(text: str) -> bool:
    return text.lower() == "true"


# type -> (check of a non-empty text, conversion, what a value must be)
_TYPES: Dict[str, Tuple[Callable[[str], Any], Callable[[str], Any], str]] = {
    NUMBER: (_NUMBER_RE.fullmatch, float, "a number"),
    INTEGER: (_INTEGER_RE.fullmatch, int, "an integer"),
    BOOLEAN: (_BOOLEAN_RE.fullmatch, _to_boolean, "true or false"),
    DATE: (_DATE_RE.fullmatch, _to_date, "an ISO 8601 date and time with a UTC offset"),
}

# type -> check of many non-empty values joined by LF, in one regex call
# (decode_messages checks a payload's values of one type at once).
_MANY: Dict[str, Callable[[str], Any]] = {
    kind: re.compile(f"(?:{pattern.pattern})(?:\n(?:{pattern.pattern}))*").fullmatch
    for kind, pattern in ((NUMBER, _NUMBER_RE), (INTEGER, _INTEGER_RE),
                          (BOOLEAN, _BOOLEAN_RE), (DATE, _DATE_RE))
}


def _all_of_type(kind: str, values: List[str]) -> bool:
    """Whether every value (none empty) is of type ``kind``."""
    if not values:
        return True
    joined = "\n".join(values)
    # A value holding a LF would split into lines that may each pass.
    return joined.count("\n") == len(values) - 1 and _MANY[kind](joined) is not None


def _convert(kind: str, text: str) -> Any:
    """The typed value of a text of type ``kind``: ``None`` when it is empty,
    the text itself for ``STRING``.

    Raises:
        ValueError: a text that is not of its type (a checked text raises it
            only for a date past the end of its month).
    """
    if not text:
        return None
    conversion = _TYPES.get(kind)
    return text if conversion is None else conversion[1](text)


def type_check(kind: str) -> Tuple[Callable[[str], Any], str]:
    """The check of a non-empty text of type ``kind``, and what such a text must be.

    ``check, what = type_check(NUMBER)``: ``check(text)`` is truthy when
    ``text`` is a number, ``what`` is ``"a number"`` (for error messages).

    Raises:
        KeyError: ``kind`` is ``STRING`` (any text is one) or not a type of
            this module.
    """
    check, _, what = _TYPES[kind]
    return check, what


def format_value(value: Any) -> str:
    """The SmartREST text of a value, by the rule :func:`smartrest.encode`
    follows too (:func:`smartrest._values.value_text`, docs/dialect.md
    section 3).

    Raises:
        InvalidValue: a value that has no SmartREST form (a ``ValueError``).
        InvalidUtf8: bytes that are not UTF-8.
        TypeError: a value of a type that cannot be written.
    """
    return value_text(value)
