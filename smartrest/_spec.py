"""The reference data shipped with the package (``data/templates.json``)."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any, Dict

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


@functools.lru_cache(maxsize=None)
def spec() -> Dict[str, Any]:
    """The parsed ``templates.json``, loaded once."""
    text = resources.files(__package__).joinpath("data", "templates.json").read_text("utf-8")
    data: Dict[str, Any] = json.loads(text)
    return data


def snake(name: str) -> str:
    """A parameter name of ``templates.json`` in snake case.

    ``"temperature value"`` gives ``temperature_value``, ``"serialNumber"``
    ``serial_number``, ``"agent URL"`` ``agent_url``, ``"X-ID"`` ``x_id``.
    """
    return _NOT_ALNUM.sub("_", _CAMEL.sub("_", name)).strip("_").lower()
