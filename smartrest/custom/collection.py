"""A SmartREST 2.0 template collection, and the device side of it.

:class:`TemplateCollection` reads, checks and writes a collection; for the
device it writes the rows to publish (:meth:`TemplateCollection.request`)
and reads the rows received (:meth:`TemplateCollection.parse_response`,
:class:`Response`), and :func:`parse_status` reads the ``s/dt`` replies.
Its gateway methods are those of :mod:`smartrest.custom.gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .. import decode, encode
from .. import topics as _topics
from .._limits import LIMIT, packet_size
from .._values import str_row, trim_trailing_empty
from ..errors import (
    AmbiguousResponse,
    DuplicateTemplate,
    InvalidValue,
    MissingValue,
    PayloadTooLarge,
    TooManyValues,
    UnknownTemplate,
)
from ..templates import Message, format_value
from ..templates import parse as _parse_message
from . import gateway
from .layouts import REQUEST_PREFIX, RESPONSE_PREFIX
from .rows import (
    RequestTemplate,
    ResponseTemplate,
    Template,
    assigned,
    fail,
    read_request,
    read_response,
)

#: The topic of the replies to an empty publish on ``s/ut/<X-ID>`` (``s/dt``).
STATUS_TOPIC = _topics.build(_topics.TEMPLATE, "down")


def parse_status(row: Sequence[str]) -> Message:
    """Read a reply of ``s/dt``: ``20,<X-ID>,<collection ID>`` (the collection
    exists; ``msg["xid"]``, ``msg["collection_id"]``) or ``41,<X-ID>`` (it does not).

    Raises:
        UnknownTemplate: neither 20 nor 41.
        MissingValue, TooManyValues: the row does not fit its format.
        TypeError: ``row`` is not a sequence of ``str``.
    """
    return _parse_message(row, topic=STATUS_TOPIC)


@dataclass(frozen=True)
class Response:
    """A row received on ``s/dc/<X-ID>``, read through its response template.

    Attributes:
        template: the :class:`~smartrest.custom.ResponseTemplate`.
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
            values = str_row(given, index, allow_empty=True)
            row = trim_trailing_empty(list(values))
            if not row or row[0] not in (REQUEST_PREFIX, RESPONSE_PREFIX):
                raise UnknownTemplate(
                    f"row {index} of a collection starts with {row[0] if row else ''!r}, "
                    f"not {REQUEST_PREFIX} (request) or {RESPONSE_PREFIX} (response)",
                    None, index, 0)
            if len(row) < 2 or not row[1]:
                fail(MissingValue, None, "a template needs its message ID", row=index,
                     field=1, name="msgId")
            if row[1] in seen:
                fail(DuplicateTemplate, row[1], f"message ID {row[1]!r} again (row "
                     f"{seen[row[1]]} has it)", row=index, field=1, name="msgId")
            seen[row[1]] = index
            templates.append(read_request(row, index, len(values)) if row[0] == REQUEST_PREFIX
                             else read_response(row, index))
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
        return cls(xid, decode(payload, topic=_topics.build(_topics.TEMPLATE, "up", xid=xid)))

    # -------------------------------------------------------------- writing

    def to_rows(self) -> List[List[str]]:
        """The rows of the collection, as :meth:`RequestTemplate.to_row` and
        :meth:`ResponseTemplate.to_row` write them: in the documented shape,
        and for a collection read from rows, ending each row as it ended there."""
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
            fail(UnknownTemplate, msg_id, f"no request template {msg_id!r} in collection "
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
        for i, value in zip(assigned(t, len(values)), values):
            name = t.slots[i].name
            try:
                row.append(format_value(value))
            except ValueError as exc:
                fail(InvalidValue, key, f"{name!r}: {exc}", field=len(row), name=name)
            except TypeError as exc:
                raise TypeError(f"template {key}: {name!r}: {exc}") from None
        gateway.platform_request(t, row)
        return row

    def to_request(self, row: Sequence[str]) -> gateway.PlatformRequest:
        """What a device line of ``s/uc/<X-ID>`` stands for on the platform,
        as :func:`smartrest.custom.gateway.platform_request` reads it: every
        value is checked against its type, and an empty value must be set
        but for a DATE (server time), a custom STRING and the external ID
        of POST INVENTORY and its type.

        Raises:
            UnknownTemplate: no request template of the row's message ID.
            MissingValue: too few values, or an empty one that must be set.
            TooManyValues: more values than the template asks for.
            InvalidValue: a value not of its type.
            TypeError: ``row`` is not a sequence of ``str``.
        """
        values = str_row(row)
        return gateway.platform_request(self._request_template(values[0]), values)

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
        return gateway.render_responses(self.responses.values(), obj, device=device)

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
        values = str_row(row)
        msg_id = values[0]
        t = self.responses.get(msg_id)
        if t is None:
            what = " (it is a request template)" if msg_id in self.requests else ""
            fail(UnknownTemplate, msg_id, f"no response template {msg_id!r} in collection "
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
            fail(cls, msg_id, f"{have} values{with_device}, but the template has {n} "
                 f"pattern{'s' if n != 1 else ''}", field=min(len(values), 1 + d + n))
        if len(readings) > 1:
            fail(AmbiguousResponse, msg_id, "a [*] pattern leaves open whether the device "
                 "ID was inserted; pass operation=True or False")
        d = readings[0]
        rest = values[1 + d:]
        extra = len(rest) - n
        if extra and sum(varying) > 1:
            fail(AmbiguousResponse, msg_id, "two [*] patterns: the values cannot be split")
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
