"""SmartREST 2.0 custom template collections, for devices and for gateways.

A collection is registered once, in one publish on ``s/ut/<X-ID>``, as rows
``10`` (request templates) and ``11`` (response templates).  The device then
publishes rows of its request templates on ``s/uc/<X-ID>`` and receives rows
of its response templates on ``s/dc/<X-ID>``.  :class:`TemplateCollection`
reads, checks and writes a collection, and serves both sides:

* the device side: :meth:`TemplateCollection.request` writes the row to
  publish, :meth:`TemplateCollection.parse_response` names the values of a
  row received;
* the gateway side (what the platform does): :meth:`TemplateCollection.to_request`
  says what a device's row stands for (:class:`PlatformRequest`: method, API,
  JSON body, the object it acts on), and
  :meth:`TemplateCollection.render_responses` turns a JSON object (a GET
  result or an operation) into the rows of every response template that
  matches it.

:func:`parse_status` reads the ``s/dt`` replies ``20,<X-ID>,<id>`` and
``41,<X-ID>`` (the registry of :mod:`smartrest.templates` holds them).

Request template rows
---------------------
``10,msgId,method,api,response,<mandatory values>,<path,type,value>...``.
The method and API pair and its mandatory values come from the layouts of
``templates.json`` (``smartrest2.request_template_row.layouts``).  Values
left out at the end of a row are empty, so trailing empty values are dropped
before a row is read (``10,101,POST,EVENT,,c8y_CustomEvent,mytext,,`` is
``...,mytext``).  A custom value is a triple ``path,type,value``; an empty
or left-out type is STRING, a left-out value is empty.

The device line
---------------
The device sends the message ID and then one value for every field the
template leaves empty, in template order: the mandatory values, then the
custom values.  Beyond the template's columns:

* POST INVENTORY: the line starts with the external ID to register, before
  an empty ``externalIdType`` (``101,myImei,c8y_MySerial``); an empty
  external ID registers none.
* GET and PUT INVENTORY: the ID of the object comes after an empty
  ``externalIdType`` (``999,c8y_Serial,myDeviceImei``); with ``byId`` true it
  is the platform ID and no type is asked.  ``byId`` must be set in the
  template, since it decides which values the line holds.
* FLAG values are never sent; they are the empty object ``{}``.
* An empty DATE means server time.  The docs also show the empty DATE fields
  left out of the line altogether (``999,30.6`` for a measurement whose time
  and value are empty), so a line may hold either one value per empty field
  or one per empty field that is not a DATE; nothing in between.

The docs' example ``10,100,POST,MEASUREMENT,false,c8y_MyMeasurement,,
c8y_MyMeasurement.M.value,NUMBER,`` used as plain ``100`` leaves out the
measurement's value too; ``templates.json`` marks it as a doc inconsistency,
and it is refused here (:class:`~smartrest.errors.MissingValue`).

JSON paths
----------
A path is a dotted list of keys, ``c8y_Temperature.T.value``, optionally
after ``$.``.  Custom values of request templates take keys only; response
templates also take ``[*]`` (every item of a list, or every value of an
object) and ``[n]`` (the n-th item of a list) after a key, as in
``$.myList[*].type``.  Keys cannot hold ``.``, ``[`` or ``]``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from typing import (
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)

from . import topics as _topics
from ._limits import LIMIT, packet_size
from ._spec import spec
from .errors import (
    AmbiguousResponse,
    DuplicateTemplate,
    InvalidValue,
    MissingValue,
    PayloadTooLarge,
    TemplateError,
    TooManyValues,
    UnknownTemplate,
)
from ._values import str_row, trim_trailing_empty
from .templates import BOOLEAN, Message, format_value, type_check
from .templates import TEMPLATES as _STATIC_TEMPLATES
from .templates import parse as _parse_message

__all__ = [
    "VALUE_TYPES",
    "STRING",
    "DATE",
    "NUMBER",
    "INTEGER",
    "UNSIGNED",
    "FLAG",
    "SEVERITY",
    "ALARMSTATUS",
    "OPERATIONSTATUS",
    "ENUMS",
    "SUPPORTED",
    "Field",
    "CustomValue",
    "RequestTemplate",
    "ResponseTemplate",
    "PlatformRequest",
    "Response",
    "TemplateCollection",
    "parse_status",
    "STATUS_TOPIC",
]

_SR2: Mapping[str, Any] = spec()["smartrest2"]
_REQUEST_ROW: Mapping[str, Any] = _SR2["request_template_row"]
_REQUEST_PREFIX: str = _REQUEST_ROW["prefix"]
_RESPONSE_PREFIX: str = _SR2["response_template_row"]["prefix"]

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
VALUE_TYPES: Tuple[str, ...] = tuple(_REQUEST_ROW["value_types"])
if set(VALUE_TYPES) != {STRING, DATE, NUMBER, INTEGER, UNSIGNED, FLAG, SEVERITY, ALARMSTATUS,
                        OPERATIONSTATUS}:
    raise ValueError("templates.json: the SmartREST 2.0 value types are not the known ones")

#: The values of the enumerated types.  Severities are the ones template 305
#: documents; the statuses are those of the Cumulocity REST API, which
#: ``templates.json`` does not list.
ENUMS: Mapping[str, Tuple[str, ...]] = {
    SEVERITY: tuple(str(_STATIC_TEMPLATES[305].params[1].note).split("|")),
    ALARMSTATUS: ("ACTIVE", "ACKNOWLEDGED", "CLEARED"),
    OPERATIONSTATUS: ("PENDING", "EXECUTING", "SUCCESSFUL", "FAILED"),
}

#: Every supported (method, API) pair, from ``templates.json``.
SUPPORTED: Tuple[Tuple[str, str], ...] = tuple(
    (method, api) for api, methods in _SR2["supported_methods"].items() for method in methods)
_METHODS = tuple(_REQUEST_ROW["columns"][1]["values"])
_APIS = tuple(_REQUEST_ROW["columns"][2]["values"])

#: The topic of the replies to an empty publish on ``s/ut/<X-ID>`` (``s/dt``).
STATUS_TOPIC = _topics.build(_topics.TEMPLATE, "down")

# The type of each mandatory value the layouts name.
_MANDATORY_TYPES: Mapping[str, str] = {
    "type": STRING, "text": STRING, "time": DATE, "status": ALARMSTATUS,
    "severity": SEVERITY, "externalIdType": STRING, "byId": BOOLEAN, "fragment": STRING,
}

_LAYOUT = re.compile(r"10,msgId,([A-Z]+),([A-Z]+),response((?:,[A-Za-z]+)*)"
                     r"(\[,path,type,value\]\.\.\.)?")


@dataclass(frozen=True)
class _Pair:
    """What a (method, API) pair takes, from its layout."""

    mandatory: Tuple[str, ...]
    custom: bool  # whether custom values may follow
    body: bool  # the mandatory values are fields of the object created
    # A value of every device line that is no template column: its name and
    # its place among the mandatory values (None: after them).
    implicit: Optional[Tuple[str, Optional[int]]] = None


def _pairs() -> Dict[Tuple[str, str], _Pair]:
    pairs: Dict[Tuple[str, str], _Pair] = {}
    for key, layout in _REQUEST_ROW["layouts"].items():
        m = _LAYOUT.fullmatch(layout)
        if m is None or key != f"{m.group(1)} {m.group(2)}":
            raise ValueError(f"templates.json: unreadable SmartREST 2.0 layout {layout!r}")
        method, api = m.group(1), m.group(2)
        mandatory = tuple(m.group(3).split(",")[1:])
        for name in mandatory:
            if name not in _MANDATORY_TYPES:
                raise ValueError(f"templates.json: no type known for {name!r} of {key}")
        implicit: Optional[Tuple[str, Optional[int]]] = None
        if api == "INVENTORY":
            # The examples put POST's external ID before its type
            # ("101,myImei,c8y_MySerial") but GET's and PUT's ID after it
            # ("999,c8y_Serial,myDeviceImei"); the name of the ID of GET and
            # PUT depends on byId (see RequestTemplate.slots).
            implicit = ("externalId", 0) if method == "POST" else ("id", None)
        pairs[(method, api)] = _Pair(mandatory, m.group(4) is not None,
                                     method == "POST" and api != "INVENTORY", implicit)
    if set(pairs) != set(SUPPORTED):
        raise ValueError("templates.json: the layouts and supported_methods disagree")
    return pairs


_PAIRS = _pairs()
# The pairs whose device line carries an external ID to register: an empty
# one registers none ("101,,c8y_MySerial").
_REGISTERS_ID = {key: pair.implicit is not None and key[0] == "POST"
                 for key, pair in _PAIRS.items()}

# ------------------------------------------------------------------ values


def _is_integer(text: str) -> bool:
    return type_check(INTEGER)[0](text) is not None


def _invalid(kind: str, text: str) -> Optional[str]:
    """Why non-empty ``text`` is not a value of ``kind``, or ``None`` if it is one."""
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


def _json_value(kind: str, text: str) -> Any:
    """The JSON value of a checked, non-empty ``text`` of type ``kind``."""
    if kind in (INTEGER, UNSIGNED) or kind == NUMBER and _is_integer(text):
        return int(text)
    if kind == NUMBER:
        return float(text)
    return text  # STRING, DATE (ISO 8601 text) and the enumerations


def _response_text(value: Any) -> str:
    """The SmartREST text of a JSON value: objects and lists as compact JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return format_value(value)


