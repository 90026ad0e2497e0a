#!/usr/bin/env bash
# Build the sdist and the wheel with `python -m build` (the wheel is built
# from the sdist, so the sdist builds from source), then:
#   1. check that the sdist holds the C core and the Cython binding;
#   2. install the wheel into a fresh virtual environment and use it outside
#      the source tree: the C extension must be active, decode/encode must
#      round-trip, the console script and `python -m smartrest` must work;
#   3. install the sdist with no working C compiler: it must fall back to
#      the pure-Python implementation with a warning, and fail instead when
#      SMARTREST_REQUIRE_EXTENSION=1.
# Works on a copy of the source tree (the repository of this script, or the
# directory given as argument) in a temporary directory, so the tree is left
# as it is.  PYTHON picks the interpreter (python3).  Every command that runs
# the installed package has a time limit, so a hang fails the check.
set -euo pipefail

PYTHON=${PYTHON:-python3}
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
run() { timeout 120 "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/smartrest-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'check_wheel: FAILED: %s\n' "$*" >&2; exit 1; }

step "copy the source tree from $root"
mkdir -p "$work/src"
if [ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" = "$root" ]; then
  # Tracked and new files, not ignored ones (build products, caches).
  (cd "$root" && git ls-files -z --cached --others --exclude-standard \
     | xargs -0 -I{} sh -c 'test -e "{}" && cp --parents "{}" "$0"' "$work/src")
else
  cp -r "$root/." "$work/src"
  rm -rf "$work/src/build" "$work/src/dist" "$work/src"/*.egg-info
fi

step "python -m build (sdist, then a wheel from the sdist)"
"$PYTHON" -m build --version >/dev/null 2>&1 || "$PYTHON" -m pip install -q build
timeout 1200 "$PYTHON" -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 \
  || { tail -n 60 "$work/build.log"; fail "python -m build"; }
sdist=$(ls "$work"/dist/smartrest-*.tar.gz)
wheel=$(ls "$work"/dist/smartrest-*.whl)
echo "built $(basename "$sdist") and $(basename "$wheel")"

step "sdist contents"
contents=$(tar -tzf "$sdist")
for wanted in csrc/tokenizer.c csrc/smartrest.h smartrest/_codec.pyx smartrest/py.typed \
              smartrest/data/templates.json setup.py pyproject.toml MANIFEST.in LICENSE; do
  grep -q "^smartrest-[^/]*/$wanted\$" <<<"$contents" || fail "sdist lacks $wanted"
done
if grep -qE '\.(so|o)$' <<<"$contents"; then fail "sdist holds build products"; fi
echo "ok: csrc/, the .pyx and the metadata files are in the sdist"

step "wheel contents"
"$PYTHON" - "$wheel" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert any(n.startswith("smartrest/_codec.") and n.endswith((".so", ".pyd")) for n in names), \
    "the wheel has no compiled extension"
for wanted in ("smartrest/py.typed", "smartrest/data/templates.json", "smartrest/cli.py"):
    assert wanted in names, f"the wheel lacks {wanted}"
assert not any(n.endswith(".c") for n in names), "generated C in the wheel"
meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
text = zipfile.ZipFile(sys.argv[1]).read(meta).decode()
assert "License-Expression: Apache-2.0" in text or "License: Apache-2.0" in text, "no license"
for field in ("Version: ", "Classifier: ", "Project-URL: ", "Requires-Python: ",
              "Provides-Extra: mqtt", "Provides-Extra: numpy", "Provides-Extra: plot",
              "Provides-Extra: test"):
    assert field in text, f"METADATA lacks {field!r}"
print("ok: extension, py.typed, data and complete metadata in the wheel")
EOF

smoke() {  # $1: venv, $2: expected implementation
  (cd "$work" && run "$1/bin/python" - "$2" <<'EOF'
import os, sys
import smartrest
expected = sys.argv[1]
assert smartrest.IMPLEMENTATION == expected, (smartrest.IMPLEMENTATION, expected)
here = os.path.dirname(smartrest.__file__)
assert "site-packages" in here, f"imported from {here}, not the installed package"
rows = [["200", "c8y_Temperature", "T", "25.5", "C"],
        ["400", "c8y_Event", 'multi\nline, "quoted", text'], ["511", "dev", "a,b\\"]]
payload = smartrest.encode(rows)
assert smartrest.decode(payload) == rows
assert smartrest.decode(smartrest.encode(rows, quote_escape="double")) == rows
assert [r for p in smartrest.pack(rows * 500, topic="s/us", qos=1)
        for r in smartrest.decode(p, topic="s/us", qos=1)] == rows * 500
print(f"ok: {smartrest.IMPLEMENTATION} codec from {here}, decode/encode round trip")
EOF
  )
}

step "fresh venv: install the wheel"
"$PYTHON" -m venv "$work/venv"
timeout 900 "$work/venv/bin/python" -m pip install -q --no-cache-dir "$wheel"
smoke "$work/venv" c
out=$(cd "$work" && printf '200,c8y_T,T,1\n' | run "$work/venv/bin/smartrest" decode)
grep -q '"fields": \["200", "c8y_T", "T", "1"\]' <<<"$out" || fail "console script: $out"
out=$(cd "$work" && printf '["211", 21]\n' | run "$work/venv/bin/python" -m smartrest encode)
[ "$out" = "211,21" ] || fail "python -m smartrest encode: $out"
(cd "$work" && run "$work/venv/bin/smartrest" --help >/dev/null) || fail "smartrest --help"
status=0
(cd "$work" && printf '1,"open' | run "$work/venv/bin/smartrest" decode 2>/dev/null) || status=$?
[ "$status" = 1 ] || fail "a malformed payload gave exit status $status, not 1"
echo "ok: console script and python -m smartrest"

step "fresh venv: install the sdist without a working C compiler"
"$PYTHON" -m venv "$work/venv-nocc"
CC=false SMARTREST_REQUIRE_EXTENSION=0 timeout 900 "$work/venv-nocc/bin/python" -m pip install -v \
  --no-cache-dir "$sdist" >"$work/nocc.log" 2>&1 \
  || { tail -n 40 "$work/nocc.log"; fail "the fallback install failed"; }
grep -q "smartrest C extension not built" "$work/nocc.log" \
  || fail "no warning about the missing C extension"
smoke "$work/venv-nocc" python
echo "ok: pure-Python fallback with a warning"

step "SMARTREST_REQUIRE_EXTENSION=1 without a working C compiler must fail"
"$PYTHON" -m venv "$work/venv-require"
if CC=false SMARTREST_REQUIRE_EXTENSION=1 timeout 900 "$work/venv-require/bin/python" -m pip install \
     --no-cache-dir "$sdist" >"$work/require.log" 2>&1; then
  fail "installed although the extension could not be built"
fi
echo "ok: the install failed as required"

printf '\ncheck_wheel: all checks passed\n'
