"""Static SmartREST templates as messages.

Every static template of ``templates.json`` (upstream 100 to 602, downstream
106, 124, 510 to 532, 601, 603), the system messages (``70`` on ``s/dcr``,
``71`` on ``s/dat``, ``20`` and ``41`` on ``s/dt``) and the ``s/e`` error
line are rows of one registry of :class:`Template` objects, built from that
file when the module is imported.  Each template precomputes what checking a
row needs (parameter names, which values must be present or non-empty, the
type checks, the layout of its repeating groups), so that a row is checked by
one function that loops over these tables.

:func:`parse` turns a decoded row into a :class:`Message`, :func:`build`
makes one from named values, :meth:`Message.to_row` gives the row back and
:func:`decode_messages` decodes and parses a whole payload.  With the C
extension, :func:`decode_messages` checks rows and makes messages in
``smartrest._messages`` from per-template tables built here (see "the C fast
path" below); the Python checks stay the authority on every error.

Parameter rules:

* A value is required (present and non-empty) when ``templates.json`` marks
  it mandatory.  Template 210 needs at least one of its first two values.
* A row may stop early where every value it leaves out is optional.  Values
  whose requirement the docs do not state (most downstream parameters) must
  be present but may be empty.
* A repeating group (``107``'s fragments, ``201``'s fragment, series, value,
  unit...) repeats to the end of the row; its last item may stop early under
  the same rule.  A group with a mandatory value needs at least one item.
* Templates 527 and 531 have sections headed by the literal values ``$FW``,
  ``$SW`` and ``$CONF``, in that order; each marker may be left out.
* The ``s/e`` error line is ``code,messageId,text``; the server does not
  quote its text, so the text is everything after the second comma.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import topics as _topics
from ._limits import LIMIT
from ._payload import skip_empty_lines as _skip_empty_lines
from ._spec import snake, spec
from ._implementation import messages_module
from ._values import str_row, value_text
from .errors import (
    IncompleteGroup,
    InvalidValue,
    MissingValue,
    TemplateError,
    TooManyValues,
    UnknownTemplate,
)

__all__ = [
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "DATE",
    "Param",
    "Block",
    "Template",
    "Message",
    "TEMPLATES",
    "lookup",
    "parse",
    "build",
    "decode_messages",
    "format_value",
    "type_check",
]

STRING = "STRING"
NUMBER = "NUMBER"
INTEGER = "INTEGER"
BOOLEAN = "BOOLEAN"
DATE = "DATE"

_TYPE_NAMES = {"String": STRING, "Number": NUMBER, "Integer": INTEGER,
               "Boolean": BOOLEAN, "Date": DATE}

# Requirement levels of a value (see the module docstring).
REQUIRED = "required"  # present and non-empty
PRESENT = "present"  # present, may be empty (requirement not documented)
OPTIONAL = "optional"  # may be empty or left out at the end

# ------------------------------------------------------------------ value types

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


def _to_number(text: str) -> float:
    return float(text)


def _to_boolean(text: str) -> bool:
    return text.lower() == "true"


# type -> (check of a non-empty text, conversion, what a value must be)
_TYPES: Dict[str, Tuple[Callable[[str], Any], Callable[[str], Any], str]] = {
    NUMBER: (_NUMBER_RE.fullmatch, _to_number, "a number"),
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
    """The SmartREST text of a value: the rule :func:`smartrest.encode`
    follows too.

    ``None`` is empty, ``bool`` is ``true``/``false``, ``int``, finite
    ``float`` and ``Decimal`` are their text, an aware ``datetime`` is ISO
    8601 with its offset (``2016-06-22T17:03:14.000+02:00``), UTF-8 bytes
    are their text, a ``str`` stays as it is.

    Raises:
        InvalidValue: a naive ``datetime`` (it has no offset to write), or a
            float or Decimal that is not finite (both ``ValueError``).
        InvalidUtf8: bytes that are not UTF-8.
        TypeError: any other type.
    """
    return value_text(value)


# ------------------------------------------------------------------ checking rows


def _error(cls: type, t: Template, row: Sequence[str], position: int, name: Optional[str],
           what: str) -> TemplateError:
    label = t.label if t.id is not None else f"s/e line {row[0]!r}"
    err: TemplateError = cls(f"{label}: {what}", None, None, position,
                             template_id=t.id, field_name=name)
    return err


def _check(t: Template, row: Sequence[str]) -> None:
    """Raise the first problem of ``row`` against ``t`` (see the module rules)."""
    n = len(row)
    if n < t.min_len:
        for position in range(n, t.min_len):
            p = t.params[position - 1]
            if p.requirement != OPTIONAL:
                kind = "mandatory value" if p.requirement == REQUIRED else "value"
                raise _error(MissingValue, t, row, position, p.name,
                             f"missing {kind} {p.name!r}")
    for position in t.required:
        if not row[position]:
            name = t.names[position - 1]
            raise _error(MissingValue, t, row, position, name,
                         f"mandatory value {name!r} is empty")
    for position, check in t.checks:
        if position < n:
            value = row[position]
            if value and not check(value):
                p = t.params[position - 1]
                raise _error(InvalidValue, t, row, position, p.name,
                             f"{p.name!r} must be {_TYPES[p.type][2]}, not {value!r}")
    for positions in t.one_of:
        if not any(p < n and row[p] for p in positions):
            names = [t.names[p - 1] for p in positions]
            raise _error(MissingValue, t, row, positions[0], names[0],
                         f"at least one of {', '.join(map(repr, names))} is needed")
    if n > t.fixed_len:
        if t.rest:
            return
        if not t.blocks:
            raise _error(TooManyValues, t, row, t.fixed_len, None,
                         f"too many values ({n - 1} after the message ID; the template "
                         f"has {len(t.params)})")
    if t.blocks:
        for block, start, end in _spans(t, row):
            _check_items(t, block, row, start, end)


Sinks = Dict[str, Callable[[str], None]]


def _quick_check(t: Template) -> Optional[Callable[[Sequence[str], Sinks], bool]]:
    """A fast test of a row against a template without groups (``None`` for the others).

    ``quick_check(row, sinks)`` checks the row's length and its mandatory
    values and hands each non-empty typed value to ``sinks[type]``, so that
    the caller checks the values of a payload in one go (:func:`_all_of_type`).
    False means the row does not fit; :func:`_check`, which stays the
    authority, then says why.
    """
    if t.blocks or t.one_of or t.rest:
        return None
    lo, hi = t.min_len, t.fixed_len
    # Field 0 makes the getter return a tuple even for one position; the
    # message ID is never empty once it has been found in a registry.
    required = itemgetter(*t.required, 0) if t.required else None
    typed = tuple((i + 1, p.type) for i, p in enumerate(t.params) if p.type in _TYPES)

    def quick_check(row: Sequence[str], sinks: Sinks) -> bool:
        n = len(row)
        if n < lo or n > hi or (required is not None and "" in required(row)):
            return False
        for position, kind in typed:
            if position < n:
                value = row[position]
                if value:
                    sinks[kind](value)
        return True

    return quick_check


def _spans(t: Template, row: Sequence[str]) -> List[Tuple[Block, int, int]]:
    """Where each block's values lie in ``row``: (block, first, end)."""
    n = len(row)
    start = t.fixed_len
    if not t.markers:
        return [(t.blocks[0], min(start, n), n)]
    found: List[Tuple[int, int]] = []  # (block index, position of its marker)
    markers = t.markers
    for position in range(start, n):
        b = markers.get(row[position])
        if b is None:
            continue
        if found and b <= found[-1][0]:
            raise _error(InvalidValue, t, row, position, None,
                         f"section {row[position]!r} after {t.blocks[found[-1][0]].marker!r} "
                         f"(the order is {', '.join(markers)})")
        found.append((b, position))
    if n > start and (not found or found[0][1] != start):
        raise _error(InvalidValue, t, row, start, None,
                     f"expected a section marker ({', '.join(markers)}), not {row[start]!r}")
    ends = [p for _, p in found[1:]] + [n]
    return [(t.blocks[b], p + 1, e) for (b, p), e in zip(found, ends)]


