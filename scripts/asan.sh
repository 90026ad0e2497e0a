#!/usr/bin/env bash
# Run tests against the C extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer; fail on any test failure or sanitizer report.
#
# Usage: bash scripts/asan.sh [pytest arguments]
#   default: tests/test_codec.py tests/test_hostile.py tests/test_properties.py
#            tests/test_columnar.py tests/test_threads.py tests/test_stress.py
#            tests/test_safety.py tests/test_arrow.py tests/test_arrow_paths.py
#            tests/test_validate.py
#            (the C of the typed tables and of the validator too)
#
# The working tree is left alone: the tracked files and the untracked ones
# git does not ignore (as they are in the working tree, edits included; no
# .git, no *.so, no build/) are copied into a temporary directory, the
# extension is built there in place with gcc and SMARTREST_SANITIZE=1
# (setup.py: -fsanitize=address,undefined -fno-sanitize-recover=undefined
# -fno-omit-frame-pointer -O1 -g), and `python -m pytest` runs from inside
# the copy, so the copy's smartrest package is the one imported (checked,
# and its path printed, before the tests start).
#
# The run:
#   LD_PRELOAD         gcc's libasan (the runtime must come first)
#   PYTHONMALLOC       malloc, so that ASan sees every Python allocation
#   ASAN_OPTIONS       detect_leaks=0 (CPython keeps memory at exit by
#                      design; fuzz/valgrind.sh and tests/test_leaks.py look
#                      for leaks), halt_on_error=1, abort_on_error=1
#   UBSAN_OPTIONS      print_stacktrace=1, halt_on_error=1
#   SMARTREST_REQUIRE_EXTENSION=1, so a missing extension fails
# Sanitizer reports go to log files (pytest's output capture would swallow
# them when the process aborts) and are copied to fuzz/build/asan/.
#
# ASan keeps freed memory in a quarantine (256 MB) to catch use after free,
# so RSS grows under it.  With the default test set, the tests that bound
# RSS growth (test_hostile.py: test_long_stream_of_short_rows_stays_flat,
# test_endless_row_is_rejected_at_the_limit) run in a second pytest run with
# a 4 MB quarantine; everything else runs with the full one.  With explicit
# arguments there is one run, as given (SMARTREST_ASAN_QUARANTINE_MB=4 for
# those tests).  About 3 minutes for the default set.
#
# Environment:
#   SMARTREST_ASAN_TIMEOUT        seconds before a pytest run is killed (1200)
#   SMARTREST_ASAN_QUARANTINE_MB  quarantine of the main run (ASan's default)
#   SMARTREST_ASAN_KEEP=1         keep the temporary copy (its path is printed)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
start=$SECONDS

