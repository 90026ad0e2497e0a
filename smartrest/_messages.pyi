"""Type stub of the C fast path of ``templates.decode_messages`` (see ``_messages.pyx``)."""

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

NUMBER: int
INTEGER: int
BOOLEAN: int
DATE: int
MAX_POSITIONS: int

class Spec:
    template: Any
    slow: bool
    def __init__(
        self,
        template: Any,
        *,
        has_serial: bool,
        min_len: int,
        fixed_len: int,
        required: Iterable[int] = ...,
        checks: Iterable[Tuple[int, int]] = ...,
        one_of: Iterable[int] = ...,
        block: Optional[Tuple[int, int, int, Iterable[int], Iterable[Tuple[int, int]]]] = ...,
        slow: bool = ...,
    ) -> None: ...

class Builder:
    def __init__(self, cls: type) -> None: ...
    def __call__(self, template: Any, values: List[str], device: Optional[str],
                 typed: Any) -> Any: ...

def check_value(kind: int, value: str) -> Optional[bool]: ...
def messages(
    rows: List[List[str]],
    table: Dict[str, Spec],
    slow: Callable[[List[str], Any, Any], Any],
    where: Any,
    device: Optional[str],
    typed: Any,
    builder: Builder,
) -> Union[List[Any], int]: ...
