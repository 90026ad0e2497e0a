"""SmartREST over a real MQTT connection (paho-mqtt 2.x, extra ``smartrest[mqtt]``).

The functions here take a connected :class:`paho.mqtt.client.Client` and
never open connections themselves, so TLS, credentials and the ClientId
(``d:<serial>[:<X-ID>]``) stay the caller's choice.

* :func:`publish_rows` packs rows into publishes that fit the 16184-byte
  packet limit and publishes them in order.
* :func:`decode_message` / :class:`MessageHandler` turn a received message
  into messages according to its topic: static templates on ``s/ds`` (and
  ``s/us``), errors on ``s/e``, credentials on ``s/dcr`` and tokens on
  ``s/dat`` through :mod:`smartrest.templates`; responses of custom
  templates on ``s/dc/<X-ID>`` through :mod:`smartrest.custom`.
* :func:`create_device`, :func:`subscribe_operations`,
  :func:`request_credentials` and :func:`startup` carry out the startup
  phase of a device: request credentials with the bootstrap user, create the
  device and its children (templates 100 and 101), subscribe to topics.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import LIMIT, decode, pack
from ._values import trim_trailing_empty
from .errors import InvalidTopic, SmartRestError

if TYPE_CHECKING:  # paho is only needed by the caller, who passes a client
    from paho.mqtt.client import Client, MQTTMessage, MQTTMessageInfo

    from .custom import TemplateCollection

_log = logging.getLogger(__name__)

__all__ = [
    "Credentials",
    "CustomRow",
    "MessageHandler",
    "Received",
    "create_device",
    "decode_message",
    "publish_rows",
    "request_credentials",
    "startup",
    "subscribe_operations",
]


# ------------------------------------------------------------------ publishing


def publish_rows(
    client: Client,
    rows: Iterable[Iterable[Any]],
    *,
    topic: str = "s/us",
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    on_oversize: str = "raise",
    quote_escape: str = "backslash",
) -> List[MQTTMessageInfo]:
    """Pack ``rows`` with :func:`smartrest.pack` and publish each pack on ``topic``.

    Every publish holds whole rows, in order, and its packet (header
    included) is at most ``limit`` bytes.  The rows are all packed before
    the first publish, so a row that cannot be encoded publishes nothing.

    Returns:
        what ``client.publish`` returned for each publish, in order; call
        ``wait_for_publish()`` on them to wait for delivery at QoS 1 and 2.

    Raises:
        RowTooLarge: a row cannot fit in one publish (see ``on_oversize``).
        TypeError: a value cannot be encoded.
        ValueError: a bad ``qos`` or option.
    """
    payloads = pack(rows, topic=topic, qos=qos, limit=limit, on_oversize=on_oversize,
                    quote_escape=quote_escape)
    return [client.publish(topic, payload, qos=qos) for payload in payloads]


# ------------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Credentials:
    """Device credentials, from the ``70,<tenantID>,<username>,<password>`` row on ``s/dcr``."""

    tenant: str
    username: str
    password: str

    @property
    def user(self) -> str:
        """The MQTT user name to connect with: ``<tenantID>/<username>``."""
        return f"{self.tenant}/{self.username}"


@dataclass(frozen=True)
class CustomRow:
    """A row of a SmartREST 2.0 template collection (``s/dc/<X-ID>``, ``s/dd``, ...).

    ``xid`` is ``None`` on the default-collection topics ``s/dd`` and
    ``s/ud``, whose X-ID is the ClientId's.
    """

    xid: Optional[str]
    template_id: str
    values: Tuple[str, ...]


@dataclass(frozen=True)
class Received:
    """One received MQTT message, decoded: what :class:`MessageHandler` hands on."""

    topic: str
    qos: int
    messages: List[Any]


def decode_message(
    topic: str,
    payload: Union[bytes, bytearray, memoryview],
    *,
    qos: int = 0,
    collections: Optional[Mapping[str, TemplateCollection]] = None,
    default_xid: Optional[str] = None,
) -> List[Any]:
    """Decode one received message into messages, according to its ``topic``.

    * Static templates (``s/ds``, ``s/us``, ``s/us/<child>``...), errors
      (``s/e``), credentials (``s/dcr``), tokens (``s/dat``) and template
      status (``s/dt``): a :class:`smartrest.templates.Message` per row, from
      :func:`smartrest.templates.decode_messages`.
    * Responses of a SmartREST 2.0 collection on ``s/dc/<X-ID>`` (or
      ``s/dd``, whose X-ID is ``default_xid``, the ClientId's): a
      :class:`smartrest.custom.Response` per row when ``collections`` holds
      the collection under its X-ID, else a :class:`CustomRow` per row, as
      for the upstream ``s/uc/<X-ID>`` and ``s/ud``.

    The payload is checked against the exact packet limit for ``topic`` and
    ``qos``.

    Raises:
        SmartRestError: (a subclass of) for a malformed payload or topic, or
            a row that does not fit its template.
    """
    from . import templates, topics

    where = topics.parse(topic)
    if where.kind in (topics.CUSTOM, topics.DEFAULT):
        rows = decode(payload, topic=topic, qos=qos)
        xid = where.xid if where.kind == topics.CUSTOM else default_xid
        collection = (collections or {}).get(xid) if xid is not None else None
        if collection is not None and where.direction == "down":
            return [collection.parse_response(row) for row in rows]
        return [CustomRow(where.xid, row[0], tuple(row[1:])) for row in rows]
    messages: List[Any] = templates.decode_messages(payload, topic=topic, qos=qos)
    return messages


class MessageHandler:
    """A paho ``on_message`` callback that decodes each message by its topic.

    ``callback`` receives a :class:`Received` per message;
    ``collections`` and ``default_xid`` are as for :func:`decode_message`.
    A message that
    cannot be decoded goes to ``on_error`` with its topic and the
    :class:`SmartRestError` instead; without ``on_error`` the error is logged
    on the ``smartrest.mqtt`` logger.  (Raising it would stop paho's network
    loop, so one bad message from the server would cut the device off.)

    Use it as ``client.on_message = MessageHandler(callback)`` or for some
    topics only with ``client.message_callback_add("s/ds", handler)``.
    """

    def __init__(
        self,
        callback: Callable[[Received], None],
        *,
        on_error: Optional[Callable[[str, SmartRestError], None]] = None,
        collections: Optional[Mapping[str, TemplateCollection]] = None,
        default_xid: Optional[str] = None,
    ) -> None:
        self.callback = callback
        self.on_error = on_error
        self.collections = collections
        self.default_xid = default_xid

    def __call__(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        # Nothing in a message (topic bytes, payload bytes) may raise into
        # paho's network loop: that would end the loop thread.
        topic, bad_topic = _message_topic(message)
        try:
            if bad_topic is not None:
                raise bad_topic
            messages = decode_message(topic, message.payload, qos=message.qos,
                                      collections=self.collections,
                                      default_xid=self.default_xid)
        except SmartRestError as exc:
            if self.on_error is None:
                _log.error("cannot decode a message on %s: %s", topic, exc)
            else:
                self.on_error(topic, exc)
            return
        except Exception:  # a bug of ours: logged, the loop goes on
            _log.exception("error while decoding a message on %s", topic)
            return
        self.callback(Received(topic, message.qos, messages))


def _message_topic(message: MQTTMessage) -> Tuple[str, Optional[InvalidTopic]]:
    """The topic of a received message, and an error if its bytes are not
    UTF-8 (then the topic is shown with backslash escapes)."""
    try:
        return message.topic, None
    except UnicodeDecodeError as exc:
        raw = bytes(getattr(message, "_topic", b""))
        text = raw.decode("utf-8", "backslashreplace")
        return text, InvalidTopic(f"topic {text!r} is not valid UTF-8", exc.start)


# ------------------------------------------------------------- startup phase

ChildSpec = Union[str, Sequence[Optional[str]]]


def _trim_row(row: List[Any]) -> List[Any]:
    # "100,," means the same as "100": leave optional trailing values out.
    return trim_trailing_empty(row, keep=1)


def create_device(
    client: Client,
    name: Optional[str] = None,
    type: Optional[str] = None,
    *,
    children: Iterable[ChildSpec] = (),
    topic: str = "s/us",
    qos: int = 1,
) -> List[MQTTMessageInfo]:
    """Create the device (template 100) and its children (template 101).

    Both templates only create what does not exist yet, so this can run on
    every boot.  ``name`` and ``type`` default on the platform to
    ``"MQTT Device <serial>"`` and ``c8y_MQTTDevice``.  Each child is a child
    ID or a sequence ``(childId, name, type)`` with optional name and type.
    The rows go to ``topic``: ``s/us`` for the device itself, ``s/us/<child>``
    to create grandchildren under a child.

    Returns:
        what ``client.publish`` returned for each publish.
    """
    rows: List[List[Any]] = [_trim_row(["100", name, type])]
    for child in children:
        spec = [child] if isinstance(child, str) else list(child)
        if not spec or not spec[0]:
            raise ValueError("a child device needs a non-empty child ID")
        rows.append(_trim_row(["101", *spec]))
    return publish_rows(client, rows, topic=topic, qos=qos)


def subscribe_operations(
    client: Client, *, errors: bool = True, qos: int = 1
) -> Tuple[Any, Optional[int]]:
    """Subscribe to operations on ``s/ds`` and, with ``errors``, to ``s/e``.

    Subscribing to ``s/ds`` is what tells the platform that the device takes
    operations; ``s/e`` carries error messages for rows the device sent
    (a debug channel: act on it only to log).

    Returns:
        what ``client.subscribe`` returned: ``(result code, message id)``.
    """
    topics = [("s/ds", qos)]
    if errors:
        topics.append(("s/e", qos))
    return client.subscribe(topics)


def request_credentials(
    client: Client,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
    qos: int = 0,
) -> Credentials:
    """Ask for device credentials while connected with the bootstrap user.

    Subscribes to ``s/dcr``, then publishes an empty message on ``s/ucr``
    every ``interval`` seconds until the platform answers with
    ``70,<tenantID>,<username>,<password>`` (after the device has been
    accepted in Device registration).  The caller stores the credentials and
    reconnects with ``Credentials.user`` and ``Credentials.password``.

    The client's network loop must be running (``client.loop_start()``).

    Raises:
        TimeoutError: no credentials arrived within ``timeout`` seconds.
        SmartRestError: a message on ``s/dcr`` is not a ``70`` row.
    """
    if interval <= 0:
        raise ValueError("interval must be positive")
    arrived = threading.Event()
    found: List[Union[Credentials, SmartRestError]] = []

    def on_credentials(client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            topic, bad_topic = _message_topic(message)
            if bad_topic is not None:
                raise bad_topic
            for row in decode_message(topic, message.payload, qos=message.qos):
                found.append(Credentials(row["tenant_id"], row["username"], row["password"]))
        except SmartRestError as exc:
            found.append(exc)
        if found:
            arrived.set()

    client.message_callback_add("s/dcr", on_credentials)
    try:
        client.subscribe("s/dcr", qos=qos)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no credentials on s/dcr within {timeout:g} s")
            client.publish("s/ucr", b"", qos=qos)
            if arrived.wait(min(interval, left)):
                break
    finally:
        client.message_callback_remove("s/dcr")
        client.unsubscribe("s/dcr")
    result = found[0]
    if isinstance(result, SmartRestError):
        raise result
    return result


def startup(
    client: Client,
    name: Optional[str] = None,
    type: Optional[str] = None,
    *,
    children: Iterable[ChildSpec] = (),
    errors: bool = True,
    qos: int = 1,
) -> List[MQTTMessageInfo]:
    """Steps 1 to 3 of the startup phase: device, children, subscriptions.

    Step 0, credentials, needs a connection as the bootstrap user: see
    :func:`request_credentials`.  Subscribing comes first so that no
    operation or error sent in reply to the creation is missed.

    Returns:
        what ``client.publish`` returned for the creation rows.
    """
    subscribe_operations(client, errors=errors, qos=qos)
    return create_device(client, name, type, children=children, qos=qos)
