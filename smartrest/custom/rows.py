"""The template rows of a SmartREST 2.0 collection: reading, checking, writing.

Request template rows
---------------------
``10,msgId,method,api,response,<mandatory values>,<path,type,value>...``.
The method and API pair and its mandatory values come from the layouts of
``templates.json`` (:mod:`smartrest.custom.layouts`).  Values left out at
the end of a row are empty, so trailing empty values are dropped before a
row is read (``10,101,POST,EVENT,,c8y_CustomEvent,mytext,,`` is
``...,mytext``).  A custom value is a triple ``path,type,value``; an empty
or left-out type is STRING, a left-out value is empty.  Written back
(:meth:`RequestTemplate.to_row`), a row has the documented shape: whole
triples, and trailing empty values dropped only where the docs drop them.

Response template rows
----------------------
``11,msgId,base,condition,<pattern>...``: JSON paths
(:mod:`smartrest.custom.paths`) of the values that go back to the device.

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
  or one per empty field that is not a DATE; nothing in between
  (:func:`assigned`).

The docs' example ``10,100,POST,MEASUREMENT,false,c8y_MyMeasurement,,
c8y_MyMeasurement.M.value,NUMBER,`` used as plain ``100`` leaves out the
measurement's value too; ``templates.json`` marks it as a doc inconsistency,
and it is refused (:class:`~smartrest.errors.MissingValue`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Set, Tuple, Type, Union

from .._values import trim_trailing_empty
from ..errors import InvalidValue, MissingValue, TemplateError, TooManyValues
from ..templates import BOOLEAN, numeric_id
from .layouts import (
    APIS,
    MANDATORY_TYPES,
    METHODS,
    PAIRS,
    REQUEST_PREFIX,
    RESPONSE_PREFIX,
    SUPPORTED,
)
from .paths import JsonPath, Step, parse_path, resolve
from .values import DATE, FLAG, STRING, VALUE_TYPES, invalid, response_text


def fail(cls: Type[TemplateError], msg_id: Optional[str], reason: str, *,
         row: Optional[int] = None, field: Optional[int] = None,
         name: Optional[str] = None) -> NoReturn:
    """Raise ``cls`` for template ``msg_id`` (``None``: not known yet), at
    ``row`` and ``field``, about the value called ``name``."""
    label = f"template {msg_id}" if msg_id else "template"
    template_id = numeric_id(msg_id) if msg_id else None
    raise cls(f"{label}: {reason}", None, row, field, template_id=template_id, field_name=name)


# ------------------------------------------------------------------ request templates


@dataclass(frozen=True)
class Field:
    """One value of a request template, fixed by the template or sent by the device.

    Attributes:
        name: the name as the docs write it (``"time"``, ``"externalIdType"``,
            ``"externalId"``, ``"id"``) or, for a custom value, its JSON path.
        type: one of :data:`~smartrest.custom.VALUE_TYPES`, or ``"BOOLEAN"``
            for ``byId``.
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
        type: one of :data:`~smartrest.custom.VALUE_TYPES` (an empty type is STRING).
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
        width: for a template read from a row, the number of values of that
            row, trailing empty ones included (see :meth:`to_row`); ``None``
            otherwise.  It is no part of equality.
    """

    msg_id: str
    method: str
    api: str
    response: Optional[bool]
    values: Tuple[str, ...]
    custom: Tuple[CustomValue, ...] = ()
    width: Optional[int] = field(default=None, compare=False, repr=False)

    @property
    def responds(self) -> bool:
        """Whether the response templates apply to the result (default: GET only)."""
        return self.response if self.response is not None else self.method == "GET"

    @property
    def mandatory(self) -> Dict[str, str]:
        """The mandatory values by name, ``""`` where empty."""
        return dict(zip(PAIRS[(self.method, self.api)].mandatory, self.values))

    @functools.cached_property
    def slots(self) -> Tuple[Field, ...]:
        """Every value of a request of this template, in device-line order."""
        pair = PAIRS[(self.method, self.api)]
        slots = [Field(name, MANDATORY_TYPES[name], value, False, 5 + i)
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
        """The ``10`` row in the documented shape.

        Every mandatory value is written, empty ones too, and every custom
        value as its whole triple ``path,type,value``, the type spelled out
        and an empty value kept (``...,c8y_MyMeasurement.M.value,NUMBER,``).
        At the end, the row leaves out only the empty values the docs leave
        out: those of :attr:`Pair.optional <smartrest.custom.layouts.Pair>`
        (``10,999,GET,INVENTORY,,true``).

        A template read from a row (:attr:`width` set) ends as that row did:
        its trailing empty values are kept or left out as they were there,
        since the docs' rows show both shapes (``...,STRING,`` and
        ``...,status,ALARMSTATUS``).
        """
        pair = PAIRS[(self.method, self.api)]
        row = [REQUEST_PREFIX, self.msg_id, self.method, self.api,
               "" if self.response is None else str(self.response).lower(), *self.values]
        for c in self.custom:
            row += [c.path, c.type, c.value]
        if self.width is not None:
            trim_trailing_empty(row, self.width)
            return row + [""] * (self.width - len(row))
        if self.custom:
            return row
        return trim_trailing_empty(row, 5 + max(
            (i + 1 for i, name in enumerate(pair.mandatory) if name not in pair.optional),
            default=0))


def assigned(t: RequestTemplate, count: int) -> Tuple[int, ...]:
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
        fail(TooManyValues, t.msg_id, what, field=1 + len(asked))
    missing = t.slots[short[count] if count < len(short) else asked[count]]
    fail(MissingValue, t.msg_id, what, field=1 + count, name=missing.name)


def read_request(row: List[str], index: int, width: Optional[int] = None) -> RequestTemplate:
    """Read and check the ``10`` row at ``index`` of a collection (trailing
    empty values already dropped, message ID set); ``width`` is the number
    of values the row had before (:attr:`RequestTemplate.width`).

    Raises:
        MissingValue, TooManyValues, InvalidValue: the row breaks a check of
            :class:`~smartrest.custom.TemplateCollection`.
    """
    msg_id = row[1]

    def reject(cls: Type[TemplateError], position: int, reason: str,
               name: Optional[str] = None) -> NoReturn:
        fail(cls, msg_id, reason, row=index, field=position, name=name)

    if len(row) < 4:
        reject(MissingValue, len(row), "a request template needs at least "
               "10,msgId,method,api", ("method", "api")[len(row) - 2])
    method, api = row[2], row[3]
    if method in APIS and api in METHODS:
        reject(InvalidValue, 2, f"method and API swapped ({method},{api}): the order is "
               "method,api (the quick reference's comment has it the other way round)",
               "method")
    if method not in METHODS:
        reject(InvalidValue, 2, f"method must be one of {', '.join(METHODS)}, not {method!r}",
               "method")
    if api not in APIS:
        reject(InvalidValue, 3, f"api must be one of {', '.join(APIS)}, not {api!r}", "api")
    pair = PAIRS.get((method, api))
    if pair is None:
        reject(InvalidValue, 3, f"{method} {api} is not supported (the pairs are "
               f"{', '.join(' '.join(p) for p in SUPPORTED)})", "api")
    response = row[4] if len(row) > 4 else ""
    if response and invalid(BOOLEAN, response):
        reject(InvalidValue, 4, f"response must be true or false, not {response!r}",
               "response")
    k = len(pair.mandatory)
    values = tuple(row[5:5 + k]) + ("",) * max(0, 5 + k - len(row))
    for i, (name, value) in enumerate(zip(pair.mandatory, values)):
        kind = MANDATORY_TYPES[name]
        if kind == BOOLEAN and not value:
            reject(MissingValue, 5 + i, f"{name} must be set in the template: it decides "
                   "which values the device line holds", name)
        why = invalid(kind, value) if value else None
        if why:
            reject(InvalidValue, 5 + i, f"{name} must be {why}, not {value!r}", name)
    rest = row[5 + k:]
    if rest and not pair.custom:
        reject(TooManyValues, 5 + k, f"{method} {api} takes no custom values "
               f"({len(rest)} values after {', '.join(pair.mandatory)})")
    custom: List[CustomValue] = []
    for start in range(0, len(rest), 3):
        path, kind, value = (rest[start:start + 3] + ["", ""])[:3]
        at = 5 + k + start
        if not path:
            reject(MissingValue, at, "a custom value needs its JSON path", "path")
        try:
            parsed = parse_path(path)
        except ValueError as exc:
            reject(InvalidValue, at, str(exc), path)
        if not parsed.keys_only or not parsed.steps:
            reject(InvalidValue, at, f"custom value path {path!r} must be keys joined by '.'",
                   path)
        kind = kind or STRING
        if kind not in VALUE_TYPES:
            reject(InvalidValue, at + 1, f"type of {path!r} must be one of "
                   f"{', '.join(VALUE_TYPES)}, not {kind!r}", path)
        if kind == FLAG and value:
            reject(InvalidValue, at + 2, f"FLAG {path!r} takes no value (it is {{}}), "
                   f"not {value!r}", path)
        why = invalid(kind, value) if value else None
        if why:
            reject(InvalidValue, at + 2, f"{path!r} must be {why}, not {value!r}", path)
        custom.append(CustomValue(path, kind, value))
    template = RequestTemplate(msg_id, method, api,
                               None if not response else response.lower() == "true",
                               values, tuple(custom), width)
    _check_paths(template, index)
    return template


def _check_paths(t: RequestTemplate, index: int) -> None:
    """Refuse custom paths that would overwrite each other or a mandatory body field.

    Raises:
        InvalidValue: the first such path.
    """
    pair = PAIRS[(t.method, t.api)]
    owners: List[Tuple[Tuple[Step, ...], Field]] = [
        ((s.name,), s) for s in t.slots if pair.body and not s.custom and s.column is not None]
    owners += [(parse_path(s.name).steps, s) for s in t.slots if s.custom]
    owners.sort(key=lambda o: tuple(map(str, o[0])))
    # After sorting, a path that another one starts with comes right before
    # the first of those.
    for (a, first), (b, second) in zip(owners, owners[1:]):
        if b[:len(a)] == a:
            fail(InvalidValue, t.msg_id,
                 f"custom value {second.name!r} overlaps {first.name!r} in the body",
                 row=index, field=second.column, name=second.name)


# ------------------------------------------------------------------ response templates


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
        ValueError: a path is malformed (:class:`~smartrest.custom.TemplateCollection`
            reports it as :class:`~smartrest.errors.InvalidValue`).
    """

    msg_id: str
    base: str
    condition: str
    patterns: Tuple[str, ...]
    _base: JsonPath = field(init=False, repr=False, compare=False)
    _condition: JsonPath = field(init=False, repr=False, compare=False)
    _patterns: Tuple[JsonPath, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_base", parse_path(self.base))
        object.__setattr__(self, "_condition", parse_path(self.condition))
        object.__setattr__(self, "_patterns", tuple(parse_path(p) for p in self.patterns))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether the template applies to ``obj``: no condition, or its path exists."""
        return not self.condition or bool(resolve(obj, self._condition.steps))

    def render(self, obj: Mapping[str, Any]) -> List[str]:
        """The values of ``obj`` (without message ID): every match of each pattern
        under the base, in order, and one ``""`` for a pattern with no match.

        Raises:
            ValueError: a value is a float that is not finite.
            TypeError: a value of a type JSON does not have.
        """
        bases = resolve(obj, self._base.steps)
        out: List[str] = []
        for pattern in self._patterns:
            found = [v for b in bases for v in resolve(b, pattern.steps)]
            out += [response_text(v) for v in found] if found else [""]
        return out

    @property
    def varying(self) -> Tuple[bool, ...]:
        """For each pattern, whether it can give other than one value (a ``[*]``)."""
        return tuple(self._base.wildcard or p.wildcard for p in self._patterns)

    def to_row(self) -> List[str]:
        """The ``11`` row."""
        return [RESPONSE_PREFIX, self.msg_id, self.base, self.condition, *self.patterns]


def read_response(row: List[str], index: int) -> ResponseTemplate:
    """Read and check the ``11`` row at ``index`` of a collection (trailing
    empty values already dropped, message ID set).

    Raises:
        MissingValue, InvalidValue: no pattern, an empty or repeated one, or a
            malformed path.
    """
    msg_id = row[1]
    base, condition = (row[2:4] + ["", ""])[:2]
    patterns = row[4:]
    if not patterns:
        fail(MissingValue, msg_id, "a response template needs at least one pattern",
             row=index, field=4, name="pattern")
    for position, text in enumerate(row[2:], 2):
        if position >= 4 and not text:
            fail(MissingValue, msg_id, "a pattern is empty", row=index, field=position,
                 name="pattern")
        try:
            parse_path(text)
        except ValueError as exc:
            fail(InvalidValue, msg_id, str(exc), row=index, field=position, name=text)
    seen: Set[str] = set()
    for position, text in enumerate(patterns, 4):
        if text in seen:
            fail(InvalidValue, msg_id, f"pattern {text!r} twice (patterns name the values "
                 "of a response)", row=index, field=position, name=text)
        seen.add(text)
    return ResponseTemplate(msg_id, base, condition, tuple(patterns))


#: A template of a collection.
Template = Union[RequestTemplate, ResponseTemplate]
