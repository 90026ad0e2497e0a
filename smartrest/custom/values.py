"""The types of SmartREST 2.0 values: their names, checks and JSON values.

The names and the enumerated values come from ``templates.json`` where it
lists them; writing a value as text is :func:`smartrest.templates.format_value`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping, Optional, Tuple

from .._spec import spec
from ..templates import TEMPLATES, format_value, type_check

STRING = "STRING"
DATE = "DATE"
NUMBER = "NUMBER"
INTEGER = "INTEGER"
UNSIGNED = "UNSIGNED"
FLAG = "FLAG"
SEVERITY = "SEVERITY"
ALARMSTATUS = "ALARMSTATUS"
OPERATIONSTATUS = "OPERATIONSTATUS"

#: The types of custom values, from ``templates.json``.
VALUE_TYPES: Tuple[str, ...] = tuple(spec()["smartrest2"]["request_template_row"]["value_types"])
if set(VALUE_TYPES) != {STRING, DATE, NUMBER, INTEGER, UNSIGNED, FLAG, SEVERITY, ALARMSTATUS,
                        OPERATIONSTATUS}:
    raise ValueError("templates.json: the SmartREST 2.0 value types are not the known ones")

#: The values of the enumerated types.  Severities are the ones template 305
#: documents; the statuses are those of the Cumulocity REST API, which
#: ``templates.json`` does not list.
ENUMS: Mapping[str, Tuple[str, ...]] = {
    SEVERITY: tuple(str(TEMPLATES[305].params[1].note).split("|")),
    ALARMSTATUS: ("ACTIVE", "ACKNOWLEDGED", "CLEARED"),
    OPERATIONSTATUS: ("PENDING", "EXECUTING", "SUCCESSFUL", "FAILED"),
}


def _is_integer(text: str) -> bool:
    return type_check(INTEGER)[0](text) is not None


def invalid(kind: str, text: str) -> Optional[str]:
    """Why non-empty ``text`` is not a value of ``kind`` (one of
    :data:`VALUE_TYPES` or ``"BOOLEAN"``), or ``None`` if it is one."""
    if kind in (STRING, FLAG):
        return None
    if kind in ENUMS:
        allowed = ENUMS[kind]
        return None if text in allowed else f"one of {', '.join(allowed)}"
    if kind == UNSIGNED:
        # The docs say "positive integer"; unsigned integers include 0.
        return None if _is_integer(text) and int(text) >= 0 else "an unsigned integer"
    check, what = type_check(kind)
    if not check(text):
        return what
    if kind == NUMBER and math.isinf(float(text)):
        return "a finite number"
    return None


def json_value(kind: str, text: str) -> Any:
    """The JSON value of a checked, non-empty ``text`` of type ``kind``: NUMBER
    as ``int`` or ``float`` (by how it is written), INTEGER and UNSIGNED as
    ``int``, any other as its text."""
    if kind in (INTEGER, UNSIGNED) or kind == NUMBER and _is_integer(text):
        return int(text)
    if kind == NUMBER:
        return float(text)
    return text  # STRING, DATE (ISO 8601 text) and the enumerations


def response_text(value: Any) -> str:
    """The SmartREST text of a JSON value: objects and lists as compact JSON,
    any other value by :func:`smartrest.templates.format_value`.

    Raises:
        ValueError: a float that is not finite (outside an object or list).
        TypeError: a value of a type JSON does not have.
    """
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return format_value(value)
