"""The one place that decides which implementation of the codec runs.

The C extension (``smartrest._codec`` for the codec, ``smartrest._messages``
for the template layer's fast path) runs when it can be imported; the
pure-Python reference (``smartrest._pure`` with ``smartrest._pure_batch``)
runs otherwise, or when ``SMARTREST_PURE_PYTHON=1`` asks for it.  Decided
once, when the package is imported.  The package, the template layer, the
bench, the tests and the fuzzers all ask this module.
"""

from __future__ import annotations

import importlib
import os
import types
import warnings
from typing import Optional

#: ``SMARTREST_PURE_PYTHON`` is set (to anything but ``0``).
PURE_REQUESTED = os.environ.get("SMARTREST_PURE_PYTHON", "") not in ("", "0")

#: How to get the extension, for error messages.
BUILD_HINT = ("build it with a C compiler: `pip install -e .` (or `python setup.py "
              "build_ext --inplace`) in the source tree; or set SMARTREST_PURE_PYTHON=1 to "
              "choose the pure-Python implementation")

#: ``SMARTREST_REQUIRE_EXTENSION`` is set (to anything but ``0``): importing
#: the package fails when the C extension cannot be imported.
REQUIRE_EXTENSION = os.environ.get("SMARTREST_REQUIRE_EXTENSION", "") not in ("", "0")

_NAMES = ("decode", "encode", "encode_row", "Decoder", "tokenize", "Tokens", "decode_batch")


class PurePythonWarning(RuntimeWarning):
    """The C extension cannot be imported and pure Python was not asked for:
    the package runs its pure-Python implementation, several times slower.

    Silence it by asking for pure Python (``SMARTREST_PURE_PYTHON=1``) or
    with :func:`warnings.filterwarnings`.
    """


def _try_import(name: str) -> "tuple[Optional[types.ModuleType], Optional[ImportError]]":
    try:
        return importlib.import_module(name), None
    except ImportError as exc:
        return None, exc


def _missing(why: str, exc: Optional[ImportError], stacklevel: int) -> None:
    """An extension is missing: warn why, or raise under REQUIRE_EXTENSION."""
    if REQUIRE_EXTENSION:
        raise ImportError(f"SMARTREST_REQUIRE_EXTENSION is set and {why}") from exc
    warnings.warn(why, PurePythonWarning, stacklevel=stacklevel + 1)


_c_codec, _c_error = _try_import("smartrest._codec")

#: ``"c"`` or ``"python"``: the implementation behind ``smartrest.decode`` and the rest.
IMPLEMENTATION = "c" if _c_codec is not None and not PURE_REQUESTED else "python"

if _c_codec is None and not PURE_REQUESTED:
    _why = (f"the C extension smartrest._codec cannot be imported ({_c_error}); "
            f"smartrest runs its pure-Python implementation, several times slower. To get the "
            f"extension, {BUILD_HINT}.")
    # stacklevel: point at the import of the package, not at this module.
    _missing(_why, _c_error, stacklevel=2)


def _namespace(name: str, codec: types.ModuleType, *more: types.ModuleType
               ) -> types.SimpleNamespace:
    """Each of ``_NAMES`` from the first of ``codec, *more`` that has it."""
    modules = (codec, *more)
    api = {n: getattr(next((m for m in modules if hasattr(m, n)), codec), n) for n in _NAMES}
    return types.SimpleNamespace(name=name, module=codec, **api)


def python_api() -> types.SimpleNamespace:
    """The pure-Python codec: ``decode``, ``encode``, ``encode_row``,
    ``Decoder``, ``tokenize``, ``Tokens``, ``decode_batch`` (and ``name``,
    ``module``)."""
    from . import _pure, _pure_batch

    return _namespace("python", _pure, _pure_batch)


def c_api() -> types.SimpleNamespace:
    """The C codec, as :func:`python_api` gives the pure one.

    Raises:
        ImportError: the extension cannot be imported (the message says how
            to build it).
    """
    if _c_codec is None:
        raise ImportError(f"the C extension smartrest._codec cannot be imported "
                          f"({_c_error}); {BUILD_HINT}")
    return _namespace("c", _c_codec)


def api() -> types.SimpleNamespace:
    """The codec of :data:`IMPLEMENTATION`."""
    return c_api() if IMPLEMENTATION == "c" else python_api()


_EXTENSIONS: "dict[str, Optional[types.ModuleType]]" = {}  # name -> module or None, each imported once


def extension_module(name: str, serves: str) -> Optional[types.ModuleType]:
    """``smartrest.<name>``, one of the C extensions beside ``_codec``, when
    the C implementation runs, else None.

    When the C implementation runs but this extension cannot be imported (a
    partial build), what it ``serves`` runs its pure-Python path: that is
    said once with a :class:`PurePythonWarning`, or raised as ImportError
    when ``SMARTREST_REQUIRE_EXTENSION`` is set.
    """
    if IMPLEMENTATION != "c":
        return None
    if name not in _EXTENSIONS:
        module, exc = _try_import(f"smartrest.{name}")
        if module is None:
            why = (f"the C extension smartrest.{name} cannot be imported ({exc}) although "
                   f"smartrest._codec can; {serves} runs in pure Python, several times "
                   f"slower. To get the extension, {BUILD_HINT}.")
            _missing(why, exc, stacklevel=3)
        _EXTENSIONS[name] = module
    return _EXTENSIONS[name]


def messages_module() -> Optional[types.ModuleType]:
    """``smartrest._messages`` (the template layer's C fast path) when the C
    implementation runs, else None (see :func:`extension_module`)."""
    return extension_module("_messages", "decode_messages")


def validate_module() -> Optional[types.ModuleType]:
    """``smartrest._validate`` (the C validator of :func:`smartrest.validate`)
    when the C implementation runs, else None (see :func:`extension_module`)."""
    return extension_module("_validate", "smartrest.validate")


def arrow_module() -> Optional[types.ModuleType]:
    """``smartrest._arrow`` (the C tables of :mod:`smartrest.arrow`) when the
    C implementation runs, else None (see :func:`extension_module`)."""
    return extension_module("_arrow", "smartrest.arrow.decode_tables")
