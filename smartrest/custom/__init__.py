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

The modules: :mod:`~smartrest.custom.paths` (JSON paths),
:mod:`~smartrest.custom.values` (value types),
:mod:`~smartrest.custom.layouts` (what each method and API pair takes),
:mod:`~smartrest.custom.rows` (the template rows and the device line they
define), :mod:`~smartrest.custom.collection` (the collection, device side)
and :mod:`~smartrest.custom.gateway` (the gateway side).
"""

from __future__ import annotations

from .collection import STATUS_TOPIC, Response, TemplateCollection, parse_status
from .gateway import PlatformRequest
from .layouts import SUPPORTED
from .paths import Step as Step  # a type alias, not in __all__
from .rows import CustomValue, Field, RequestTemplate, ResponseTemplate
from .rows import Template as Template  # a type alias, not in __all__
from .values import (
    ALARMSTATUS,
    DATE,
    ENUMS,
    FLAG,
    INTEGER,
    NUMBER,
    OPERATIONSTATUS,
    SEVERITY,
    STRING,
    UNSIGNED,
    VALUE_TYPES,
)

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
