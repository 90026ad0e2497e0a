#!/usr/bin/env bash
# Run a test subset of the C implementation under valgrind's leak checker
# and fail on any "definitely lost" block allocated by the extension
# (smartrest/_codec*.so, built from csrc/ and _codec.pyx), or on any invalid
# read or write in it.  PYTHONMALLOC=malloc makes every Python allocation
# visible to valgrind.  Usage: fuzz/valgrind.sh [pytest arguments]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p fuzz/build
log=fuzz/build/valgrind.log
args=("$@")
if (( ${#args[@]} == 0 )); then
  args=(tests/test_hostile.py -m "not slow" -k "c and not python")
fi
py="$(python -c "import sys; print(sys.executable)")"  # not a launcher script
PYTHONMALLOC=malloc valgrind --leak-check=full --show-leak-kinds=definite \
  --num-callers=40 --log-file="$log" \
  "$py" -m pytest -q -p no:cacheprovider "${args[@]}"
rc=$?
echo "valgrind log: $log"
grep -E "definitely lost:|ERROR SUMMARY" "$log"
# Loss records and memory errors whose stack goes through the extension.
# (CPython itself, not built for valgrind, reports uninitialised reads of its
# own; only records through the extension count.)
ext='_codec[.]cpython|__pyx_|[(](tokenizer|escape|utf8|_codec)[.]c:'
bad=$(awk -v ext="$ext" '/^==[0-9]+== *$/ {if (rec ~ ext && rec ~ /(definitely lost|Invalid|uninitialised|Mismatched)/) {print rec; n++}; rec=""; next}
           {rec = rec "\n" $0} END {exit n ? 1 : 0}' "$log")
if [[ -n $bad ]]; then
  echo "$bad"
  echo "valgrind: the extension leaks or misuses memory"
  exit 1
fi
echo "valgrind: no definite leak and no memory error in the extension"
exit $rc