args=("$@")
rss_tests=()
if (( ${#args[@]} == 0 )); then
  args=(tests/test_codec.py tests/test_hostile.py tests/test_properties.py
        tests/test_columnar.py tests/test_threads.py tests/test_stress.py tests/test_safety.py
        tests/test_arrow.py tests/test_arrow_paths.py tests/test_validate.py)
  rss_tests=(tests/test_hostile.py::test_long_stream_of_short_rows_stays_flat
             tests/test_hostile.py::test_endless_row_is_rejected_at_the_limit)
  for t in "${rss_tests[@]}"; do args+=(--deselect "$t"); done
fi

fail() {
  echo "asan: FAILED: $* ($((SECONDS - start)) s)"
  exit 1
}

command -v gcc >/dev/null 2>&1 || fail "gcc not found"
libasan="$(gcc -print-file-name=libasan.so)"
[[ -f $libasan ]] || fail "gcc's libasan.so not found (Debian: apt-get install libasan8 or gcc)"

work="$(mktemp -d "${TMPDIR:-/tmp}/smartrest-asan.XXXXXX")"
src="$work/src"
logs="$work/logs"
mkdir -p "$src" "$logs" "$work/plugin"
cleanup() {
  if [[ ${SMARTREST_ASAN_KEEP:-0} != 0 ]]; then
    echo "asan: copy kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# --- copy the sources --------------------------------------------------------
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and untracked-but-not-ignored files that exist in the working tree.
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -f $f ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$src" || fail "copying the tree"
else
  tar --exclude=.git --exclude='*.so' --exclude=build --exclude=dist \
      --exclude='*.egg-info' --exclude=__pycache__ --exclude=.hypothesis \
      -cf - . | tar -xf - -C "$src" || fail "copying the tree"
fi
# Generated C of the Cython bindings is rebuilt from the .pyx files.
rm -f "$src"/smartrest/_codec.c "$src"/smartrest/_messages.c

# --- build ---------------------------------------------------------------------
echo "asan: building the extension in $src"
(cd "$src" && CC=gcc SMARTREST_SANITIZE=1 SMARTREST_REQUIRE_EXTENSION=1 \
   python setup.py -q build_ext --inplace -j "$(nproc 2>/dev/null || echo 2)") \
   >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "build"; }
for so in "$src"/smartrest/_codec*.so "$src"/smartrest/_messages*.so; do
  [[ -f $so ]] || fail "no extension built (see the build output above)"
  readelf -d "$so" | grep -q 'NEEDED.*libasan' || fail "$so is not linked with ASan"
done
echo "asan: built in $((SECONDS - start)) s"

# --- run ----------------------------------------------------------------------
# A plugin that checks, inside the pytest process, that the copy is imported.
cat >"$work/plugin/_smartrest_asan_check.py" <<'EOF'
import os

import pytest


def pytest_configure(config):
    import smartrest._codec
    import smartrest._messages

    src = os.path.realpath(os.environ["SMARTREST_ASAN_SRC"]) + os.sep
    for module in (smartrest._codec, smartrest._messages):
        if not os.path.realpath(module.__file__).startswith(src):
            raise pytest.UsageError(f"{module.__name__} is {module.__file__}, not the sanitized copy")
EOF

export SMARTREST_ASAN_SRC="$src"
export SMARTREST_REQUIRE_EXTENSION=1
export PYTHONPATH="$src:$work/plugin${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONMALLOC=malloc
export PYTHONDONTWRITEBYTECODE=1
asan_options="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$logs/asan"
export ASAN_OPTIONS="$asan_options${SMARTREST_ASAN_QUARANTINE_MB:+:quarantine_size_mb=$SMARTREST_ASAN_QUARANTINE_MB}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
run=(env LD_PRELOAD="$libasan" python)

cd "$src"
codec="$("${run[@]}" -c 'import smartrest._codec as c; print(c.__file__)')" ||
  fail "the sanitized extension does not import"
[[ $codec == "$src"/* ]] || fail "smartrest._codec is $codec, not the copy's"
echo "asan: smartrest._codec = $codec"
echo "asan: python -m pytest ${args[*]}"

summaries=()
rc=0
pytest_run() {  # pytest_run NAME [pytest arguments]: run one pass, note its outcome
  local name=$1 out="$work/pytest-$1.out" status summary
  shift
  timeout -k 30 "${SMARTREST_ASAN_TIMEOUT:-1200}" "${run[@]}" -m pytest -q -p no:cacheprovider \
    -p _smartrest_asan_check "$@" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  summary="$(grep -E '(passed|failed|error|deselected|no tests ran).* in [0-9.]+s' "$out" |
             tail -1 | sed 's/=//g; s/^ *//; s/ *$//')"
  summaries+=("$name: ${summary:-no pytest summary} (exit status $status)")
  if (( status == 124 || status == 137 )); then
    summaries[-1]+=" TIMED OUT after ${SMARTREST_ASAN_TIMEOUT:-1200} s"
  fi
  (( status == 0 )) || rc=$status
}
pytest_run main "${args[@]}"
if (( ${#rss_tests[@]} )); then
  echo "asan: the tests that bound RSS growth, with a 4 MB quarantine"
  ASAN_OPTIONS="$asan_options:quarantine_size_mb=4" pytest_run rss "${rss_tests[@]}"
fi
cd "$root"

# --- summary ------------------------------------------------------------------
reports=("$logs"/*)
[[ -e ${reports[0]} ]] || reports=()
mkdir -p fuzz/build/asan
rm -f fuzz/build/asan/*
if (( ${#reports[@]} )); then
  cp "${reports[@]}" fuzz/build/asan/
  for r in "${reports[@]}"; do
    echo "----- $(basename "$r")"
    head -60 "$r"
  done
fi
tests="$(IFS=';'; echo "${summaries[*]}" | sed 's/;/; /g')"
elapsed=$((SECONDS - start))
if (( ${#reports[@]} )); then
  echo "asan: FAILED: ${#reports[@]} sanitizer report(s) in fuzz/build/asan/; $tests; $elapsed s"
  exit 1
fi
if (( rc != 0 )); then
  echo "asan: FAILED: tests failed, no sanitizer report; $tests; $elapsed s"
  exit 1
fi
echo "asan: OK: no sanitizer report; $tests; $elapsed s"
