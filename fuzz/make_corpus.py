"""Write the seed corpora in fuzz/corpus/<harness>/ from the seed payloads.

The payloads are the SmartREST examples of the platform's MQTT
documentation and the edge cases of docs/dialect.md.  Each harness reads its input differently (an
option header, rows as text), so each gets the payloads in its own form.
The sequences harness reads programs of calls instead; its seeds
(sequence_programs) are written out op by op, one per kind of operation.
Run: python fuzz/make_corpus.py  (rewrites fuzz/corpus/).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from smartrest import _pure  # noqa: E402

ROW_SEP, FIELD_SEP = "\x1e", "\x1f"

SEEDS = [
    # The source text's examples.
    b'100,"This value, needs escaping",This value does not need escaping\n',
    b'511,myDeviceSerial,"execute this\\nand this\\nand \\"this\\""\n',
    b"100,Device Name,Device Type\n",
    b"101,Unique Child ID,Child Name,Child Type\n",
    b"100,,myType\n",
    b"100,,\n",
    b"40,999,No static template for this message id\n",
    b"41,100,Device already existing\n",
    b"50,100,Error on device creation, message: Error on identity creation\n",
    b"70,<tenantID>,<username>,<password>\n",
    b"71,<base64 JWT>\n",
    b"11,100,,c8y_SendConfiguration,deviceId\n",
    b'104,"I have ""quotes""!"\n',
    b'400,c8y_ConnectionEvent,"Device connection was lost."\n',
    b"200,c8y_Temperature,T,25\n211,25\n500,4,3\n",
    # docs/dialect.md section 1: rows, line endings, empty lines.
    b"",
    b"\n",
    b"\r\n",
    b"\n\r\n\n",
    b"a\r\nb\r\n",
    b"a\nb",
    b"a\r",
    b"\r",
    b"a\rb\n",
    # Section 2: fields.
    b",,,\n",
    b"a,\n",
    b" a ,\tb\t,c\\d,\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n",
    b'a"b,c"\n',
    b'"a\\"b"\n',
    b'"a""b"\n',
    b'"\\n\\\\\\t"\n',
    b'"a\nb\r\nc,d\te"\n',
    b'"ab"cd\n',
    b'"ab"\\\\\n',
    b'"a,b"\\\n',
    b'"\\"\n',
    b'"""\n',
    b'""\n',
    b'"\n',
    b'a,"b\n',
    b'"ab"\r\n',
    b'"ab"x\r\n',
    # Section 3: what the encoder writes.
    b'""\n',
    b'"a\\"\\"b"\n',
    b'"a\\""b"\n',
    b'" lead","trail ","\x0bvt"\n',
    # Section 5: malformed UTF-8, NUL.
    b"\xff\n",
    b"a,\xc0\xaf\n",
    b"\xed\xa0\x80\n",
    b"\xe2\x82\n",
    b"\xf4\x90\x80\x80\n",
    b"a\x00b,\x00\n",
    b'"\xff"\n',
    b'"a"\xff\n',
    # Sizes around the limit and long runs.
    b"," * 300 + b"\n",
    b'\\"' * 200 + b"\n",
    b'"' + b'\\"' * 200 + b'"\n',
    b"x" * 400,
]


