"""The layouts of SmartREST 2.0 template rows, from ``templates.json``.

``smartrest2.request_template_row.layouts`` names, for every supported
(method, API) pair, the mandatory values of its ``10`` row and whether
custom values may follow; :data:`PAIRS` holds what each pair takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from .._spec import spec
from ..templates import BOOLEAN
from .values import ALARMSTATUS, DATE, SEVERITY, STRING

_SR2: Mapping[str, Any] = spec()["smartrest2"]
_REQUEST_ROW: Mapping[str, Any] = _SR2["request_template_row"]

#: The first value of a request template row (``10``).
REQUEST_PREFIX: str = _REQUEST_ROW["prefix"]
#: The first value of a response template row (``11``).
RESPONSE_PREFIX: str = _SR2["response_template_row"]["prefix"]

#: Every supported (method, API) pair, from ``templates.json``.
SUPPORTED: Tuple[Tuple[str, str], ...] = tuple(
    (method, api) for api, methods in _SR2["supported_methods"].items() for method in methods)
#: The methods and the APIs a request template row may name.
METHODS: Tuple[str, ...] = tuple(_REQUEST_ROW["columns"][1]["values"])
APIS: Tuple[str, ...] = tuple(_REQUEST_ROW["columns"][2]["values"])

#: The type of each mandatory value the layouts name.
MANDATORY_TYPES: Mapping[str, str] = {
    "type": STRING, "text": STRING, "time": DATE, "status": ALARMSTATUS,
    "severity": SEVERITY, "externalIdType": STRING, "byId": BOOLEAN, "fragment": STRING,
}

#: The values of GET rows that may be left out (``get_fields`` marked not mandatory).
_GET_OPTIONAL: Tuple[str, ...] = tuple(
    f["name"] for f in _REQUEST_ROW["get_fields"] if f["mandatory"] is False)

_LAYOUT = re.compile(r"10,msgId,([A-Z]+),([A-Z]+),response((?:,[A-Za-z]+)*)"
                     r"(\[,path,type,value\]\.\.\.)?")


@dataclass(frozen=True)
class Pair:
    """What a (method, API) pair takes, from its layout.

    Attributes:
        mandatory: the names of its mandatory values, in row order.
        custom: whether custom values may follow them.
        body: whether the mandatory values are fields of the object created.
        implicit: a value of every device line that is no template column:
            its name and its place among the mandatory values (``None``:
            after them); ``None`` when there is none.
        registers_id: whether the device line carries an external ID to
            register (an empty one registers none: ``101,,c8y_MySerial``).
        optional: the mandatory values that ``templates.json`` marks not
            mandatory after all (GET's ``externalIdType``, by its
            ``get_fields``): a row may end before them when they are empty.
    """

    mandatory: Tuple[str, ...]
    custom: bool
    body: bool
    implicit: Optional[Tuple[str, Optional[int]]] = None
    registers_id: bool = False
    optional: Tuple[str, ...] = ()


def _pairs() -> Dict[Tuple[str, str], Pair]:
    """Read the layouts.

    Raises:
        ValueError: ``templates.json`` holds a layout this module cannot read,
            or its layouts and supported pairs disagree.
    """
    pairs: Dict[Tuple[str, str], Pair] = {}
    for key, layout in _REQUEST_ROW["layouts"].items():
        m = _LAYOUT.fullmatch(layout)
        if m is None or key != f"{m.group(1)} {m.group(2)}":
            raise ValueError(f"templates.json: unreadable SmartREST 2.0 layout {layout!r}")
        method, api = m.group(1), m.group(2)
        mandatory = tuple(m.group(3).split(",")[1:])
        for name in mandatory:
            if name not in MANDATORY_TYPES:
                raise ValueError(f"templates.json: no type known for {name!r} of {key}")
        implicit: Optional[Tuple[str, Optional[int]]] = None
        if api == "INVENTORY":
            # The examples put POST's external ID before its type
            # ("101,myImei,c8y_MySerial") but GET's and PUT's ID after it
            # ("999,c8y_Serial,myDeviceImei"); the name of the ID of GET and
            # PUT depends on byId (see RequestTemplate.slots).
            implicit = ("externalId", 0) if method == "POST" else ("id", None)
        pairs[(method, api)] = Pair(mandatory, m.group(4) is not None,
                                    method == "POST" and api != "INVENTORY", implicit,
                                    implicit is not None and method == "POST",
                                    _GET_OPTIONAL if method == "GET" else ())
    if set(pairs) != set(SUPPORTED):
        raise ValueError("templates.json: the layouts and supported_methods disagree")
    return pairs


#: What each supported (method, API) pair takes.
PAIRS: Mapping[Tuple[str, str], Pair] = _pairs()