# ------------------------------------------------------------------ JSON paths

_STEP = re.compile(r"([^.\[\]]+)((?:\[(?:\*|[0-9]+)\])*)")
_INDEX = re.compile(r"\[(\*|[0-9]+)\]")
#: One step of a JSON path: a key, an ``[n]`` index, or ``None`` for ``[*]``.
Step = Optional[Union[str, int]]


@dataclass(frozen=True)
class _Path:
    """A parsed JSON path."""

    text: str
    steps: Tuple[Step, ...]

    @property
    def keys_only(self) -> bool:
        return all(isinstance(s, str) for s in self.steps)

    @property
    def wildcard(self) -> bool:
        return None in self.steps


def _parse_path(text: str) -> _Path:
    """Read a JSON path (see the module docstring); ``""`` and ``$`` are the root.

    Raises:
        ValueError: the path is malformed.
    """
    rest = text[1:] if text.startswith("$") else text
    if rest.startswith("."):
        rest = rest[1:]
    steps: List[Step] = []
    if rest:
        for part in rest.split("."):
            m = _STEP.fullmatch(part)
            if m is None:
                raise ValueError(f"malformed JSON path {text!r} (expected keys joined by '.', "
                                 "each optionally followed by [*] or [n])")
            steps.append(m.group(1))
            steps += [None if i == "*" else int(i) for i in _INDEX.findall(m.group(2))]
    return _Path(text, tuple(steps))