def _check_items(t: Template, block: Block, row: Sequence[str], start: int, end: int) -> None:
    width = block.width
    count = end - start
    what = f"section {block.marker}" if block.marker else "group"
    if count < block.min_items:
        p = block.params[block.required[0]]
        raise _error(MissingValue, t, row, start, p.name,
                     f"needs at least one {what} item ({', '.join(block.names)})")
    if not block.repeating and count > width:
        raise _error(TooManyValues, t, row, start + width, None,
                     f"{what} has {count} values, but one item has {width}")
    part = count % width
    if part and part < block.min_last:
        p = block.params[part]
        raise _error(IncompleteGroup, t, row, end, p.name,
                     f"the last {what} item stops before {p.name!r} "
                     f"({part} of {width} values: {', '.join(block.names)})")
    for base in range(start, end, width):
        for offset in block.required:
            position = base + offset
            if position < end and not row[position]:
                name = block.names[offset]
                raise _error(MissingValue, t, row, position, name,
                             f"mandatory {what} value {name!r} is empty")
        for offset, check in block.checks:
            position = base + offset
            if position < end:
                value = row[position]
                if value and not check(value):
                    p = block.params[offset]
                    raise _error(InvalidValue, t, row, position, p.name,
                                 f"{what} value {p.name!r} must be {_TYPES[p.type][2]}, "
                                 f"not {value!r}")


