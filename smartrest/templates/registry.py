"""The registry of templates, built from ``smartrest/data/templates.json``.

A :class:`Template` is one row of that file, with the tables that checking a
row needs (parameter names, which values must be present or non-empty, the
type checks, the layout of its repeating groups).  The templates are kept in
one registry per kind and direction of topic (static upstream and
downstream, ``s/dcr``, ``s/dat``, ``s/dt``, ``s/e``); :data:`TEMPLATES` holds
every static one and :func:`lookup` finds a template by message ID.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

from .. import topics as _topics
from .._spec import snake, spec
from ..errors import UnknownTemplate
from .checks import Sinks, _quick_check
from .types import _TYPE_NAMES, _TYPES, INTEGER, OPTIONAL, PRESENT, REQUIRED, STRING


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


def numeric_id(key: str) -> Optional[int]:
    """A message ID as an ``int``, or None when it is not a number
    (``str.isdigit`` accepts characters such as ``'²'`` that ``int`` refuses)."""
    if not key.isdigit():
        return None
    try:
        return int(key)
    except ValueError:
        return None


def _unknown(key: str, where: _Where) -> UnknownTemplate:
    tid = numeric_id(key)
    other = _STATIC.get(key)
    if where.topic is None:
        reason = f"template {key!r} is not a static template"
    elif other is not None:
        side = "an upstream" if other.direction == "up" else "a downstream"
        reason = f"template {key} is {side} template; topic {where.topic!r} does not carry it"
    else:
        reason = f"template {key!r} is not a template of topic {where.topic!r}"
    return UnknownTemplate(reason, None, None, 0, template_id=tid)
