"""Encoding rows into payloads of one row, ~1 KB and full 16 KB publishes."""

from __future__ import annotations

import pytest

from conftest import cases


@pytest.mark.parametrize("contender,name,size", cases("encode", ("row", "1k", "16k")))
def test_encode(run_case, contender, name, size):
    run_case("encode", contender, name, size)
