"""Shared fixtures: every codec test runs against both implementations.

A test of the C implementation fails (never skips) when the extension
cannot be imported, with a message that says how to build it; it is
skipped only when the pure-Python implementation was asked for
(``SMARTREST_PURE_PYTHON=1``).  Which implementation runs is decided in one
place, :mod:`smartrest._implementation`.

Run from the repository root, ``python -m pytest`` imports the package from
the source tree, ahead of an installed copy: the header of the run says so,
and when the tree has no built extension the failure says how to build it
in place.
"""

from __future__ import annotations

import functools
import importlib.metadata
import types
from pathlib import Path
from typing import Optional

import pytest

import smartrest
from smartrest import _implementation, _packing

PURE_ONLY = _implementation.PURE_REQUESTED
#: The directory of the smartrest package under test.
PACKAGE = Path(smartrest.__file__).resolve().parent


def shadowed_install() -> Optional[Path]:
    """The installed smartrest that the one under test hides (the source
    tree, first on sys.path), or None."""
    for dist in importlib.metadata.distributions(name="smartrest"):
        where = Path(str(dist.locate_file("smartrest"))).resolve()
        if where.is_dir() and where != PACKAGE:
            return where
    return None


def pytest_report_header(config: pytest.Config) -> str:
    shadowed = shadowed_install()
    return (f"smartrest {PACKAGE} ({_implementation.IMPLEMENTATION} implementation)"
            + (f"; it shadows the installed {shadowed}" if shadowed else ""))


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
        message = str(exc)
    shadowed = shadowed_install()
    if shadowed is not None:
        message += (f"\nThe source tree {PACKAGE} shadows the installed smartrest in "
                    f"{shadowed}: the tests import the tree. Build the extension in place "
                    "(`python setup.py build_ext --inplace` in the repository root), or run "
                    "pytest outside the repository root to test the installed package.")
    pytest.fail(message, pytrace=False)


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
