"""The static templates of a topic, as the commands look rows up in them."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

from ..errors import SmartRestError
from .common import checked_topic


def _templated(topic: Optional[str]) -> bool:
    """Whether the static templates (or system messages) apply on ``topic``.

    Raises:
        CommandError: a malformed topic.
    """
    parsed = checked_topic(topic)
    if parsed is None:
        return True
    from .. import topics

    return parsed.kind not in (topics.CUSTOM, topics.DEFAULT, topics.SMARTREST1,
                               topics.SMARTREST1_OPERATIONS)


def _members(topic: Optional[str]) -> Callable[[bytes], bytes]:
    """For a message ID (UTF-8), the JSON members ``"name"`` (the name of its
    template on ``topic``, or null) and, when the topic names a child device,
    ``"device"``, as a decode record holds them after ``"template"``.

    Raises:
        CommandError: a malformed topic.
    """
    from .. import templates
    from ..templates.registry import _where

    templated = _templated(topic)
    device = _where(topic).device if templated else None

    def members(template_id: bytes) -> bytes:
        name = None
        if templated:
            try:
                name = templates.lookup(template_id.decode("utf-8"), topic=topic).name
            except SmartRestError:
                pass
        record: Dict[str, Any] = {"name": name}
        if device is not None:
            record["device"] = device
        return json.dumps(record, ensure_ascii=False)[1:-1].encode("utf-8")

    return members


def _message_parser(topic: Optional[str]) -> Callable[[List[str]], Any]:
    """A function giving the template message of a row, or ``None``."""
    from .. import templates

    if not _templated(topic):
        return lambda row: None
    parse = templates.parse

    def message(row: List[str]) -> Any:
        try:
            return parse(row, topic=topic)
        except SmartRestError:
            return None

    return message