def _name(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def _rows_text(payload: bytes) -> str:
    try:
        rows = _pure.decode(payload, limit=None)
    except ValueError:
        rows = [[payload.decode("utf-8", "replace")]]
    return ROW_SEP.join(FIELD_SEP.join(r) for r in rows)


def forms(payload: bytes) -> dict:
    text = _rows_text(payload).encode("utf-8")
    return {
        "decode": [b"\x00" + payload, b"\x81" + payload],
        "differential": [b"\x00" + payload, b"\x01" + payload, b"\x40" + payload],
        "stream": [b"\x00\x00" + payload, b"\x16\x07\x40\x80\xc0" + payload],
        "roundtrip": [text],
        "pack": [b"\x00\x00" + text, b"\x30\x05" + text],
        # sr_fuzz.c: options, row limit, two split points.
        "libfuzzer": [b"\x00\x00\x00\x05\x00\x09\x00" + payload,
                      b"\x23\x10\x00\x03\x00\x40\x00" + payload],
    }


# fuzz_sequences.py: operation bytes (see its docstring).
NEW, FEED, CLOSE, THREAD, ENCODE, ENCODE_ROW, TOKENIZE, BATCH, DECODE = 0, 1, 4, 5, 6, 7, 8, 9, 10
IN_TURN = 31  # a feed's buffer kind: the next accepted kind
NUMPY_STRIDED, RELEASED, CLOSED_MMAP, INT, NONE, LIST, OBJECT = range(12, 19)
MUT_DECIMAL, FAIL_DECIMAL, MUT_BYTES = 10, 11, 12
CLEAR, SET0, APPEND, EXTEND, POP0, OUTER_APPEND, OUTER_CLEAR = range(1, 8)


def _chunk(raw: bytes, template: int = 0) -> bytes:
    return bytes([template, len(raw)]) + raw


def _field(kind: int, raw: bytes, action: int = 0) -> bytes:
    return bytes([kind, action]) + _chunk(raw)


def _row(*fields: bytes, container: int = 0) -> bytes:
    assert len(fields) < 6  # the field count is read % 6
    return bytes([container, len(fields)]) + b"".join(fields)


def _tokenize(kind: int, payload: bytes, new: bytes, strict: int = 0) -> bytes:
    assert len(new) == len(payload)
    return bytes([TOKENIZE, strict | kind << 1]) + _chunk(payload) + new + _QUERIES


# 8 queries: row(-1), to_rows, column 3 float, column 0 int (default),
# column 1 str, len, nfields, flags and row_starts.
_QUERIES = bytes([7, 0, 0xFF, 1, 2, 3, 3, 0x40, 4, 1, 5, 6, 7])
_ROW = b"200,c8y_T,T,25\n"


def sequence_programs() -> list:
    feed_all = b"".join(bytes([FEED, IN_TURN]) + _chunk((_ROW * 3)[i:i + 3])
                       for i in range(0, 36, 3))
    return [
        # A Decoder fed after an error and closed after it, twice.
        bytes([FEED, 0]) + _chunk(b"", 6) + bytes([CLOSE, FEED, 1]) + _chunk(b"a,b\n")
        + bytes([CLOSE, CLOSE]),
        # Strict, limit 21: every accepted buffer type in turn.
        bytes([NEW, 1 | 2 << 1, 20, 0]) + feed_all + bytes([CLOSE]),
        # Unterminated quote, closed twice, fed after close.
        bytes([NEW, 0]) + bytes([FEED, 0]) + _chunk(b"abc", 3) + bytes([CLOSE, CLOSE, FEED, 2])
        + _chunk(b"x\n"),
        # Strict: text after the quote, then more data.
        bytes([NEW, 1, FEED, 1]) + _chunk(b"ab", 4) + bytes([FEED, 3]) + _chunk(b"1,2\n")
        + bytes([CLOSE]),
        # Limit 5: an over-long row, fed again.
        bytes([NEW, 2 << 1, 4, 0, FEED, 7]) + _chunk(b"xyz", 5) + bytes([FEED, 0])
        + _chunk(b"a\n") + bytes([CLOSE]),
        # Refused chunks between good ones; invalid limits.
        b"".join(bytes([FEED, k]) + _chunk(b"a,b\nc") for k in range(NUMPY_STRIDED, OBJECT + 1))
        + bytes([FEED, 0]) + _chunk(b"\n") + bytes([CLOSE, NEW, 3 << 1, 1, NEW, 3 << 1, 4]),
        # Invalid UTF-8, a CRLF and a cut UTF-8 character; a feed from another thread.
        bytes([NEW, 1 << 1, FEED, 0]) + _chunk(b"q,w", 8) + bytes([THREAD]) + _chunk(b"\xac\n")
        + bytes([FEED, 0]) + _chunk(b"1\n2", 7) + bytes([THREAD]) + _chunk(b"\xff", 2)
        + bytes([CLOSE]),
        # encode: a Decimal whose str() clears its row; bytes whose bytes() replaces field 0.
        bytes([ENCODE, 0, 2]) + _row(_field(MUT_DECIMAL, b"\x00", CLEAR), _field(0, b"a"),
                                     _field(0, b"b"))
        + _row(_field(MUT_BYTES, b"v", SET0), _field(0, b"c"), _field(7, b"\xff")),
        # encode: append, extend, pop, the list of rows changed, a failing conversion.
        bytes([ENCODE, 2, 4]) + _row(_field(0, b"x"), _field(MUT_DECIMAL, b"\x01", EXTEND))
        + _row(_field(MUT_BYTES, b"b", APPEND), _field(5, b"\x00" * 7 + b"\x7f"))
        + _row(_field(MUT_DECIMAL, b"\x02", OUTER_APPEND), _field(13, b""), container=4)
        + _row(_field(FAIL_DECIMAL, b"\x03", POP0), _field(1, b"\xed\xa0\x80")),
        bytes([ENCODE, 4, 2]) + _row(_field(MUT_DECIMAL, b"\x04", OUTER_CLEAR), _field(2, b""))
        + _row(_field(3, b"\x01"), _field(4, b"\xff\x7f"), _field(6, b"\x05"), _field(8, b"z"),
               _field(9, b"m"), container=5)
        + bytes([ENCODE, 0, 1]) + _row(_field(14, b"s"), _field(15, b""), _field(5, b"\xff" * 8)),
        # encode_row: the row cleared and extended during its conversion.
        bytes([ENCODE_ROW, 0]) + _row(_field(MUT_DECIMAL, b"\x00", CLEAR), _field(0, b"a")),
        bytes([ENCODE_ROW, 2]) + _row(_field(0, b"a"), _field(MUT_BYTES, b"b", EXTEND),
                                      _field(0, b"c")),
        # tokenize a mutable buffer, overwrite it (non-ASCII), read it back.
        _tokenize(0, _ROW, b"\xe9" * len(_ROW)),
        _tokenize(1, b'1,"a\\"b",\xc3\xa9\n2,x\n', (b"9,z\xff" * 4)[:15] + b"\n"),
        _tokenize(2, b"5,6\n7,8\n", b"abcdefgh")
        + _tokenize(3, b"1.5,2\n", b"\x80" * 6)
        + _tokenize(4, b"x,y,z", b"\x00\x00\x00\x00\x00"),
        # decode_batch with payloads that cannot be read, after a bad one.
        bytes([BATCH, 0, 5 << 1]) + bytes([0]) + _chunk(b"a,b\n") + bytes([CLOSED_MMAP])
        + _chunk(b"c") + bytes([RELEASED]) + _chunk(b"d") + bytes([INT]) + _chunk(b"")
        + bytes([1]) + _chunk(b"e\n"),
        bytes([BATCH, 0x21, 3 << 1 | 1, 0]) + _chunk(b"", 6) + bytes([CLOSED_MMAP]) + _chunk(b"c")
        + bytes([7]) + _chunk(b"m\n"),
        # decode with odd limits, QoS and topics.
        b"".join(bytes([DECODE, lim, qos, topic, 0, 0]) + _chunk(b"a,b\n")
                 for lim, qos, topic in ((0, 0, 8), (3, 8 - 1, 8), (4, 3, 1), (7, 0, 6),
                                         (6, 4, 3), (5, 6, 4), (8, 2, 5), (9, 5, 7),
                                         (10, 1, 2), (2, 0, 0))),
    ]


def main() -> None:
    root = os.path.join(HERE, "corpus")
    shutil.rmtree(root, ignore_errors=True)
    count = 0
    for payload in SEEDS:
        for harness, inputs in forms(payload).items():
            os.makedirs(os.path.join(root, harness), exist_ok=True)
            for data in inputs:
                with open(os.path.join(root, harness, _name(data)), "wb") as f:
                    f.write(data)
                count += 1
    os.makedirs(os.path.join(root, "sequences"), exist_ok=True)
    for data in sequence_programs():
        with open(os.path.join(root, "sequences", _name(data)), "wb") as f:
            f.write(data)
        count += 1
    print(f"wrote {count} seed files to {root}")


if __name__ == "__main__":
    main()
