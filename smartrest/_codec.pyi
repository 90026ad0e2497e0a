"""Type stub of the C implementation of the codec (see ``_codec.pyx``).

The contract of each name is documented on :mod:`smartrest`, whose
``decode``, ``encode`` and the rest are these objects when the extension is
built.  A stub is never imported, so numpy is only needed by the type
checker, for the arrays of :class:`Tokens`.
"""

from typing import Any, Callable, Iterable, List, Optional, Tuple, Type, Union, overload

import numpy
from _typeshed import ReadableBuffer
from numpy.typing import NDArray

from .errors import SmartRestError

# What decode, Decoder.feed, tokenize and decode_batch read: bytes, bytearray,
# memoryview, mmap or any other C-contiguous buffer, or str (read as UTF-8).
_Payload = Union[str, ReadableBuffer]

def decode(
    payload: _Payload,
    *,
    topic: Optional[str] = None,
    qos: int = 0,
    limit: Optional[int] = 16184,
    strict: bool = False,
) -> List[List[str]]: ...

# A value may be str, None, bool, int, float, decimal.Decimal or UTF-8 bytes
# (bytes, bytearray, memoryview); anything else raises TypeError at run time.
def encode(rows: Iterable[Iterable[Any]], *, quote_escape: str = "backslash") -> bytes: ...
def encode_row(fields: Iterable[Any], *, quote_escape: str = "backslash") -> bytes: ...

class Decoder:
    def __init__(self, *, limit: Optional[int] = 16184, strict: bool = False) -> None: ...
    def feed(self, data: _Payload) -> List[List[str]]: ...
    def close(self) -> List[List[str]]: ...

class Tokens:
    @property
    def data(self) -> Union[bytes, memoryview]: ...
    @property
    def starts(self) -> NDArray[numpy.int64]: ...
    @property
    def ends(self) -> NDArray[numpy.int64]: ...
    @property
    def row_starts(self) -> NDArray[numpy.int64]: ...
    @property
    def flags(self) -> NDArray[numpy.uint8]: ...
    @property
    def nfields(self) -> int: ...
    def __len__(self) -> int: ...
    def row(self, i: int) -> List[str]: ...
    def to_rows(self) -> List[List[str]]: ...
    # int before float: mypy lets an int stand for a float, so the int
    # overload must be tried first.
    @overload
    def column(
        self, index: int, dtype: Type[int], default: Optional[int] = None
    ) -> NDArray[numpy.int64]: ...
    @overload
    def column(
        self, index: int, dtype: Type[str], default: Optional[str] = None
    ) -> NDArray[numpy.object_]: ...
    @overload
    def column(
        self, index: int, dtype: Type[float] = ..., default: Optional[float] = None
    ) -> NDArray[numpy.float64]: ...

def tokenize(payload: _Payload, *, strict: bool = False) -> Tokens: ...
def decode_batch(
    payloads: Iterable[_Payload],
    *,
    topic: Optional[str] = None,
    qos: int = 0,
    limit: Optional[int] = 16184,
    strict: bool = False,
) -> List[List[List[str]]]: ...


class _JsonLines:
    """Rows of a stream as JSON lines (the writer of ``smartrest decode``)."""

    def __init__(self, extra: Callable[[bytes], bytes], *, limit: Optional[int],
                 strict: bool = ...) -> None: ...
    def feed(self, chunk: bytes, final: bool = ...) -> Tuple[bytes, Optional[SmartRestError]]: ...
def _fields_of(payload: bytes) -> bytes: ...
def _rows_from_fields(payload: bytes, fields: bytes) -> List[List[str]]: ...
