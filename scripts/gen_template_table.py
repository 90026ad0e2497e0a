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

#: The most positions of one kind an sr_spec holds (SR_MAX_POSITIONS), the
#: most non-optional fixed values of a table entry (SR_VT_MAX_NEED) and the
#: most positions of one kind of an sr_prog (SR_PROG_MAX), as csrc/smartrest.h
#: defines them.
MAX_POSITIONS = 16
MAX_NEED = 32
PROG_MAX = 4


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


def _prog(args: Dict[str, Any], slow: bool) -> str:
    """The spec compiled (sr_prog of csrc/smartrest.h), `fast` only where the
    program decides exactly what sr_check_row decides: required positions
    below the fewest values a row takes (a row never lacks one, where
    sr_check_row would leave it to Python), the others below 256, at most
    PROG_MAX of each kind, and a repeating group, if any, without rules
    (its values then always pass)."""
    block = args["block"]
    lo = max(args["min_len"], 2 if args["has_serial"] else 0)
    req, one_of, checks = list(args["required"]), list(args["one_of"]), list(args["checks"])
    fast = (not slow and max(len(req), len(one_of), len(checks)) <= PROG_MAX
            and all(p < lo for p in req)
            and all(p < 256 for p in one_of + [p for p, _ in checks])
            and (block is None or (block[1] == 0 and block[2] <= 1 and not block[3]
                                   and not block[4]))
            and (block is not None or args["fixed_len"] >= lo))
    if not fast:
        return ".prog = {.fast = 0}"
    span = f"SIZE_MAX - {lo}" if block is not None else str(args["fixed_len"] - lo)
    # Unused required slots name value 0, the message ID, never empty.
    return (f".prog = {{.fast = 1, .lo = {lo}, .span = {span}, "
            f".req = {_list((req + [0] * PROG_MAX)[:PROG_MAX])}, "
            f".n_one_of = {len(one_of)}, .one_of = {_list(one_of)}, "
            f".ntyped = {len(checks)}, .tpos = {_list([p for p, _ in checks])}, "
            ".ttype = {" + (", ".join(k for _, k in checks) if checks else "0") + "}}")


def _entry(template: Any, where: str, args: Dict[str, Any], need: List[int]) -> str:
    block = args["block"]
    width, min_items, min_last, breq, bchk = block if block is not None else (1, 0, 0, (), ())
    lists = (args["required"], args["checks"], args["one_of"], breq, bchk)
    slow = bool(args["slow"]) or max(map(len, lists)) > MAX_POSITIONS or len(need) > MAX_NEED
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
            f"     {_prog(args, slow)},\n"
            f"     {need_text}}},\n")


def render() -> str:
    """The text of the header."""
    topics, payload, registry, types = _registry()
    codes = {types.NUMBER: "SR_TYPE_NUMBER", types.INTEGER: "SR_TYPE_INTEGER",
             types.BOOLEAN: "SR_TYPE_BOOLEAN", types.DATE: "SR_TYPE_DATE"}
    up_type = topics._TYPE_OF[(topics.STATIC, "up")]
    up_shape = topics._SHAPES[up_type]
    modes = "".join(m for m in up_shape.modes if m in topics.PROCESSING_MODES)
    entries = []
    for key, t in sorted(registry._STATIC.items(), key=lambda kv: int(kv[0])):
        where = "SR_VT_UP" if key in registry._STATIC_UP else "SR_VT_DOWN"
        need = [i + 1 for i, p in enumerate(t.params) if p.requirement != types.OPTIONAL]
        entries.append(_entry(t, where, payload._spec_args(t, codes), need))
    ids = [int(k) for k in registry._STATIC]
    index = [0] * (max(ids) + 1)
    for i, tid in enumerate(sorted(ids)):
        index[tid] = i + 1
    rows = [", ".join(str(v) for v in index[i:i + 20]) for i in range(0, len(index), 20)]
    return (
        "/* Generated by scripts/gen_template_table.py from smartrest/data/templates.json"
        " through the\n * registry of smartrest.templates: do not edit. */\n"
        "#ifndef SMARTREST_TEMPLATES_TABLE_H\n#define SMARTREST_TEMPLATES_TABLE_H\n\n"
        '#include "smartrest.h"\n\n'
        "/* Upstream static topics: <mode>/" + up_type + "[/<child>], <mode> one of these. */\n"
        f'#define SR_VT_UP_MODES "{modes}"\n#define SR_VT_UP_TYPE "{up_type}"\n'
        f"#define SR_VT_UP_CHILD {int(up_shape.child)}\n\n"
        f"#define SR_VT_COUNT {len(entries)}\n#define SR_VT_MAX_ID {max(ids)}\n\n"
        "static const sr_vtemplate sr_vt_templates[SR_VT_COUNT] = {\n" + "".join(entries)
        + "};\n\n/* Message ID -> 1 + its index in sr_vt_templates, 0: none. */\n"
        "static const unsigned short sr_vt_index[SR_VT_MAX_ID + 1] = {\n    "
        + ",\n    ".join(rows) + "\n};\n\n#endif\n"
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
