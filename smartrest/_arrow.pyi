from typing import Dict, List, Optional, Sequence, Tuple

import pyarrow as pa

from .templates import Template

TEMPLATES: Dict[str, Template]

def decode(
    chunks: Optional[List[pa.Array]],
    items: Optional[List[bytes]],
    topic_values: Sequence[Optional[str]],
    topic_of: Sequence[int],
    custom: Sequence[bool],
    threads: int,
) -> Tuple[List[int], Dict[str, List[Tuple[int, pa.RecordBatch]]]]: ...
def pool(limit: Optional[int]) -> Tuple[int, int]: ...
