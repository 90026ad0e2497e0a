"""Decoding payloads of one row, ~1 KB and full 16 KB publishes."""

from __future__ import annotations

import pytest

from conftest import cases

PAYLOADS = ("row", "1k", "16k")


@pytest.mark.parametrize("contender,name,size", cases("decode", PAYLOADS))
def test_decode(run_case, contender, name, size):
    run_case("decode", contender, name, size)


@pytest.mark.parametrize("contender,name,size", cases("columns", PAYLOADS))
def test_columns(run_case, contender, name, size):
    run_case("columns", contender, name, size)