def _resolve(node: Any, steps: Sequence[Step]) -> List[Any]:
    """Every value ``steps`` reach from ``node``; ``[]`` when none."""
    nodes = [node]
    for step in steps:
        found: List[Any] = []
        for n in nodes:
            if step is None:
                if isinstance(n, list):
                    found += n
                elif isinstance(n, Mapping):
                    found += list(n.values())
            elif isinstance(step, int):
                if isinstance(n, list) and step < len(n):
                    found.append(n[step])
            elif isinstance(n, Mapping) and step in n:
                found.append(n[step])
        nodes = found
    return nodes


# ------------------------------------------------------------------ templates


def _template_id(msg_id: str) -> Optional[int]:
    return int(msg_id) if msg_id.isdigit() else None


def _fail(cls: Type[TemplateError], msg_id: Optional[str], reason: str, *,
          row: Optional[int] = None, field: Optional[int] = None,
          name: Optional[str] = None) -> NoReturn:
    label = f"template {msg_id}" if msg_id else "template"
    raise cls(f"{label}: {reason}", None, row, field,
              template_id=_template_id(msg_id or ""), field_name=name)


@dataclass(frozen=True)
class Field:
    """One value of a request template, fixed by the template or sent by the device.

    Attributes:
        name: the name as the docs write it (``"time"``, ``"externalIdType"``,
            ``"externalId"``, ``"id"``) or, for a custom value, its JSON path.
        type: one of :data:`VALUE_TYPES`, or ``"BOOLEAN"`` for ``byId``.
        value: the value the template fixes; ``""`` when the device sends it.
        custom: whether it is a custom value (a JSON path of the body).
        column: the field index of its value in the ``10`` row, or ``None``
            for the external ID or ID of INVENTORY pairs, which is no column.
    """

    name: str
    type: str
    value: str = ""
    custom: bool = False
    column: Optional[int] = None

    @property
    def asked(self) -> bool:
        """Whether the device sends this value (empty in the template, not a FLAG)."""
        return not self.value and self.type != FLAG


@dataclass(frozen=True)
class CustomValue:
    """A custom value ``path,type,value`` of a request template.

    Attributes:
        path: the JSON path of the value in the body.
        type: one of :data:`VALUE_TYPES` (an empty type is STRING).
        value: the fixed value, or ``""`` when the device sends it.
    """

    path: str
    type: str = STRING
    value: str = ""


@dataclass(frozen=True)
class RequestTemplate:
    """A ``10`` row: what a device line of this message ID stands for.

    Attributes:
        msg_id: the message ID.
        method: ``GET``, ``POST`` or ``PUT``.
        api: ``INVENTORY``, ``MEASUREMENT``, ``ALARM``, ``EVENT`` or ``OPERATION``.
        response: the ``response`` column: ``True``, ``False`` or ``None``
            when empty (see :attr:`responds`).
        values: the mandatory values of the pair, in layout order, ``""``
            where empty.
        custom: the custom values, in order.
    """

    msg_id: str
    method: str
    api: str
    response: Optional[bool]
    values: Tuple[str, ...]
    custom: Tuple[CustomValue, ...] = ()

    @property
    def responds(self) -> bool:
        """Whether the response templates apply to the result (default: GET only)."""
        return self.response if self.response is not None else self.method == "GET"

    @property
    def mandatory(self) -> Dict[str, str]:
        """The mandatory values by name, ``""`` where empty."""
        return dict(zip(_PAIRS[(self.method, self.api)].mandatory, self.values))

    @functools.cached_property
    def slots(self) -> Tuple[Field, ...]:
        """Every value of a request of this template, in device-line order."""
        pair = _PAIRS[(self.method, self.api)]
        slots = [Field(name, _MANDATORY_TYPES[name], value, False, 5 + i)
                 for i, (name, value) in enumerate(zip(pair.mandatory, self.values))]
        if pair.implicit is not None:
            name, at = pair.implicit
            if "byId" in pair.mandatory and self.mandatory["byId"].lower() == "true":
                # By platform ID: the external ID type means nothing.
                slots = [s for s in slots if s.name != "externalIdType"]
            else:
                name = "externalId"
            slots.insert(len(slots) if at is None else at, Field(name, STRING))
        first = 5 + len(pair.mandatory)
        slots += [Field(c.path, c.type, c.value, True, first + 3 * i)
                  for i, c in enumerate(self.custom)]
        return tuple(slots)

    @functools.cached_property
    def asked(self) -> Tuple[int, ...]:
        """The indexes in :attr:`slots` of the values the device sends."""
        return tuple(i for i, s in enumerate(self.slots) if s.asked)

    @property
    def fields(self) -> Tuple[Field, ...]:
        """The values the device sends, in order (:meth:`TemplateCollection.request`)."""
        return tuple(self.slots[i] for i in self.asked)

    def to_row(self) -> List[str]:
        """The ``10`` row, with each custom type spelled out and no trailing empty values."""
        row = [_REQUEST_PREFIX, self.msg_id, self.method, self.api,
               "" if self.response is None else str(self.response).lower(), *self.values]
        for c in self.custom:
            row += [c.path, c.type, c.value]
        return trim_trailing_empty(row)


