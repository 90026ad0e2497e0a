"""streaming: the payload fed to Decoder split at fuzz-chosen points gives
what decode gives (rows, or the same error).

Byte 0: bit 0 strict, bits 1-3 how many cut points follow (0-7), bit 4 a
row limit of byte 1 + 1 bytes for the C-against-Python Decoder check.
Each implementation's Decoder (without a limit) must equal its decode
(without a limit); with the small limit, the C and Python Decoders must
agree with each other.
"""

import _common as h


def stream(impl, chunks, **kwargs):
    decoder = impl.Decoder(**kwargs)
    rows = []
    for i, chunk in enumerate(chunks):
        # Every accepted buffer type, in turn.
        kind = i % 3
        rows += decoder.feed(chunk if kind == 0 else bytearray(chunk) if kind == 1
                             else memoryview(chunk))
    rows += decoder.close()
    return rows


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    opts = data[0]
    strict = bool(opts & 1)
    ncuts = (opts >> 1) & 7
    small_limit = data[1] + 1
    cuts_raw = data[2:2 + ncuts]
    payload = data[2 + ncuts:]
    cuts = h.split_points(cuts_raw, len(payload))
    bounds = [0] + cuts + [len(payload)]
    chunks = [payload[a:b] for a, b in zip(bounds, bounds[1:])]
    for impl in h.IMPLS:
        whole = h.outcome(impl.decode, payload, limit=None, strict=strict)
        split = h.outcome(stream, impl, chunks, limit=None, strict=strict)
        assert whole == split, (impl.name, payload, chunks, whole, split)
    if opts & 0x10:
        c = h.outcome(stream, h.C, chunks, limit=small_limit, strict=strict)
        py = h.outcome(stream, h.PY, chunks, limit=small_limit, strict=strict)
        assert c == py, (payload, chunks, small_limit, c, py)


if __name__ == "__main__":
    h.run(test_one_input)
