"""Shared fixtures: every codec test runs against both implementations.

A test of the C implementation fails (never skips) when the extension
cannot be imported, with a message that says how to build it; it is
skipped only when the pure-Python implementation was asked for
(``SMARTREST_PURE_PYTHON=1``).  Which implementation runs is decided in one
place, :mod:`smartrest._implementation`.
"""

from __future__ import annotations

import functools
import types

import pytest

from smartrest import _implementation, _packing

PURE_ONLY = _implementation.PURE_REQUESTED


def _with_pack(api: types.SimpleNamespace) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        **vars(api), pack=functools.partial(_packing.pack, encode_row=api.encode_row))


def c_api() -> types.SimpleNamespace:
    """The C codec API, or the test fails (skips if pure Python was asked for)."""
    if PURE_ONLY:
        pytest.skip("SMARTREST_PURE_PYTHON=1: the pure-Python implementation was asked for")
    try:
        return _with_pack(_implementation.c_api())
    except ImportError as exc:
        pytest.fail(str(exc), pytrace=False)


def python_api() -> types.SimpleNamespace:
    return _with_pack(_implementation.python_api())


@pytest.fixture(params=["python", "c"])
def impl(request):
    """The codec API of one implementation: ``impl.decode``, ``impl.pack``..."""
    return python_api() if request.param == "python" else c_api()


@pytest.fixture
def c_impl():
    return c_api()


@pytest.fixture
def py_impl():
    return python_api()
