"""Write csrc/templates_table.h: the template tables of csrc/validate.c.

The tables come from the registry of :mod:`smartrest.templates` (built from
``smartrest/data/templates.json``) through the rule that also makes the
tables of the C fast path of ``decode_messages``
(:func:`smartrest.templates.payload._spec_args`), so that the C validator
and the fast path check a row by the same tables.  The upstream topic rule
(processing modes and topic type) comes from :mod:`smartrest.topics`.

Run by setup.py before it compiles and by ``make -C mosquitto-plugin``::

    python scripts/gen_template_table.py [OUTPUT]

The header is written only when its text changes (OUTPUT defaults to
csrc/templates_table.h).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "csrc" / "templates_table.h"

#: The most positions of one kind an sr_spec holds (SR_MAX_POSITIONS) and
#: the most non-optional fixed values of a table entry (SR_VT_MAX_NEED), as
#: csrc/smartrest.h defines them.
MAX_POSITIONS = 16
MAX_NEED = 32


def _registry() -> Any:
    """The package's template and topic modules, imported without the C
    extension (which may not be built yet)."""
    os.environ["SMARTREST_PURE_PYTHON"] = "1"
    sys.path.insert(0, str(ROOT))
    from smartrest import topics
    from smartrest.templates import payload, registry, types

    return topics, payload, registry, types


def _list(values: Sequence[int]) -> str:
    return "{" + ", ".join(str(v) for v in values) + "}" if values else "{0}"


#: The C name of each value syntax's code, for the compiled checks.
_TYPE_NAMES = ("SR_TYPE_NUMBER", "SR_TYPE_INTEGER", "SR_TYPE_BOOLEAN", "SR_TYPE_DATE")


def _pass_case(index: int, template: Any, args: Dict[str, Any], slow: bool) -> str:
    """The case of sr_vt_pass for the template at `index`: its spec compiled
    into straight C, written only where that decides exactly what
    sr_check_row passes: required positions below the fewest values a row
    takes (a row never lacks one, where sr_check_row would leave it to
    Python) and a repeating group, if any, without rules (its values then
    always pass).  Empty for any other template (sr_vt_pass: 0)."""
    block = args["block"]
    lo = max(args["min_len"], 2 if args["has_serial"] else 0)
    req, one_of, checks = list(args["required"]), list(args["one_of"]), list(args["checks"])
    if (slow or not all(p < lo for p in req)
            or (block is not None and (block[1] != 0 or block[2] > 1 or block[3] or block[4]))
            or (block is None and args["fixed_len"] < lo)):
        return ""
    tests = []
    if block is None:
        tests.append(f"n - {lo} > {args['fixed_len'] - lo}")
    elif lo > 0:
        tests.append(f"n < {lo}")
    if req:  # one branch for all: the lengths tested without one each
        tests.append("!(" + " & ".join(f"(v[{p}].len != 0)" for p in req) + ")")
    if one_of:
        tests.append("!(" + " || ".join(f"({p} < n && v[{p}].len != 0)" for p in one_of) + ")")
    for p, code in checks:
        if code not in _TYPE_NAMES:
            return ""
        present = f"v[{p}].len != 0" if p < lo else f"{p} < n && v[{p}].len != 0"
        tests.append(f"({present} && !typed_pass({code}, v[{p}].ptr, v[{p}].len))")
    body = "".join(f"        if ({t})\n            return 0;\n" for t in tests)
    return f"    case {index}: /* {template.id} */\n{body}        return 1;\n"


def _slow(args: Dict[str, Any], need: List[int]) -> bool:
    """Whether every row of the template is left to Python: the registry
    says so, or the tables lack the room."""
    block = args["block"]
    breq, bchk = (block[3], block[4]) if block is not None else ((), ())
    lists = (args["required"], args["checks"], args["one_of"], breq, bchk)
    return bool(args["slow"]) or max(map(len, lists)) > MAX_POSITIONS or len(need) > MAX_NEED


def _entry(template: Any, where: str, args: Dict[str, Any], need: List[int]) -> str:
    block = args["block"]
    width, min_items, min_last, breq, bchk = block if block is not None else (1, 0, 0, (), ())
    slow = _slow(args, need)
    spec = [f".slow = {int(slow)}", f".has_serial = {int(args['has_serial'])}",
            f".min_len = {args['min_len']}", f".fixed_len = {args['fixed_len']}"]
    if not slow:
        spec += [
            f".nreq = {len(args['required'])}", f".req = {_list(args['required'])}",
            f".nchk = {len(args['checks'])}",
            f".chk_pos = {_list([p for p, _ in args['checks']])}",
            ".chk_type = {" + ", ".join(k for _, k in args["checks"]) + "}"
            if args["checks"] else ".chk_type = {0}",
            f".n_one_of = {len(args['one_of'])}", f".one_of = {_list(args['one_of'])}",
            f".block = {int(block is not None)}", f".width = {width}",
            f".min_items = {min_items}", f".min_last = {min_last}",
            f".nbreq = {len(breq)}", f".breq = {_list(breq)}",
            f".nbchk = {len(bchk)}", f".bchk_off = {_list([p for p, _ in bchk])}",
            ".bchk_type = {" + ", ".join(k for _, k in bchk) + "}" if bchk
            else ".bchk_type = {0}",
        ]
        need_text = f".nneed = {len(need)}, .need = {_list(need)}"
    else:
        need_text = ".nneed = 0, .need = {0}"
    return (f"    {{.id = {template.id}, .where = {where},\n"
            f"     .spec = {{{', '.join(spec)}}},\n"
            f"     {need_text}}},\n")


def render() -> str:
    """The text of the header."""
    topics, payload, registry, types = _registry()
    codes = {types.NUMBER: "SR_TYPE_NUMBER", types.INTEGER: "SR_TYPE_INTEGER",
             types.BOOLEAN: "SR_TYPE_BOOLEAN", types.DATE: "SR_TYPE_DATE"}
    up_type = topics._TYPE_OF[(topics.STATIC, "up")]
    up_shape = topics._SHAPES[up_type]
    modes = "".join(m for m in up_shape.modes if m in topics.PROCESSING_MODES)
    entries, cases, up = [], [], set()
    for key, t in sorted(registry._STATIC.items(), key=lambda kv: int(kv[0])):
        where = "SR_VT_UP" if key in registry._STATIC_UP else "SR_VT_DOWN"
        need = [i + 1 for i, p in enumerate(t.params) if p.requirement != types.OPTIONAL]
        args = payload._spec_args(t, codes)
        entries.append(_entry(t, where, args, need))
        cases.append(_pass_case(len(entries) - 1, t, args, _slow(args, need)))
        if key in registry._STATIC_UP:
            up.add(int(key))
    ids = [int(k) for k in registry._STATIC]
    index = [0] * (max(ids) + 1)
    index_up = [0] * (max(ids) + 1)
    for i, tid in enumerate(sorted(ids)):
        index[tid] = i + 1
        if tid in up:
            index_up[tid] = i + 1

    def rows(values: List[int]) -> str:
        return ",\n    ".join(", ".join(str(v) for v in values[i:i + 20])
                               for i in range(0, len(values), 20))

    return (
        "/* Generated by scripts/gen_template_table.py from smartrest/data/templates.json"
        " through the\n * registry of smartrest.templates: do not edit. */\n"
        "#ifndef SMARTREST_TEMPLATES_TABLE_H\n#define SMARTREST_TEMPLATES_TABLE_H\n\n"
        '#include "check_fast.h"\n#include "smartrest.h"\n\n'
        "/* Upstream static topics: <mode>/" + up_type + "[/<child>], <mode> one of these. */\n"
        f'#define SR_VT_UP_MODES "{modes}"\n#define SR_VT_UP_TYPE "{up_type}"\n'
        f"#define SR_VT_UP_CHILD {int(up_shape.child)}\n\n"
        f"#define SR_VT_COUNT {len(entries)}\n#define SR_VT_MAX_ID {max(ids)}\n\n"
        "static const sr_vtemplate sr_vt_templates[SR_VT_COUNT] = {\n" + "".join(entries)
        + "};\n\n"
        "/* Whether the row v[0..n) (n >= 1, each value's buffer holding SR_CHECK_PAD bytes)\n"
        " * passes the template at index k for sure: its spec compiled, 1 only when\n"
        " * sr_check_row_padded passes; 0: the spec decides. */\n"
        "static inline int sr_vt_pass(unsigned k, const sr_value *v, size_t n)\n{\n"
        "    switch (k) {\n" + "".join(cases) + "    default:\n        return 0;\n    }\n}\n"
        + "\n/* Message ID -> 1 + its index in sr_vt_templates, 0: none. */\n"
        "static const unsigned short sr_vt_index[SR_VT_MAX_ID + 1] = {\n    "
        + rows(index) + "\n};\n\n"
        "/* The same for the templates of the upstream registry (SR_VT_UP) alone. */\n"
        "static const unsigned short sr_vt_index_up[SR_VT_MAX_ID + 1] = {\n    "
        + rows(index_up) + "\n};\n\n#endif\n"
    )


def main(argv: Sequence[str]) -> int:
    """Write the header to argv[1] (or csrc/templates_table.h)."""
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    text = render()
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