# ------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Param:
    """One parameter of a template.

    Attributes:
        name: the name in snake case, used as the field name.
        doc_name: the name as ``templates.json`` writes it.
        type: ``STRING``, ``NUMBER``, ``INTEGER``, ``BOOLEAN`` or ``DATE``.
        requirement: ``"required"``, ``"present"`` or ``"optional"``.
        default: the documented default (what the platform uses when the
            value is empty), for information; ``None`` when there is none.
        note: the note of ``templates.json``, if any.
    """

    name: str
    doc_name: str
    type: str
    requirement: str
    default: Any = None
    note: Optional[str] = None

    @property
    def mandatory(self) -> bool:
        """Whether the value must be non-empty."""
        return self.requirement == REQUIRED


@dataclass(frozen=True)
class Block:
    """A repeating group, or a section of 527/531 headed by its marker.

    Attributes:
        params: the values of one item, in order.
        marker: the literal value that heads the section, or ``None`` for
            the plain repeating group that runs to the end of the row.
        repeating: whether the items repeat (``$FW`` has one item).
    """

    params: Tuple[Param, ...]
    marker: Optional[str] = None
    repeating: bool = True

    @property
    def width(self) -> int:
        return len(self.params)

    @functools.cached_property
    def names(self) -> Tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @functools.cached_property
    def required(self) -> Tuple[int, ...]:
        """Offsets, within an item, of the values that must be non-empty."""
        return tuple(i for i, p in enumerate(self.params) if p.requirement == REQUIRED)

    @functools.cached_property
    def checks(self) -> Tuple[Tuple[int, Callable[[str], Any]], ...]:
        """(offset, check) for every typed value of an item."""
        return tuple((i, _TYPES[p.type][0]) for i, p in enumerate(self.params)
                     if p.type in _TYPES)

    @functools.cached_property
    def min_last(self) -> int:
        """Fewest values the last item may have: up to its last non-optional value."""
        return max((i + 1 for i, p in enumerate(self.params) if p.requirement != OPTIONAL),
                   default=0)

    @functools.cached_property
    def min_items(self) -> int:
        """1 when the items have a mandatory value (then one item is needed), else 0."""
        return 1 if self.required and self.marker is None else 0


