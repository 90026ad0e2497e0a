"""The one place that decides which implementation of the codec runs.

The C extension (``smartrest._codec`` for the codec, ``smartrest._messages``
for the template layer's fast path) runs when it can be imported; the
pure-Python reference (``smartrest._pure`` with ``smartrest._columnar``)
runs otherwise, or when ``SMARTREST_PURE_PYTHON=1`` asks for it.  Decided
once, when the package is imported.  The package, the template layer, the
bench, the tests and the fuzzers all ask this module.
"""

from __future__ import annotations

import importlib
import os
import types
from typing import Optional

#: ``SMARTREST_PURE_PYTHON`` is set (to anything but ``0``).
PURE_REQUESTED = os.environ.get("SMARTREST_PURE_PYTHON", "") not in ("", "0")

#: How to get the extension, for error messages.
BUILD_HINT = ("build it with a C compiler: `pip install -e .` (or `python setup.py "
              "build_ext --inplace`) in the source tree; or set SMARTREST_PURE_PYTHON=1 to "
              "run the pure-Python implementation")

_NAMES = ("decode", "encode", "encode_row", "Decoder", "tokenize", "Tokens", "decode_batch")


def _try_import(name: str) -> "tuple[Optional[types.ModuleType], Optional[ImportError]]":
    try:
        return importlib.import_module(name), None
    except ImportError as exc:
        return None, exc


_c_codec, _c_error = _try_import("smartrest._codec")

#: ``"c"`` or ``"python"``: the implementation behind ``smartrest.decode`` and the rest.
IMPLEMENTATION = "c" if _c_codec is not None and not PURE_REQUESTED else "python"


def _namespace(name: str, codec: types.ModuleType, columnar: types.ModuleType
               ) -> types.SimpleNamespace:
    api = {n: getattr(codec if hasattr(codec, n) else columnar, n) for n in _NAMES}
    return types.SimpleNamespace(name=name, module=codec, **api)


def python_api() -> types.SimpleNamespace:
    """The pure-Python codec: ``decode``, ``encode``, ``encode_row``,
    ``Decoder``, ``tokenize``, ``Tokens``, ``decode_batch`` (and ``name``,
    ``module``)."""
    from . import _columnar, _pure

    return _namespace("python", _pure, _columnar)


def c_api() -> types.SimpleNamespace:
    """The C codec, as :func:`python_api` gives the pure one.

    Raises:
        ImportError: the extension cannot be imported (the message says how
            to build it).
    """
    if _c_codec is None:
        raise ImportError(f"the C extension smartrest._codec cannot be imported "
                          f"({_c_error}); {BUILD_HINT}")
    from . import _columnar

    return _namespace("c", _c_codec, _columnar)


def api() -> types.SimpleNamespace:
    """The codec of :data:`IMPLEMENTATION`."""
    return c_api() if IMPLEMENTATION == "c" else python_api()


def messages_module() -> Optional[types.ModuleType]:
    """``smartrest._messages`` (the template layer's C fast path) when the C
    implementation runs and it imports, else None."""
    if IMPLEMENTATION != "c":
        return None
    module, _ = _try_import("smartrest._messages")
    return module
