"""differential: C and Python decode give the same rows, or the same error
(class, byte offset, row and field).  Byte 0 holds the options."""

import _common as h


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kwargs = h.decode_options(data[0])
    payload = data[1:]
    c = h.outcome(h.C.decode, payload, **kwargs)
    py = h.outcome(h.PY.decode, payload, **kwargs)
    assert c == py, f"C {c!r} != Python {py!r} for {payload!r} {kwargs}"


if __name__ == "__main__":
    h.run(test_one_input)
