#!/usr/bin/env bash
# Builds the C extension and runs the codec and template tests on every
# CPython from 3.9 to 3.13 that pyenv offers on this machine, except the
# interpreter the main test run uses (it runs the whole suite).
#
# Each version gets a virtual environment under ${SMARTREST_VENVS:-/tmp/smartrest-venvs}
# and its own in-place build: extension file names carry the ABI tag
# (_codec.cpython-39-x86_64-linux-gnu.so ...), so the builds of several
# versions sit side by side in the source tree and `python -m pytest` from
# the repository root tests the build of the interpreter that runs it.
#
# Usage: bash scripts/pythons.sh [VERSION...]   (default: 3.9 3.10 3.12 3.13)
# Fails when a version's build or tests fail; a version pyenv does not have
# is reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.9 3.10 3.12 3.13)
venvs=${SMARTREST_VENVS:-/tmp/smartrest-venvs}
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
# The codec, safety and template tests: what differs between CPython versions
# is the C-API the binding uses and the interpreter's own behaviour (docstrings,
# garbage collection points); the whole suite runs on the main interpreter.
tests=(tests/test_codec.py tests/test_safety.py tests/test_templates.py tests/test_api.py)
summary=()
status=0

for v in "${versions[@]}"; do
  python=$(ls -d "$root"/versions/"$v".*/bin/python 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$python" ]; then
    echo "== Python $v: not offered by pyenv here, skipped"
    summary+=("$v: not installed")
    continue
  fi
  full=$("$python" -c 'import platform; print(platform.python_version())')
  echo "== Python $full ($python)"
  env="$venvs/$v"
  [ -x "$env/bin/python" ] || "$python" -m venv "$env"
  "$env/bin/python" -m pip install -q --upgrade pip 'setuptools>=77' wheel 'Cython>=3.0' \
      pytest hypothesis numpy paho-mqtt 2>&1 | grep -v -i "warning" || true
  SMARTREST_REQUIRE_EXTENSION=1 "$env/bin/python" setup.py -q build_ext --inplace >/dev/null
  "$env/bin/python" -c 'import smartrest, sys; assert smartrest.IMPLEMENTATION == "c", smartrest.IMPLEMENTATION; print("   implementation:", smartrest.IMPLEMENTATION)'
  if out=$(SMARTREST_REQUIRE_EXTENSION=1 "$env/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}" 2>&1); then
    line=$(printf '%s\n' "$out" | tail -n 1)
    echo "   $line"
    summary+=("$full: $line")
  else
    printf '%s\n' "$out" | tail -n 40
    summary+=("$full: FAILED")
    status=1
  fi
done

echo "== per-version results"
printf '   %s\n' "${summary[@]}"
exit $status
