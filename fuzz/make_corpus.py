"""Write the seed corpora in fuzz/corpus/<harness>/ from the seed payloads.

The payloads are the SmartREST examples of the source text
(spec/cumulocity-mqtt-device-integration.txt, spec/templates.md) and the
edge cases of DIALECT.md.  Each harness reads its input differently (an
option header, rows as text), so each gets the payloads in its own form.
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
    # DIALECT.md section 1: rows, line endings, empty lines.
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
    print(f"wrote {count} seed files to {root}")


if __name__ == "__main__":
    main()
