# cython: language_level=3
"""C implementation of the SmartREST codec (binding to ``csrc/``).

This module only acquires buffers, calls the C core, builds Python objects
and maps the core's error codes to :mod:`smartrest.errors`.  Its behaviour is
that of :mod:`smartrest._pure`, byte for byte, and so is its documentation:
the public functions and methods take the docstrings the two implementations
share (:mod:`smartrest._docs`) at the end of this module.
"""

# One extension module: the parts below share cdef functions, which a call
# across modules would make slower.  Each file says what it holds.
include "_binding/memory.pxi"
include "_binding/strings.pxi"
include "_binding/rows.pxi"
include "_binding/payload.pxi"
include "_binding/decode.pxi"
include "_binding/encode.pxi"
include "_binding/tokens.pxi"
include "_binding/batch.pxi"
include "_binding/jsonl.pxi"


# ------------------------------------------------------------ documentation

from smartrest import _docs

for _function, _doc in (
    (decode, _docs.DECODE),
    (encode, _docs.ENCODE),
    (encode_row, _docs.ENCODE_ROW),
    (Decoder.feed, _docs.DECODER_FEED),
    (Decoder.close, _docs.DECODER_CLOSE),
    (tokenize, _docs.TOKENIZE),
    (decode_batch, _docs.DECODE_BATCH),
):
    _function.__doc__ = _doc
del _function, _doc
