"""MQTT topics and ClientIds of the Cumulocity SmartREST interface.

A topic is ``<mode>/<type>[/<X-ID>][/<child>]``: the processing mode
(``s`` persistent, ``t`` transient, ``q`` quiescent, ``c`` CEP), then the
type, which fixes the direction (``u`` up, ``d`` down) and the kind of
payload, then the X-ID of a SmartREST 2.0 collection and the ID of a child
device where the type takes them.  :func:`parse` reads one, :func:`build`
writes one; both check it against one table of topic types.

A ClientId is ``[connectionType:]deviceIdentifier[:defaultX-ID]``
(:func:`parse_client_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, NamedTuple, Optional, Tuple

from ._spec import spec
from .errors import InvalidClientId, InvalidTopic

__all__ = [
    "STATIC",
    "CUSTOM",
    "DEFAULT",
    "ERROR",
    "CREDENTIALS",
    "TOKEN",
    "TEMPLATE",
    "SMARTREST1",
    "SMARTREST1_OPERATIONS",
    "PROCESSING_MODES",
    "Topic",
    "ClientId",
    "parse",
    "build",
    "parse_client_id",
    "MQTT31_CLIENT_ID_WARNING",
]

#: Kinds of topic: what the payload holds.
STATIC = "static"  #: static templates (s/us, s/ds)
CUSTOM = "custom"  #: SmartREST 2.0 templates of an explicit X-ID (s/uc/<X-ID>, s/dc/<X-ID>)
DEFAULT = "default"  #: SmartREST 2.0 templates of the ClientId's default X-ID (s/ud, s/dd)
ERROR = "error"  #: debug and error lines (s/e)
CREDENTIALS = "credentials"  #: bootstrap credentials (s/ucr, s/dcr)
TOKEN = "token"  #: JWT for certificate-authenticated devices (s/uat, s/dat)
TEMPLATE = "template"  #: template collection registration and status (s/ut/<X-ID>, s/dt)
SMARTREST1 = "smartrest1"  #: SmartREST 1.0 requests and responses (s/ul/<X-ID>, s/dl/<X-ID>)
SMARTREST1_OPERATIONS = "smartrest1-operations"  #: SmartREST 1.0 operations (s/ol/<X-ID>)

#: Processing mode of each topic prefix, from ``templates.json``.
PROCESSING_MODES: Dict[str, str] = {
    entry["prefix"].rstrip("/"): entry["mode"]
    for entry in spec()["processing_modes"]
    if "prefix" in entry
}


class _Shape(NamedTuple):
    kind: str
    direction: str  # "up" or "down"
    modes: str  # the processing modes allowed
    xid: bool  # an X-ID level follows the type
    child: bool  # a child level may follow


# Data topics (upstream) take every processing mode; the rest exist only under s/.
_SHAPES: Dict[str, _Shape] = {
    "us": _Shape(STATIC, "up", "stqc", False, True),
    "ds": _Shape(STATIC, "down", "s", False, False),
    "e": _Shape(ERROR, "down", "s", False, False),
    "uc": _Shape(CUSTOM, "up", "stqc", True, True),
    "dc": _Shape(CUSTOM, "down", "s", True, False),
    "ud": _Shape(DEFAULT, "up", "stqc", False, True),
    "dd": _Shape(DEFAULT, "down", "s", False, False),
    "ut": _Shape(TEMPLATE, "up", "s", True, False),
    "dt": _Shape(TEMPLATE, "down", "s", False, False),
    "ucr": _Shape(CREDENTIALS, "up", "s", False, False),
    "dcr": _Shape(CREDENTIALS, "down", "s", False, False),
    "uat": _Shape(TOKEN, "up", "s", False, False),
    "dat": _Shape(TOKEN, "down", "s", False, False),
    "ul": _Shape(SMARTREST1, "up", "stqc", True, False),
    "dl": _Shape(SMARTREST1, "down", "s", True, False),
    "ol": _Shape(SMARTREST1_OPERATIONS, "down", "s", True, False),
}
_TYPE_OF: Dict[Tuple[str, str], str] = {(s.kind, s.direction): t for t, s in _SHAPES.items()}

# Characters no topic level of ours may hold: MQTT wildcards and NUL.
_FORBIDDEN = ("+", "#", "\x00")


@dataclass(frozen=True)
class Topic:
    """A parsed SmartREST topic.

    Attributes:
        text: the topic as written.
        mode: the processing-mode prefix, ``"s"``, ``"t"``, ``"q"`` or ``"c"``.
        direction: ``"up"`` (the device publishes) or ``"down"`` (it
            subscribes).
        kind: one of :data:`STATIC`, :data:`CUSTOM`, :data:`DEFAULT`,
            :data:`ERROR`, :data:`CREDENTIALS`, :data:`TOKEN`,
            :data:`TEMPLATE`, :data:`SMARTREST1`, :data:`SMARTREST1_OPERATIONS`.
        xid: the X-ID of the template collection, or ``None``.
        child: the child device's ID the data is for, or ``None`` for the
            device itself.
    """

    text: str
    mode: str
    direction: str
    kind: str
    xid: Optional[str] = None
    child: Optional[str] = None

    @property
    def processing_mode(self) -> str:
        """``"PERSISTENT"``, ``"TRANSIENT"``, ``"QUIESCENT"`` or ``"CEP"``."""
        return PROCESSING_MODES[self.mode]

    @property
    def publishable(self) -> bool:
        """Whether a device may publish to this topic."""
        return self.direction == "up"

    def __str__(self) -> str:
        return self.text


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def parse(topic: str, *, publish: bool = False) -> Topic:
    """Parse a SmartREST topic such as ``s/us``, ``t/uc/myXid/child1`` or ``s/dt``.

    Args:
        topic: the MQTT topic.
        publish: also require a topic a device may publish to.

    Raises:
        InvalidTopic: the topic is malformed (unknown mode or type, a
            missing or extra level, an empty level, a wildcard), is not a
            SmartREST topic, takes no processing mode other than ``s``, or
            with ``publish=True`` is a subscribe topic.  The ``offset`` is the
            byte offset of the offending level.
        TypeError: ``topic`` is not a ``str``.
    """
    if not isinstance(topic, str):
        raise TypeError(f"topic must be str, not {type(topic).__name__}")
    if not topic:
        raise InvalidTopic("empty topic", 0)
    levels = topic.split("/")
    starts = []
    at = 0
    for level in levels:
        starts.append(at)
        at += len(level) + 1
    for level, start in zip(levels, starts):
        if not level:
            raise InvalidTopic(f"topic {topic!r} has an empty level", _offset(topic, start))
        for ch in _FORBIDDEN:
            if ch in level:
                raise InvalidTopic(f"topic {topic!r} holds {ch!r}, which no SmartREST topic holds",
                                   _offset(topic, start + level.index(ch)))
    mode = levels[0]
    if mode not in PROCESSING_MODES:
        raise InvalidTopic(
            f"topic {topic!r} does not start with a processing mode "
            f"({', '.join(m + '/' for m in PROCESSING_MODES)}); it is not a SmartREST topic", 0)
    if len(levels) < 2:
        raise InvalidTopic(f"topic {topic!r} has no type after {mode}/", _offset(topic, len(topic)))
    shape = _SHAPES.get(levels[1])
    if shape is None:
        raise InvalidTopic(f"topic {topic!r}: unknown topic type {levels[1]!r} "
                           f"(one of {', '.join(_SHAPES)})", _offset(topic, starts[1]))
    if mode not in shape.modes:
        what = "subscribe topics exist" if shape.direction == "down" else f"{levels[1]} exists"
        raise InvalidTopic(f"topic {topic!r}: {what} only under s/, not {mode}/", 0)
    rest = levels[2:]
    rest_starts = starts[2:]
    xid = None
    if shape.xid:
        if not rest:
            raise InvalidTopic(f"topic {topic!r} needs an X-ID: {mode}/{levels[1]}/<X-ID>",
                               _offset(topic, len(topic)))
        xid = rest.pop(0)
        rest_starts.pop(0)
    child = None
    if rest and shape.child:
        child = rest.pop(0)
        rest_starts.pop(0)
    if rest:
        takes = "<X-ID>" if shape.xid else ""
        if shape.child:
            takes += ("/" if takes else "") + "<child>"
        form = f"{mode}/{levels[1]}" + (f"/{takes}" if takes else "")
        raise InvalidTopic(f"topic {topic!r} has a level too many (the form is {form})",
                           _offset(topic, rest_starts[0]))
    if publish and shape.direction != "up":
        raise InvalidTopic(f"a device cannot publish to {topic!r}: it is a subscribe topic", 0)
    return Topic(topic, mode, shape.direction, shape.kind, xid, child)


def build(
    kind: str,
    direction: str = "up",
    *,
    mode: str = "s",
    xid: Optional[str] = None,
    child: Optional[str] = None,
) -> str:
    """Write the topic of a kind and direction, e.g. ``build("static", child="c1")``.

    Args:
        kind: one of the kind constants of this module.
        direction: ``"up"`` or ``"down"``.
        mode: the processing mode, ``"s"``, ``"t"``, ``"q"`` or ``"c"``.
        xid: the X-ID, for the kinds that take one.
        child: the child device, for upstream data topics.

    Raises:
        InvalidTopic: there is no such topic, an X-ID is missing or not
            taken, a child is not taken, or a level is malformed (see
            :func:`parse`).
    """
    type_ = _TYPE_OF.get((kind, direction))
    if type_ is None:
        raise InvalidTopic(f"there is no {direction} topic of kind {kind!r}")
    shape = _SHAPES[type_]
    if xid is not None and not shape.xid:
        raise InvalidTopic(f"{mode}/{type_} takes no X-ID")
    if child is not None and not shape.child:
        raise InvalidTopic(f"{mode}/{type_} takes no child")
    levels = [mode, type_]
    for value in (xid, child):
        if value is not None:
            if "/" in value:
                raise InvalidTopic(f"a topic level cannot hold '/': {value!r}")
            levels.append(value)
    return parse("/".join(levels)).text


@dataclass(frozen=True)
class ClientId:
    """A parsed MQTT ClientId.

    Attributes:
        connection_type: ``"d"`` (device), the documented default.
        device: the device identifier; it becomes the device's ``c8y_Serial``
            external ID and alone decides which client this is.
        default_xid: the default SmartREST 2.0 X-ID (for ``s/ud``, ``s/dd``),
            or ``None``.
        notes: warnings that do not make the ClientId invalid.
    """

    connection_type: str
    device: str
    default_xid: Optional[str] = None
    notes: Tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.connection_type}:{self.device}"
        return text + (f":{self.default_xid}" if self.default_xid is not None else "")


#: The ClientId length from which an MQTT 3.1 broker may answer CONNACK 5.
MQTT31_CLIENT_ID_WARNING = 24

_CONNECTION_TYPES = {spec()["client_id"]["fields"][0]["default"]}


def parse_client_id(text: str) -> ClientId:
    """Parse ``[connectionType:]deviceIdentifier[:defaultX-ID]``.

    The connection type defaults to ``d``, the only one documented; the
    ``d:`` prefix is required when a default X-ID is given, and the device
    identifier must not contain ``:``.  A ClientId of 24 characters or more
    is valid but gets a note: MQTT 3.1 brokers may refuse it with CONNACK 5.

    Raises:
        InvalidClientId: empty ClientId, empty identifier or X-ID, unknown
            connection type (which is what a ``:`` in the identifier looks
            like), or more than three parts.
        TypeError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"ClientId must be str, not {type(text).__name__}")
    if not text:
        raise InvalidClientId("empty ClientId", 0)
    parts = text.split(":")
    if len(parts) > 3:
        at = len(":".join(parts[:3]))
        raise InvalidClientId(
            f"ClientId {text!r} has {len(parts)} parts: the device identifier must not "
            "contain ':' (the form is [d:]deviceIdentifier[:defaultX-ID])", _offset(text, at))
    if len(parts) == 1:
        connection_type, device, xid = "d", parts[0], None
    else:
        connection_type, device = parts[0], parts[1]
        xid = parts[2] if len(parts) == 3 else None
        if connection_type not in _CONNECTION_TYPES:
            hint = (" (a default X-ID needs the d: prefix, and the device identifier "
                    "must not contain ':')")
            raise InvalidClientId(
                f"ClientId {text!r}: unknown connection type {connection_type!r}{hint}", 0)
    if not device:
        raise InvalidClientId(f"ClientId {text!r} has an empty device identifier",
                              _offset(text, len(connection_type) + 1 if len(parts) > 1 else 0))
    if xid == "":
        raise InvalidClientId(f"ClientId {text!r} has an empty default X-ID",
                              _offset(text, len(text)))
    notes: Tuple[str, ...] = ()
    if len(text) >= MQTT31_CLIENT_ID_WARNING:
        notes = (f"ClientId of {len(text)} characters: MQTT 3.1 brokers may refuse ClientIds "
                 f"of {MQTT31_CLIENT_ID_WARNING} or more with CONNACK 5 (MQTT 3.1.1 does not)",)
    return ClientId(connection_type, device, xid, notes)
