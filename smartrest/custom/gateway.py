"""The gateway side of SmartREST 2.0: what the platform does with a collection.

:func:`platform_request` says what a device line of ``s/uc/<X-ID>`` stands
for (:class:`PlatformRequest`: method, API, JSON body, the object it acts
on); :func:`render_responses` turns a JSON object (a GET result or an
operation) into the rows for ``s/dc/<X-ID>``.
:class:`~smartrest.custom.TemplateCollection` offers both as methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..errors import InvalidValue, MissingValue
from ..templates import BOOLEAN
from .layouts import PAIRS
from .paths import parse_path, put
from .rows import Field, RequestTemplate, ResponseTemplate, assigned, fail
from .values import DATE, FLAG, STRING, invalid, json_value


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


def _may_be_empty(t: RequestTemplate, slot: Field) -> bool:
    """Whether ``slot`` may stay empty once the device's values are in (DATEs aside)."""
    if slot.custom:
        return slot.type in (STRING, FLAG)
    return PAIRS[(t.method, t.api)].registers_id and slot.name in ("externalId",
                                                                    "externalIdType")


def platform_request(t: RequestTemplate, values: Sequence[str]) -> PlatformRequest:
    """What the device line ``values`` (its message ID first) of template ``t``
    stands for on the platform.

    Every value is checked against its type.  An empty value must be set,
    except a DATE (server time), a custom STRING (``""``) and the external
    ID of POST INVENTORY and its type (no external ID is registered; a
    non-empty ID needs its type).

    Raises:
        MissingValue: too few values, or an empty one that must be set.
        TooManyValues: more values than the template asks for.
        InvalidValue: a value not of its type.
    """
    # slot index -> row position of the device's value
    positions = {i: p for p, i in enumerate(assigned(t, len(values) - 1), 1)}
    pair = PAIRS[(t.method, t.api)]
    body: Dict[str, Any] = {}
    target: Dict[str, str] = {}
    server_time: List[str] = []
    for i, slot in enumerate(t.slots):
        position = positions.get(i)
        text = slot.value if position is None else values[position]
        if text:
            why = invalid(slot.type, text)
            if why:
                fail(InvalidValue, t.msg_id, f"{slot.name!r} must be {why}, not {text!r}",
                     field=position, name=slot.name)
        elif slot.type == DATE:
            server_time.append(slot.name)
            continue
        elif not _may_be_empty(t, slot):
            fail(MissingValue, t.msg_id, f"{slot.name!r} is empty", field=position,
                 name=slot.name)
        if slot.custom:
            put(body, parse_path(slot.name).steps,
                {} if slot.type == FLAG else json_value(slot.type, text))
        elif pair.body:
            body[slot.name] = json_value(slot.type, text)
        elif slot.type != BOOLEAN:  # byId chose the slots; it is no value
            target[slot.name] = text
    if pair.registers_id:
        if not target["externalId"]:
            target = {}
        elif not target["externalIdType"]:
            i = next(i for i, s in enumerate(t.slots) if s.name == "externalIdType")
            fail(MissingValue, t.msg_id, "'externalIdType' is empty, but an external ID "
                 "is given", field=positions.get(i), name="externalIdType")
    return PlatformRequest(t.msg_id, t.method, t.api, body, target, tuple(server_time),
                           t.responds)


def render_responses(templates: Iterable[ResponseTemplate], obj: Mapping[str, Any], *,
                     device: Optional[str] = None) -> List[List[str]]:
    """The rows the platform sends on ``s/dc/<X-ID>`` for the JSON object ``obj``.

    Every one of ``templates`` whose condition holds gives one row, in
    order: its message ID, ``device`` when given (the device's external ID,
    for operations; GET results have none), then the values of
    :meth:`ResponseTemplate.render`.

    Raises:
        TypeError: ``obj`` is not a mapping, or holds a value of a type
            JSON does not have.
        ValueError: a value is a float that is not finite.
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"the JSON object must be a mapping, not {type(obj).__name__}")
    head = [] if device is None else [device]
    return [[t.msg_id, *head, *t.render(obj)] for t in templates if t.matches(obj)]
