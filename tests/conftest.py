"""Shared fixtures: every codec test runs against both implementations."""

from __future__ import annotations

import functools
import importlib
import os
import types

import pytest

from smartrest import _columnar, _packing, _pure

REQUIRE_EXTENSION = os.environ.get("SMARTREST_REQUIRE_EXTENSION", "") not in ("", "0")


def _namespace(module, name):
    columnar = _columnar if module is _pure else module
    return types.SimpleNamespace(
        name=name,
        module=module,
        decode=module.decode,
        encode=module.encode,
        encode_row=module.encode_row,
        Decoder=module.Decoder,
        pack=functools.partial(_packing.pack, encode_row=module.encode_row),
        tokenize=columnar.tokenize,
        decode_batch=columnar.decode_batch,
    )


def _c_module():
    try:
        return importlib.import_module("smartrest._codec")
    except ImportError:
        if REQUIRE_EXTENSION:
            raise
        return None


@pytest.fixture(params=["python", "c"])
def impl(request):
    """The codec API of one implementation: ``impl.decode``, ``impl.pack``..."""
    if request.param == "python":
        return _namespace(_pure, "python")
    module = _c_module()
    if module is None:
        pytest.skip("C extension not built")
    return _namespace(module, "c")


@pytest.fixture
def c_impl():
    module = _c_module()
    if module is None:
        pytest.skip("C extension not built")
    return _namespace(module, "c")


@pytest.fixture
def py_impl():
    return _namespace(_pure, "python")
