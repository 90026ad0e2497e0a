"""Static SmartREST templates as messages.

Every static template of ``templates.json`` (upstream 100 to 602, downstream
106, 124, 510 to 532, 601, 603), the system messages (``70`` on ``s/dcr``,
``71`` on ``s/dat``, ``20`` and ``41`` on ``s/dt``) and the ``s/e`` error
line are rows of one registry of :class:`Template` objects, built from that
file when the package is imported.  Each template precomputes what checking a
row needs (parameter names, which values must be present or non-empty, the
type checks, the layout of its repeating groups), so that a row is checked by
one function that loops over these tables.

:func:`parse` turns a decoded row into a :class:`Message`, :func:`build`
makes one from named values, :meth:`Message.to_row` gives the row back and
:func:`decode_messages` decodes and parses a whole payload.  With the C
extension, :func:`decode_messages` checks rows and makes messages in
``smartrest._messages``; the Python checks stay the authority on every error.

The modules of the package:

* ``types``: the value types (``NUMBER``...), their checks and conversions,
  the requirement levels, :func:`format_value`;
* ``registry``: :class:`Param`, :class:`Block`, :class:`Template`, the
  registries built from ``templates.json``, :func:`lookup`;
* ``checks``: checking a row against its template;
* ``message``: :class:`Message`, :func:`parse`, :func:`build`;
* ``payload``: :func:`decode_messages` and its C fast path;
* ``lenient``: the lenient mode of :func:`parse` and :func:`decode_messages`
  (``lenient=True``, docs/dialect.md section 8.1), which accepts the empty
  values and the spaces after commas that agents send.

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

from .checks import Sinks as Sinks
from .message import Message, build, parse
from .message import Value as Value
from .payload import decode_messages
from .registry import _REGISTRIES as _REGISTRIES
from .registry import _STATIC as _STATIC
from .registry import TEMPLATES, Block, Param, Template, lookup
from .registry import _where as _where
from .registry import numeric_id as numeric_id
from .types import _BOOLEAN_RE as _BOOLEAN_RE
from .types import _DATE_RE as _DATE_RE
from .types import _INTEGER_RE as _INTEGER_RE
from .types import _NUMBER_RE as _NUMBER_RE
from .types import BOOLEAN, DATE, INTEGER, NUMBER, STRING, format_value, type_check
from .types import OPTIONAL as OPTIONAL
from .types import PRESENT as PRESENT
from .types import REQUIRED as REQUIRED

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