@dataclass(frozen=True)
class Template:
    """One template of the registry: a row of ``templates.json``, checked and indexed.

    Attributes:
        id: the message ID, or ``None`` for the ``s/e`` line (whose first
            value is the error code).
        name: the documented name.
        direction: ``"up"`` or ``"down"``.
        topic: the topic it is documented on (``s/us``, ``s/ds``, ``s/dcr``...).
        params: the fixed parameters after the message ID, in order.
        blocks: the repeating group, or the sections of 527/531.
        one_of: groups of row positions of which at least one value must be
            non-empty (210's RSSI and BER).
        rest: the last parameter takes the rest of the row (``s/e`` text).
        example, notes, source, operation_fragment: from ``templates.json``.
    """

    id: Optional[int]
    name: str
    direction: str
    topic: str
    params: Tuple[Param, ...]
    blocks: Tuple[Block, ...] = ()
    one_of: Tuple[Tuple[int, ...], ...] = ()
    rest: bool = False
    example: Optional[str] = None
    notes: Optional[str] = None
    source: Optional[str] = None
    operation_fragment: Optional[str] = None
    # Precomputed for checking rows, filled in __post_init__.
    names: Tuple[str, ...] = field(init=False, repr=False, compare=False)
    index: Dict[str, int] = field(init=False, repr=False, compare=False)
    fixed_len: int = field(init=False, repr=False, compare=False)
    min_len: int = field(init=False, repr=False, compare=False)
    required: Tuple[int, ...] = field(init=False, repr=False, compare=False)
    checks: Tuple[Tuple[int, Callable[[str], Any]], ...] = field(
        init=False, repr=False, compare=False)
    markers: Dict[str, int] = field(init=False, repr=False, compare=False)
    has_serial: bool = field(init=False, repr=False, compare=False)
    quick_check: Optional[Callable[[Sequence[str], Sinks], bool]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(p.name for p in self.params)
        if len(set(names)) != len(names):
            raise ValueError(f"template {self.id}: duplicate parameter names {names}")
        put = functools.partial(object.__setattr__, self)
        put("names", names)
        put("index", {n: i + 1 for i, n in enumerate(names)})
        put("fixed_len", 1 + len(self.params))
        put("min_len", 1 + max((i + 1 for i, p in enumerate(self.params)
                                if p.requirement != OPTIONAL), default=0))
        put("required", tuple(i + 1 for i, p in enumerate(self.params)
                              if p.requirement == REQUIRED))
        put("checks", tuple((i + 1, _TYPES[p.type][0]) for i, p in enumerate(self.params)
                            if p.type in _TYPES))
        put("markers", {b.marker: i for i, b in enumerate(self.blocks) if b.marker})
        put("has_serial", self.direction == "down" and names[:1] == ("serial",))
        put("quick_check", _quick_check(self))

    @property
    def label(self) -> str:
        """How errors name the template: ``template 200`` or ``s/e line``."""
        return f"template {self.id}" if self.id is not None else "s/e line"


def _requirement(mandatory: Any) -> str:
    if mandatory is True:
        return REQUIRED
    if mandatory is None:
        return PRESENT
    return OPTIONAL  # False, or "if N not set" (a one-of rule, see _one_of)


def _param(entry: Mapping[str, Any]) -> Param:
    return Param(snake(entry["name"]), entry["name"], _TYPE_NAMES[entry["type"]],
                 _requirement(entry["mandatory"]), entry.get("default"), entry.get("note"))


_IF_NOT_SET = re.compile(r"if ([0-9]+) not set")


def _one_of(params: Sequence[Mapping[str, Any]]) -> Tuple[Tuple[int, ...], ...]:
    groups = set()
    for i, entry in enumerate(params):
        m = _IF_NOT_SET.fullmatch(str(entry["mandatory"]))
        if m is not None:
            groups.add(tuple(sorted((i + 1, int(m.group(1))))))
    return tuple(sorted(groups))


def _blocks(entry: Mapping[str, Any]) -> Tuple[Block, ...]:
    if entry.get("sections"):
        # Section values are documented by name only, like the other
        # downstream values: strings whose requirement is not stated.
        return tuple(
            Block(tuple(Param(snake(n), n, STRING, PRESENT) for n in section["fields"]),
                  section["marker"], section["repeating"])
            for section in entry["sections"])
    if entry.get("repeating_group_params"):
        return (Block(tuple(_param(p) for p in entry["repeating_group_params"])),)
    return ()


def _static(entry: Mapping[str, Any]) -> Template:
    return Template(
        entry["id"], entry["name"], entry["direction"], entry["topic"],
        tuple(_param(p) for p in entry["params"]), _blocks(entry), _one_of(entry["params"]),
        example=entry.get("example"), notes=entry.get("notes"), source=entry.get("source"),
        operation_fragment=entry.get("operation_fragment"))


# Names for the placeholders of the system-message formats where their
# snake case would be clumsy.
_SYSTEM_NAMES = {"base64_encoded_jwt_token": "token", "id_of_collection": "collection_id",
                 "x_id": "xid"}
_PLACEHOLDER = re.compile(r"<([^>]*)>")


def _system(entry: Mapping[str, Any]) -> Template:
    names = [snake(p) for p in _PLACEHOLDER.findall(entry["format"])]
    params = tuple(Param(_SYSTEM_NAMES.get(n, n), n, STRING, REQUIRED) for n in names)
    return Template(entry["id"], entry["meaning"], entry["direction"], entry["topic"], params,
                    source=entry.get("source"), notes=entry.get("note"),
                    example=None)


def _error_line(errors: Mapping[str, Any]) -> Template:
    # "<errorCode>,<messageId-or-empty>,<text>": the message ID the error is
    # about may be empty (seen for s/uat); the text runs to the end of the row.
    params = (Param("message_id", "messageId-or-empty", INTEGER, OPTIONAL),
              Param("text", "text", STRING, OPTIONAL))
    return Template(None, "Error or debug message", "down", errors["topic"], params,
                    rest=True, example=errors["examples"][0]["line"],
                    notes=errors.get("format_note"))


def _registries() -> Dict[Tuple[str, str], Dict[Optional[str], Template]]:
    data = spec()
    templates = [_static(e) for e in data["static_templates"]]
    templates += [_system(e) for e in data["system_messages"]]
    templates.append(_error_line(data["errors"]))
    registries: Dict[Tuple[str, str], Dict[Optional[str], Template]] = {}
    for t in templates:
        where = _topics.parse(t.topic)
        registry = registries.setdefault((where.kind, where.direction), {})
        key = str(t.id) if t.id is not None else None
        if key in registry:
            raise ValueError(f"two templates {t.id} on {t.topic}")
        registry[key] = t
    return registries


_REGISTRIES = _registries()
_STATIC_UP = _REGISTRIES[(_topics.STATIC, "up")]
_STATIC_DOWN = _REGISTRIES[(_topics.STATIC, "down")]
# Upstream and downstream static IDs do not overlap, so without a topic one
# table serves both.
_STATIC: Dict[Optional[str], Template] = {**_STATIC_UP, **_STATIC_DOWN}
if len(_STATIC) != len(_STATIC_UP) + len(_STATIC_DOWN):
    raise ValueError("an upstream and a downstream static template share an ID")

#: Every static template, by message ID.
TEMPLATES: Mapping[int, Template] = {t.id: t for t in _STATIC.values() if t.id is not None}


class _Where:
    """What a topic means for parsing: its registry and the device it names."""

    __slots__ = ("registry", "device", "topic")

    def __init__(self, registry: Dict[Optional[str], Template], device: Optional[str],
                 topic: Optional[str]) -> None:
        self.registry = registry
        self.device = device
        self.topic = topic


_ANYWHERE = _Where(_STATIC, None, None)


@functools.lru_cache(maxsize=256)
def _where(topic: Optional[str]) -> _Where:
    if topic is None:
        return _ANYWHERE
    t = _topics.parse(topic)
    registry = _REGISTRIES.get((t.kind, t.direction))
    if registry is None:
        hint = " (see smartrest.custom)" if t.kind in (_topics.CUSTOM, _topics.DEFAULT,
                                                       _topics.TEMPLATE) else ""
        raise UnknownTemplate(f"topic {topic!r} ({t.kind}, {t.direction}) carries no static "
                              f"templates or system messages{hint}")
    return _Where(registry, t.child, topic)


def lookup(template_id: Union[int, str], *, topic: Optional[str] = None) -> Template:
    """The template of a message ID, among those of ``topic`` (static ones without).

    Raises:
        UnknownTemplate: no template of that ID on that topic.
        InvalidTopic: a malformed topic.
    """
    where = _where(topic)
    key = str(template_id)
    t = where.registry.get(key)
    if t is None:
        t = where.registry.get(None)
        if t is None or not key.isdigit():
            raise _unknown(key, where)
    return t


def _unknown(key: str, where: _Where) -> UnknownTemplate:
    tid = int(key) if key.isdigit() else None
    other = _STATIC.get(key)
    if where.topic is None:
        reason = f"template {key!r} is not a static template"
    elif other is not None:
        side = "an upstream" if other.direction == "up" else "a downstream"
        reason = f"template {key} is {side} template; topic {where.topic!r} does not carry it"
    else:
        reason = f"template {key!r} is not a template of topic {where.topic!r}"
    return UnknownTemplate(reason, None, None, 0, template_id=tid)


# ------------------------------------------------------------------ messages

Value = Any


def _convert(param: Param, text: str) -> Value:
    if not text:
        return None
    kind = _TYPES.get(param.type)
    return text if kind is None else kind[1](text)


class Message:
    """One row read through its template.

    ``msg["fragment"]`` is the value of a fixed parameter by its snake-case
    name: the text as received, ``""`` for an empty or left-out value, or
    with ``typed=True`` a ``float`` (NUMBER), ``int`` (INTEGER), ``bool``
    (BOOLEAN), aware ``datetime`` (DATE) or ``str``, and ``None`` for an
    empty value.  Conversion happens on access; the row is kept as it came.

    Attributes:
        template: the :class:`Template`.
        device: the device the message is about: the serial of a downstream
            5xx message, the child of an upstream topic, else ``None``.
        typed: whether values are converted on access.
    """

    __slots__ = ("template", "_values", "device", "typed")

    def __init__(self, template: Template, values: List[str], device: Optional[str] = None,
                 typed: bool = False) -> None:
        self.template = template
        self._values = values
        self.device = device
        self.typed = typed

    @property
    def template_id(self) -> int:
        """The message ID (for an ``s/e`` line: the error code)."""
        t = self.template.id
        return t if t is not None else int(self._values[0])

    @property
    def name(self) -> str:
        """The template's name, e.g. ``"Create custom measurement"``."""
        return self.template.name

    def _text(self, position: int) -> str:
        values = self._values
        if position >= len(values):
            return ""
        if self.template.rest and position == self.template.fixed_len - 1:
            return ",".join(values[position:])
        return values[position]

    def __getitem__(self, name: str) -> Value:
        try:
            position = self.template.index[name]
        except KeyError:
            raise KeyError(f"{self.template.label} has no parameter {name!r} "
                           f"(it has {', '.join(self.template.names) or 'none'})") from None
        text = self._text(position)
        return _convert(self.template.params[position - 1], text) if self.typed else text

    def get(self, name: str, default: Value = None) -> Value:
        """The value of ``name``, or ``default`` if the template has no such parameter."""
        if name not in self.template.index:
            return default
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self.template.index

    @property
    def fields(self) -> Dict[str, Value]:
        """Every fixed parameter by name (repeating groups are in :attr:`groups`)."""
        return {name: self[name] for name in self.template.names}

    @property
    def groups(self) -> List[Dict[str, Value]]:
        """The items of the repeating group as dicts, in order.

        Items of the sections of 527 and 531 also hold the section's marker
        under ``"section"``.  A last item that stops early has ``""`` (or
        ``None`` when typed) for the values it leaves out.
        """
        if not self.template.blocks:
            return []
        values = self._values
        items: List[Dict[str, Value]] = []
        for block, start, end in _spans(self.template, values):
            for base in range(start, end, block.width):
                item: Dict[str, Value] = {}
                for offset, p in enumerate(block.params):
                    position = base + offset
                    text = values[position] if position < end else ""
                    item[p.name] = _convert(p, text) if self.typed else text
                if block.marker:
                    item["section"] = block.marker
                items.append(item)
        return items

    @property
    def sections(self) -> Dict[str, List[Dict[str, Value]]]:
        """For 527 and 531: the items of each section, by marker (``{}`` otherwise)."""
        out: Dict[str, List[Dict[str, Value]]] = {m: [] for m in self.template.markers}
        for item in self.groups:
            out[item.pop("section")].append(item)
        return out

    def to_row(self) -> List[str]:
        """The row's values as text, message ID first, ready for :func:`smartrest.encode`."""
        return list(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.template is other.template and self._values == other._values
                and self.device == other.device)

    def __hash__(self) -> int:
        return hash((id(self.template), tuple(self._values), self.device))

    def __repr__(self) -> str:
        parts = [repr(self.template_id)]
        parts += [f"{k}={v!r}" for k, v in self.fields.items()]
        if self.template.blocks:
            parts.append(f"groups={self.groups!r}")
        if self.device is not None and not self.template.has_serial:
            parts.append(f"device={self.device!r}")
        return f"Message({', '.join(parts)})"


def _message(t: Template, values: List[str], where: _Where, typed: bool) -> Message:
    return Message(t, values, values[1] if t.has_serial else where.device, typed)


def parse(row: Sequence[str], *, topic: Optional[str] = None, typed: bool = False) -> Message:
    """Read a decoded row through its template.

    Args:
        row: the row's fields, message ID first (one row of
            :func:`smartrest.decode`).
        topic: the topic the row came on.  It picks the templates: the
            upstream or downstream static ones, or the system messages of
            ``s/e``, ``s/dcr``, ``s/dat`` and ``s/dt``; an upstream child
            topic names :attr:`Message.device`.  Without it, any static
            template is accepted.
        typed: convert values on access (see :class:`Message`).

    Raises:
        UnknownTemplate: the message ID is not a template of the topic.
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the row
            does not fit its template; ``field`` is the value's index in the
            row and ``field_name`` its name.  These carry no offset or row.
        InvalidTopic: a malformed topic.
        TypeError: ``row`` is not a sequence of ``str``.
    """
    values = _row_list(row)
    where = _where(topic)
    t = where.registry.get(values[0])
    if t is None:
        t = lookup(values[0], topic=topic)
    _check(t, values)
    return _message(t, values, where, typed)


def _row_list(row: Sequence[str]) -> List[str]:
    return str_row(row)


def build(
    template_id: Union[int, str],
    *,
    topic: Optional[str] = None,
    groups: Iterable[Mapping[str, Value]] = (),
    device: Optional[str] = None,
    **values: Value,
) -> Message:
    """Make a message from named values, e.g.
    ``build(200, fragment="c8y_Temperature", series="T", value=25.3, unit="C")``.

    Values are written with :func:`format_value` (a ``datetime`` as ISO 8601
    with its offset).  Left-out optional values at the end of the fixed
    parameters are left out of the row; with a repeating group every item is
    written in full.  Sections of 527/531 come from ``groups`` items with a
    ``"section"`` key; every marker is written, in order.

    Args:
        template_id: the message ID.
        topic: picks the template registry as for :func:`parse` (needed for
            the system messages, e.g. ``topic="s/dcr"`` for 70).
        groups: the items of the repeating group or sections, as dicts.
        device: the child device of an upstream message (the topic it goes
            to names it); for downstream 5xx messages pass ``serial``.
        **values: the fixed parameters by name.

    Raises:
        UnknownTemplate: no template of that ID on that topic.
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the
            values do not fit the template (the same checks as :func:`parse`);
            also a value that cannot be written (a naive ``datetime``, a
            float that is not finite, a 527/531 value equal to a marker).
        TypeError: a name the template does not have, or a value of a type
            that cannot be written.
    """
    t = lookup(template_id, topic=topic)
    unknown = set(values) - set(t.names)
    if unknown:
        raise TypeError(f"{t.label} has no parameter {', '.join(sorted(map(repr, unknown)))} "
                        f"(it has {', '.join(t.names) or 'none'})")
    first = str(template_id) if t.id is None else str(t.id)
    row = [first] + [_text(t, i + 1, name, values.get(name)) for i, name in enumerate(t.names)]
    items = list(groups)
    if items and not t.blocks:
        raise TypeError(f"{t.label} has no repeating group")
    if not items or t.markers:
        # Drop optional values left empty at the end; required and
        # "present" ones stay (see the module rules).
        while len(row) > t.min_len and not row[-1]:
            row.pop()
    if t.blocks:
        row += _group_values(t, items, len(row))
    _check(t, row)
    return Message(t, row, row[1] if t.has_serial else device)


def _text(t: Template, position: int, name: str, value: Value) -> str:
    try:
        return format_value(value)
    except ValueError as exc:
        raise InvalidValue(f"{t.label}: {name!r}: {exc}", None, None, position,
                           template_id=t.id, field_name=name) from None
    except TypeError as exc:
        raise TypeError(f"{t.label}: {name!r}: {exc}") from None


def _group_values(t: Template, items: List[Mapping[str, Value]], start: int) -> List[str]:
    out: List[str] = []
    by_block: Dict[int, List[Mapping[str, Value]]] = {}
    last = -1
    for number, item in enumerate(items):
        b = 0
        if t.markers:
            marker = item.get("section")
            if marker not in t.markers:
                raise TypeError(f"{t.label}: group item {number} needs 'section', one of "
                                f"{', '.join(t.markers)}")
            b = t.markers[marker]
            if b < last:
                raise InvalidValue(f"{t.label}: section {marker} item after a later section",
                                   None, None, None, template_id=t.id)
        last = b
        by_block.setdefault(b, []).append(item)
    for b, block in enumerate(t.blocks):
        if block.marker:
            out.append(block.marker)
        block_items = by_block.get(b, [])
        if not block.repeating and len(block_items) > 1:
            raise TooManyValues(f"{t.label}: section {block.marker} has one item, not "
                                f"{len(block_items)}", None, None, None, template_id=t.id)
        for item in block_items:
            extra = set(item) - set(block.names) - {"section"}
            if extra:
                raise TypeError(f"{t.label}: group item has no value "
                                f"{', '.join(sorted(map(repr, extra)))} "
                                f"(it has {', '.join(block.names)})")
            for name in block.names:
                text = _text(t, start + len(out), name, item.get(name))
                if text in t.markers:
                    raise InvalidValue(f"{t.label}: {name!r} cannot be {text!r}, "
                                       "a section marker", None, None, start + len(out),
                                       template_id=t.id, field_name=name)
                out.append(text)
    return out


# ------------------------------------------------------------------ payloads


def decode_messages(
    payload: Any,
    *,
    topic: Optional[str] = None,
    typed: bool = False,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    strict: bool = False,
) -> List[Message]:
    """Decode a payload and read every row through its template.

    Args:
        payload: bytes-like or ``str``, as for :func:`smartrest.decode`.
        topic: the topic of the publish; it picks the templates (see
            :func:`parse`) and counts for the size limit.
        typed: convert values on access (see :class:`Message`).
        qos, limit, strict: as for :func:`smartrest.decode`.

    Raises:
        UnknownTemplate, MissingValue, TooManyValues, InvalidValue,
        IncompleteGroup: a row does not fit its template.  ``offset`` is the
            byte offset of the row's first byte in the payload, ``row`` its
            index, ``field`` the value's index in the row.
        InvalidTopic: a malformed topic.
        SmartRestError: the payload itself is malformed (see
            :func:`smartrest.decode`).
    """
    from . import decode

    where = _where(topic)
    rows = decode(payload, topic=topic, qos=qos, limit=limit, strict=strict)
    table = _FAST_TABLES.get(id(where.registry)) if _FAST is not None else None
    if table is not None and type(rows) is list:
        result = _FAST.messages(rows, table, _slow_message, where, where.device, typed,
                                _BUILDER)
        if type(result) is list:
            return result
        _raise_first(rows, result, payload, topic)
    out, fits = _python_messages(rows, where, topic, typed)
    if fits:
        return out
    # Something does not fit: check row by row to report the first problem.
    _raise_first(rows, 0, payload, topic)
    raise AssertionError("unreachable")


def _python_messages(rows: List[List[str]], where: _Where, topic: Optional[str],
                     typed: bool) -> Tuple[List[Message], bool]:
    """The messages of decoded rows, in Python, and whether every row fits."""
    get = where.registry.get
    device = where.device
    batches: Dict[str, List[str]] = {kind: [] for kind in _TYPES}
    sinks: Sinks = {kind: values.append for kind, values in batches.items()}
    out: List[Message] = []
    append = out.append
    fits = True
    for row in rows:
        t = get(row[0])
        if t is None:
            try:
                t = lookup(row[0], topic=topic)
            except TemplateError:
                fits = False
                break
        quick = t.quick_check
        if quick is None:
            try:
                _check(t, row)
            except TemplateError:
                fits = False
                break
        elif not quick(row, sinks):
            fits = False
            break
        append(Message(t, row, row[1] if t.has_serial else device, typed))
    return out, fits and all(_all_of_type(kind, values) for kind, values in batches.items())


def _raise_first(rows: List[List[str]], start: int, payload: Any, topic: Optional[str]) -> None:
    """Raise the problem of the first row from ``start`` on that does not fit."""
    for index in range(start, len(rows)):
        row = rows[index]
        try:
            _check(lookup(row[0], topic=topic), row)
        except TemplateError as exc:
            raise _located(exc, payload, index) from None
    raise AssertionError("a row failed the quick check but passes the full one")


# ------------------------------------------------------------------ the C fast path
#
# smartrest._messages checks decoded rows against tables made here from the
# registry (one Spec per template) and makes the messages in C.  Rows it does
# not handle itself (s/e lines, the sections of 527/531, typed values with
# non-ASCII text...) go to _slow_message.  Without the extension, or with
# SMARTREST_PURE_PYTHON=1, decode_messages runs _python_messages.


def _slow_message(row: List[str], where: _Where, typed: bool) -> Optional[Message]:
    """The message of one row checked in Python, or ``None`` when it does not fit."""
    try:
        t = lookup(row[0], topic=where.topic)
        _check(t, row)
    except TemplateError:
        return None
    return Message(t, row, row[1] if t.has_serial else where.device, typed)


def _fast_spec(fast: Any, t: Template) -> Any:
    """The table of ``t`` for :func:`smartrest._messages.messages`."""
    codes = {NUMBER: fast.NUMBER, INTEGER: fast.INTEGER, BOOLEAN: fast.BOOLEAN,
             DATE: fast.DATE}

    def typed_at(params: Sequence[Param], first: int) -> List[Tuple[int, int]]:
        return [(first + i, codes[p.type]) for i, p in enumerate(params) if p.type in codes]

    slow = t.rest or bool(t.markers) or len(t.blocks) > 1 or len(t.one_of) > 1
    block = None
    if t.blocks and not slow:
        b = t.blocks[0]
        block = (b.width, b.min_items, b.min_last, b.required, typed_at(b.params, 0))
    return fast.Spec(t, has_serial=t.has_serial, min_len=t.min_len, fixed_len=t.fixed_len,
                     required=t.required, checks=typed_at(t.params, 1),
                     one_of=t.one_of[0] if t.one_of else (), block=block, slow=slow)


def _load_fast() -> Tuple[Any, Any, Dict[int, Dict[str, Any]]]:
    fast = messages_module()
    if fast is None:
        return None, None, {}
    try:
        builder = fast.Builder(Message)
    except TypeError:  # Message is not laid out as the builder needs
        return None, None, {}
    tables = {}
    for registry in (*_REGISTRIES.values(), _STATIC):
        tables[id(registry)] = {key: _fast_spec(fast, t) for key, t in registry.items()
                                if key is not None}
    return fast, builder, tables


_FAST, _BUILDER, _FAST_TABLES = _load_fast()


def _located(exc: TemplateError, payload: Any, index: int) -> TemplateError:
    """``exc`` with the row index and the byte offset of the row's start."""
    located: TemplateError = type(exc)(exc.reason, _row_start(payload, index), index,
                                       exc.field, template_id=exc.template_id,
                                       field_name=exc.field_name)
    return located


def _row_start(payload: Any, index: int) -> int:
    """Byte offset of row ``index`` of a payload that decodes (error path only).

    The payload is fed to a :class:`smartrest.Decoder` one line at a time:
    the feed that completes a row ends at that row's LF.
    """
    from . import Decoder

    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) \
        else memoryview(payload).cast("B").tobytes()
    decoder = Decoder(limit=None)
    done = 0
    start = 0  # just past the LF that ends row done-1
    while done < index:
        lf = data.find(b"\n", start)
        done += len(decoder.feed(data[start:lf + 1]))
        start = lf + 1
    return _skip_empty_lines(data, start)  # empty lines in front are not part of the row