@dataclass(frozen=True)
class ResponseTemplate:
    """An ``11`` row: which values of a JSON object go back to the device.

    Attributes:
        msg_id: the message ID.
        base: JSON path under which every pattern is read (``""``: the root).
        condition: JSON path that must exist in the object for the
            template to apply (``""``: always applies).  It is read from
            the root, not under ``base``.
        patterns: the JSON paths of the values, in order.

    Raises:
        ValueError: a path is malformed (:class:`TemplateCollection` reports
            it as :class:`~smartrest.errors.InvalidValue`).
    """

    msg_id: str
    base: str
    condition: str
    patterns: Tuple[str, ...]
    _base: _Path = field(init=False, repr=False, compare=False)
    _condition: _Path = field(init=False, repr=False, compare=False)
    _patterns: Tuple[_Path, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_base", _parse_path(self.base))
        object.__setattr__(self, "_condition", _parse_path(self.condition))
        object.__setattr__(self, "_patterns", tuple(_parse_path(p) for p in self.patterns))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether the template applies to ``obj``: no condition, or its path exists."""
        return not self.condition or bool(_resolve(obj, self._condition.steps))

    def render(self, obj: Mapping[str, Any]) -> List[str]:
        """The values of ``obj`` (without message ID): every match of each pattern
        under the base, in order, and one ``""`` for a pattern with no match.

        Raises:
            ValueError: a value is a float that is not finite.
            TypeError: a value of a type JSON does not have.
        """
        bases = _resolve(obj, self._base.steps)
        out: List[str] = []
        for pattern in self._patterns:
            found = [v for b in bases for v in _resolve(b, pattern.steps)]
            out += [_response_text(v) for v in found] if found else [""]
        return out

    @property
    def varying(self) -> Tuple[bool, ...]:
        """For each pattern, whether it can give other than one value (a ``[*]``)."""
        return tuple(self._base.wildcard or p.wildcard for p in self._patterns)

    def to_row(self) -> List[str]:
        """The ``11`` row."""
        return [_RESPONSE_PREFIX, self.msg_id, self.base, self.condition, *self.patterns]


def _read_request(row: List[str], index: int) -> RequestTemplate:
    """Read and check a ``10`` row (trailing empty values already dropped)."""
    msg_id = row[1]

    def fail(cls: Type[TemplateError], position: int, reason: str,
             name: Optional[str] = None) -> NoReturn:
        _fail(cls, msg_id, reason, row=index, field=position, name=name)

    if len(row) < 4:
        fail(MissingValue, len(row), "a request template needs at least "
             "10,msgId,method,api", ("method", "api")[len(row) - 2])
    method, api = row[2], row[3]
    if method in _APIS and api in _METHODS:
        fail(InvalidValue, 2, f"method and API swapped ({method},{api}): the order is "
             "method,api (the quick reference's comment has it the other way round)",
             "method")
    if method not in _METHODS:
        fail(InvalidValue, 2, f"method must be one of {', '.join(_METHODS)}, not {method!r}",
             "method")
    if api not in _APIS:
        fail(InvalidValue, 3, f"api must be one of {', '.join(_APIS)}, not {api!r}", "api")
    pair = _PAIRS.get((method, api))
    if pair is None:
        fail(InvalidValue, 3, f"{method} {api} is not supported (the pairs are "
             f"{', '.join(' '.join(p) for p in SUPPORTED)})", "api")
    response_text = row[4] if len(row) > 4 else ""
    if response_text and _invalid(BOOLEAN, response_text):
        fail(InvalidValue, 4, f"response must be true or false, not {response_text!r}",
             "response")
    k = len(pair.mandatory)
    values = tuple(row[5:5 + k]) + ("",) * max(0, 5 + k - len(row))
    for i, (name, value) in enumerate(zip(pair.mandatory, values)):
        kind = _MANDATORY_TYPES[name]
        if kind == BOOLEAN and not value:
            fail(MissingValue, 5 + i, f"{name} must be set in the template: it decides "
                 "which values the device line holds", name)
        why = _invalid(kind, value) if value else None
        if why:
            fail(InvalidValue, 5 + i, f"{name} must be {why}, not {value!r}", name)
    rest = row[5 + k:]
    if rest and not pair.custom:
        fail(TooManyValues, 5 + k, f"{method} {api} takes no custom values "
             f"({len(rest)} values after {', '.join(pair.mandatory)})")
    custom: List[CustomValue] = []
    for start in range(0, len(rest), 3):
        path, kind, value = (rest[start:start + 3] + ["", ""])[:3]
        at = 5 + k + start
        if not path:
            fail(MissingValue, at, "a custom value needs its JSON path", "path")
        try:
            parsed = _parse_path(path)
        except ValueError as exc:
            fail(InvalidValue, at, str(exc), path)
        if not parsed.keys_only or not parsed.steps:
            fail(InvalidValue, at, f"custom value path {path!r} must be keys joined by '.'",
                 path)
        kind = kind or STRING
        if kind not in VALUE_TYPES:
            fail(InvalidValue, at + 1, f"type of {path!r} must be one of "
                 f"{', '.join(VALUE_TYPES)}, not {kind!r}", path)
        if kind == FLAG and value:
            fail(InvalidValue, at + 2, f"FLAG {path!r} takes no value (it is {{}}), "
                 f"not {value!r}", path)
        why = _invalid(kind, value) if value else None
        if why:
            fail(InvalidValue, at + 2, f"{path!r} must be {why}, not {value!r}", path)
        custom.append(CustomValue(path, kind, value))
    template = RequestTemplate(msg_id, method, api,
                               None if not response_text else response_text.lower() == "true",
                               values, tuple(custom))
    _check_paths(template, index)
    return template


def _check_paths(t: RequestTemplate, index: int) -> None:
    """Refuse custom paths that would overwrite each other or a mandatory body field."""
    pair = _PAIRS[(t.method, t.api)]
    owners: List[Tuple[Tuple[Step, ...], Field]] = [
        ((s.name,), s) for s in t.slots if pair.body and not s.custom and s.column is not None]
    owners += [(_parse_path(s.name).steps, s) for s in t.slots if s.custom]
    owners.sort(key=lambda o: tuple(map(str, o[0])))
    # After sorting, a path that another one starts with comes right before
    # the first of those.
    for (a, first), (b, second) in zip(owners, owners[1:]):
        if b[:len(a)] == a:
            _fail(InvalidValue, t.msg_id,
                  f"custom value {second.name!r} overlaps {first.name!r} in the body",
                  row=index, field=second.column, name=second.name)


def _read_response(row: List[str], index: int) -> ResponseTemplate:
    """Read and check an ``11`` row (trailing empty values already dropped)."""
    msg_id = row[1]
    base, condition = (row[2:4] + ["", ""])[:2]
    patterns = row[4:]
    if not patterns:
        _fail(MissingValue, msg_id, "a response template needs at least one pattern",
              row=index, field=4, name="pattern")
    for position, text in enumerate(row[2:], 2):
        if position >= 4 and not text:
            _fail(MissingValue, msg_id, "a pattern is empty", row=index, field=position,
                  name="pattern")
        try:
            _parse_path(text)
        except ValueError as exc:
            _fail(InvalidValue, msg_id, str(exc), row=index, field=position, name=text)
    seen: Dict[str, int] = {}
    for position, text in enumerate(patterns, 4):
        if text in seen:
            _fail(InvalidValue, msg_id, f"pattern {text!r} twice (patterns name the values "
                  "of a response)", row=index, field=position, name=text)
        seen[text] = position
    return ResponseTemplate(msg_id, base, condition, tuple(patterns))


Template = Union[RequestTemplate, ResponseTemplate]

# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class PlatformRequest:
    """What a device line stands for on the platform.

    Attributes:
        msg_id: the message ID of the line.
        method: ``GET``, ``POST`` or ``PUT``.
        api: ``INVENTORY``, ``MEASUREMENT``, ``ALARM``, ``EVENT`` or ``OPERATION``.
        body: the JSON body: for POST MEASUREMENT, EVENT and ALARM the
            mandatory values (``type``, ``text``, ``status``, ``severity``,
            ``time``), then the custom values at their paths, typed: NUMBER
            as ``int`` or ``float`` (by how it is written), INTEGER and
            UNSIGNED as ``int``, FLAG as ``{}``, DATE and the enumerations as
            their text.  ``{}`` for GET.
        target: what the request acts on: ``{"id": ...}`` or
            ``{"externalIdType": ..., "externalId": ...}`` for GET and PUT
            INVENTORY; the external ID to register for POST INVENTORY (``{}``
            when the device sent none); ``{"type": ...}`` for PUT ALARM (the
            ACTIVE alarm of that type, else the ACKNOWLEDGED one);
            ``{"fragment": ...}`` for PUT OPERATION (the EXECUTING operation,
            else the PENDING one); ``{}`` otherwise.
        server_time: the body paths of empty DATE values, left out of
            ``body``: the platform fills them with its time.
        response: whether the response templates apply to the result.
    """

    msg_id: str
    method: str
    api: str
    body: Dict[str, Any]
    target: Dict[str, str]
    server_time: Tuple[str, ...] = ()
    response: bool = False


@dataclass(frozen=True)
class Response:
    """A row received on ``s/dc/<X-ID>``, read through its response template.

    Attributes:
        template: the :class:`ResponseTemplate`.
        device: the device's external ID the platform inserted (operations),
            or ``None`` (GET results).
        values: the value of each pattern, by pattern: a ``str``, or for a
            pattern with ``[*]`` a list (``[]`` for the one empty value of a
            pattern that matched nothing).
    """

    template: ResponseTemplate
    device: Optional[str]
    values: Dict[str, Union[str, List[str]]]

    @property
    def msg_id(self) -> str:
        """The message ID."""
        return self.template.msg_id

    def __getitem__(self, pattern: str) -> Union[str, List[str]]:
        return self.values[pattern]


# ------------------------------------------------------------------ the collection


class TemplateCollection:
    """A SmartREST 2.0 template collection, checked.

    ``TemplateCollection("myXid", rows)`` reads the ``10`` and ``11`` rows
    of a collection (as :func:`smartrest.decode` gives them);
    :meth:`from_payload` decodes a publish first.

    Checks: every row is a ``10`` or ``11`` row with a message ID unique in
    the collection; a request template has a supported method and API pair
    (in that order), a ``response`` of ``true``, ``false`` or empty, a set
    ``byId`` where the pair has one, values of their types (``time`` a DATE,
    ``status`` an ALARMSTATUS, ``severity`` a SEVERITY), custom values only
    where the pair takes them, each with a JSON path of keys, a known type
    and a value of that type (none for FLAG), and no two paths that
    overwrite each other or a mandatory field of the body; a response
    template has at least one pattern, no empty or repeated pattern, and
    well-formed paths.

    Attributes:
        xid: the X-ID.
        topic: ``s/ut/<X-ID>``, where the collection is registered.
        templates: every template, in collection order.
        requests: the request templates by message ID.
        responses: the response templates by message ID, in order.

    Raises:
        UnknownTemplate: a row is neither a ``10`` nor an ``11`` row.
        DuplicateTemplate: two templates share a message ID.
        MissingValue, TooManyValues, InvalidValue: a row breaks one of the
            checks above; ``row`` is its index and ``field`` the value's.
        InvalidTopic: the X-ID cannot be a topic level.
        TypeError: a row is not a sequence of ``str``.
    """

    xid: str
    topic: str
    templates: Tuple[Template, ...]
    requests: Dict[str, RequestTemplate]
    responses: Dict[str, ResponseTemplate]

    def __init__(self, xid: str, rows: Iterable[Sequence[str]]) -> None:
        self.topic = _topics.build(_topics.TEMPLATE, "up", xid=xid)
        self.xid = xid
        templates: List[Template] = []
        seen: Dict[str, int] = {}
        for index, given in enumerate(rows):
            row = trim_trailing_empty(_row_list(given, index))
            if not row or row[0] not in (_REQUEST_PREFIX, _RESPONSE_PREFIX):
                raise UnknownTemplate(
                    f"row {index} of a collection starts with {row[0] if row else ''!r}, "
                    f"not {_REQUEST_PREFIX} (request) or {_RESPONSE_PREFIX} (response)",
                    None, index, 0)
            if len(row) < 2 or not row[1]:
                _fail(MissingValue, None, "a template needs its message ID", row=index,
                      field=1, name="msgId")
            if row[1] in seen:
                _fail(DuplicateTemplate, row[1], f"message ID {row[1]!r} again (row "
                      f"{seen[row[1]]} has it)", row=index, field=1, name="msgId")
            seen[row[1]] = index
            read = _read_request if row[0] == _REQUEST_PREFIX else _read_response
            templates.append(read(row, index))
        if not templates:
            raise MissingValue("a collection needs at least one template (an empty "
                               f"publish on {self.topic} asks for the collection's status)")
        self.templates = tuple(templates)
        self.requests = {t.msg_id: t for t in templates if isinstance(t, RequestTemplate)}
        self.responses = {t.msg_id: t for t in templates if isinstance(t, ResponseTemplate)}

    @classmethod
    def from_payload(cls, xid: str, payload: Any) -> "TemplateCollection":
        """Decode the publish of a collection and read it.

        Raises:
            SmartRestError: the payload is malformed (see
                :func:`smartrest.decode`), or any error of the constructor.
        """
        from . import decode

        return cls(xid, decode(payload, topic=_topics.build(_topics.TEMPLATE, "up", xid=xid)))

    # -------------------------------------------------------------- writing

    def to_rows(self) -> List[List[str]]:
        """The rows of the collection, as :meth:`RequestTemplate.to_row` and
        :meth:`ResponseTemplate.to_row` write them."""
        return [t.to_row() for t in self.templates]

    def to_payload(self, *, qos: int = 0, limit: int = LIMIT,
                   quote_escape: str = "backslash") -> bytes:
        """The one publish that registers the collection on ``s/ut/<X-ID>``.

        Raises:
            PayloadTooLarge: the publish, header and topic included, exceeds
                ``limit``; a collection cannot be split over publishes.
                ``offset`` is the first byte past the limit.
            ValueError: a bad ``qos`` or ``quote_escape``.
        """
        from . import encode

        payload: bytes = encode(self.to_rows(), quote_escape=quote_escape)
        size = packet_size(self.topic, len(payload), qos)
        if size > limit:
            raise PayloadTooLarge(
                f"collection {self.xid!r} takes a {size}-byte publish on {self.topic}, over "
                f"the limit of {limit}; all templates of a collection go in one publish",
                limit - (size - len(payload)))
        return payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TemplateCollection):
            return NotImplemented
        return self.xid == other.xid and self.templates == other.templates

    def __hash__(self) -> int:
        return hash((self.xid, self.templates))

    def __repr__(self) -> str:
        return (f"TemplateCollection({self.xid!r}, requests={list(self.requests)}, "
                f"responses={list(self.responses)})")

    # -------------------------------------------------------------- requests

    def _request_template(self, msg_id: str) -> RequestTemplate:
        t = self.requests.get(msg_id)
        if t is None:
            what = " (it is a response template)" if msg_id in self.responses else ""
            _fail(UnknownTemplate, msg_id, f"no request template {msg_id!r} in collection "
                  f"{self.xid!r}{what}", field=0)
        return t

    def request(self, msg_id: Union[int, str], *values: Any) -> List[str]:
        """The row a device publishes on ``s/uc/<X-ID>``.

        ``values`` are the template's :attr:`RequestTemplate.fields`, in
        order: one for each, or one for each that is not a DATE (every empty
        DATE then means server time).  They are written with
        :func:`smartrest.templates.format_value` (``None`` is empty, a
        ``datetime`` ISO 8601) and checked as :meth:`to_request` checks them.

        Raises:
            UnknownTemplate: no request template of that ID.
            MissingValue: too few values, or an empty one that must be set.
            TooManyValues: too many values.
            InvalidValue: a value not of its type, or one that cannot be
                written (a naive ``datetime``, a float that is not finite).
            TypeError: a value of a type that cannot be written.
        """
        key = str(msg_id)
        t = self._request_template(key)
        row = [key]
        for i, value in zip(_assigned(t, len(values)), values):
            name = t.slots[i].name
            try:
                row.append(format_value(value))
            except ValueError as exc:
                _fail(InvalidValue, key, f"{name!r}: {exc}", field=len(row), name=name)
            except TypeError as exc:
                raise TypeError(f"template {key}: {name!r}: {exc}") from None
        self.to_request(row)
        return row

    def to_request(self, row: Sequence[str]) -> PlatformRequest:
        """What a device line of ``s/uc/<X-ID>`` stands for on the platform.

        Every value is checked against its type.  An empty value must be
        set, except a DATE (server time), a custom STRING (``""``) and the
        external ID of POST INVENTORY and its type (no external ID is
        registered; a non-empty ID needs its type).

        Raises:
            UnknownTemplate: no request template of the row's message ID.
            MissingValue: too few values, or an empty one that must be set.
            TooManyValues: more values than the template asks for.
            InvalidValue: a value not of its type.
            TypeError: ``row`` is not a sequence of ``str``.
        """
        values = _row_list(row, None)
        t = self._request_template(values[0])
        # slot index -> row position of the device's value
        positions = {i: p for p, i in enumerate(_assigned(t, len(values) - 1), 1)}
        pair = _PAIRS[(t.method, t.api)]
        body: Dict[str, Any] = {}
        target: Dict[str, str] = {}
        server_time: List[str] = []
        for i, slot in enumerate(t.slots):
            position = positions.get(i)
            text = slot.value if position is None else values[position]
            if text:
                why = _invalid(slot.type, text)
                if why:
                    _fail(InvalidValue, t.msg_id, f"{slot.name!r} must be {why}, not {text!r}",
                          field=position, name=slot.name)
            elif slot.type == DATE:
                server_time.append(slot.name)
                continue
            elif not _may_be_empty(t, slot):
                _fail(MissingValue, t.msg_id, f"{slot.name!r} is empty", field=position,
                      name=slot.name)
            if slot.custom:
                _put(body, _parse_path(slot.name).steps,
                     {} if slot.type == FLAG else _json_value(slot.type, text))
            elif pair.body:
                body[slot.name] = _json_value(slot.type, text)
            elif slot.type != BOOLEAN:  # byId chose the slots; it is no value
                target[slot.name] = text
        if _REGISTERS_ID[(t.method, t.api)]:
            if not target["externalId"]:
                target = {}
            elif not target["externalIdType"]:
                i = next(i for i, s in enumerate(t.slots) if s.name == "externalIdType")
                _fail(MissingValue, t.msg_id, "'externalIdType' is empty, but an external ID "
                      "is given", field=positions.get(i), name="externalIdType")
        return PlatformRequest(t.msg_id, t.method, t.api, body, target, tuple(server_time),
                               t.responds)

    # -------------------------------------------------------------- responses

    def render_responses(self, obj: Mapping[str, Any], *,
                         device: Optional[str] = None) -> List[List[str]]:
        """The rows the platform sends on ``s/dc/<X-ID>`` for a JSON object.

        Every response template whose condition holds gives one row, in
        collection order: its message ID, the device's external ID when
        ``device`` is given (operations; GET results have none), then the
        values of :meth:`ResponseTemplate.render`.  The platform applies
        them to every operation and to the result of every request whose
        :attr:`PlatformRequest.response` is true.

        Raises:
            TypeError: ``obj`` is not a mapping, or holds a value of a type
                JSON does not have.
            ValueError: a value is a float that is not finite.
        """
        if not isinstance(obj, Mapping):
            raise TypeError(f"the JSON object must be a mapping, not {type(obj).__name__}")
        head = [] if device is None else [device]
        return [[t.msg_id, *head, *t.render(obj)]
                for t in self.responses.values() if t.matches(obj)]

    def parse_response(self, row: Sequence[str], *,
                       operation: Optional[bool] = None) -> Response:
        """Read a row received on ``s/dc/<X-ID>`` by its response template.

        Whether the platform inserted the device's external ID (operations)
        or not (GET results) is ``operation``; left ``None`` it is read from
        the number of values, which works unless a ``[*]`` pattern makes
        both readings possible.

        Raises:
            UnknownTemplate: no response template of the row's message ID.
            MissingValue: fewer values than the template's patterns.
            TooManyValues: more values than the patterns give.
            AmbiguousResponse: the values can be split in more than one way
                (pass ``operation``; with two ``[*]`` patterns no split is sure).
            TypeError: ``row`` is not a sequence of ``str``.
        """
        values = _row_list(row, None)
        msg_id = values[0]
        t = self.responses.get(msg_id)
        if t is None:
            what = " (it is a request template)" if msg_id in self.requests else ""
            _fail(UnknownTemplate, msg_id, f"no response template {msg_id!r} in collection "
                  f"{self.xid!r}{what}", field=0)
        n = len(t.patterns)
        varying = t.varying
        readings = [d for d in ((1,) if operation else (0,) if operation is False else (0, 1))
                    if (len(values) - 1 - d >= n if any(varying) else len(values) - 1 - d == n)]
        if not readings:
            d = 1 if operation else 0
            have = len(values) - 1 - d
            cls = MissingValue if have < n else TooManyValues
            with_device = " after the device ID" if operation else ""
            _fail(cls, msg_id, f"{have} values{with_device}, but the template has {n} "
                  f"pattern{'s' if n != 1 else ''}", field=min(len(values), 1 + d + n))
        if len(readings) > 1:
            _fail(AmbiguousResponse, msg_id, "a [*] pattern leaves open whether the device "
                  "ID was inserted; pass operation=True or False")
        d = readings[0]
        rest = values[1 + d:]
        extra = len(rest) - n
        if extra and sum(varying) > 1:
            _fail(AmbiguousResponse, msg_id, "two [*] patterns: the values cannot be split")
        out: Dict[str, Union[str, List[str]]] = {}
        at = 0
        for pattern, many in zip(t.patterns, varying):
            if many:
                take = rest[at:at + 1 + extra]
                at += 1 + extra
                out[pattern] = [] if take == [""] else take
            else:
                out[pattern] = rest[at]
                at += 1
        return Response(t, values[1] if d else None, out)


def _assigned(t: RequestTemplate, count: int) -> Tuple[int, ...]:
    """The slots (indexes in :attr:`RequestTemplate.slots`) that ``count``
    device values stand for: every asked one, or every asked one but the
    DATEs (see the module docstring).

    Raises:
        MissingValue, TooManyValues: neither reading fits ``count``.
    """
    asked = t.asked
    if count == len(asked):
        return asked
    short = tuple(i for i in asked if t.slots[i].type != DATE)
    if count == len(short):
        return short
    names = ", ".join(t.slots[i].name for i in asked) or "none"
    alternative = (f", or {len(short)} leaving out every DATE" if len(short) < len(asked)
                   else "")
    what = f"{count} values; the template asks for {len(asked)} ({names}){alternative}"
    if count > len(asked):
        _fail(TooManyValues, t.msg_id, what, field=1 + len(asked))
    missing = t.slots[short[count] if count < len(short) else asked[count]]
    _fail(MissingValue, t.msg_id, what, field=1 + count, name=missing.name)


def _may_be_empty(t: RequestTemplate, slot: Field) -> bool:
    """Whether ``slot`` may stay empty once the device's values are in (DATEs aside)."""
    if slot.custom:
        return slot.type in (STRING, FLAG)
    return _REGISTERS_ID[(t.method, t.api)] and slot.name in ("externalId", "externalIdType")


def _put(body: Dict[str, Any], keys: Sequence[Step], value: Any) -> None:
    node = body
    for key in keys[:-1]:
        node = node.setdefault(str(key), {})  # paths are checked not to overlap
    node[str(keys[-1])] = value


def _row_list(row: Sequence[str], index: Optional[int]) -> List[str]:
    return str_row(row, index, allow_empty=index is not None)


def parse_status(row: Sequence[str]) -> Message:
    """Read a reply of ``s/dt``: ``20,<X-ID>,<collection ID>`` (the collection
    exists; ``msg["xid"]``, ``msg["collection_id"]``) or ``41,<X-ID>`` (it does not).

    Raises:
        UnknownTemplate: neither 20 nor 41.
        MissingValue, TooManyValues: the row does not fit its format.
        TypeError: ``row`` is not a sequence of ``str``.
    """
    return _parse_message(row, topic=STATUS_TOPIC)
