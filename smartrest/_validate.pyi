"""Type stub of the C validator of ``smartrest.validate`` (see ``_validate.pyx``)."""

from typing import Dict, Optional, Tuple

ERRORS: Dict[int, str]

def check(payload: bytes, topic: Optional[bytes], qos: int, limit: Optional[int],
          strict: bool) -> Optional[Tuple[str, int, int, Optional[int], Optional[int]]]: ...
