#!/usr/bin/env bash
# Run every fuzz harness for about SECONDS seconds in all (default 60):
# the five libFuzzer harnesses of the C core (ASan + UBSan: `libfuzzer` the
# codec, `check` the template checks of check.c with and without SSE2,
# `paths` the tokenizer's scan paths, `validate` the validator, `table` the
# Arrow tables) and the six atheris harnesses of the Python API.  Exits
# non-zero if any harness finds a crash, a sanitizer report or a broken
# invariant; the input is kept in fuzz/build/artifacts/.  Working corpora
# grow in fuzz/build/corpus-<name>,
# seeded from fuzz/corpus/<name>.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
total="${1:-60}"
cd "$root"

harnesses=(libfuzzer check paths validate table decode differential roundtrip stream pack sequences)
per=$(( total / ${#harnesses[@]} ))
(( per < 5 )) && per=5

bash "$here/build_libfuzzer.sh" >/dev/null || { echo "fuzz: cannot build the libFuzzer harnesses"; exit 1; }
python -c "import smartrest._codec" 2>/dev/null ||
  SMARTREST_REQUIRE_EXTENSION=1 python setup.py build_ext --inplace -q >/dev/null ||
  { echo "fuzz: cannot build the extension"; exit 1; }

python -c "import atheris" 2>/dev/null || { echo "fuzz: atheris is missing (pip install atheris)"; exit 1; }
mkdir -p "$here/build/artifacts"
failed=()
printf '%-13s %10s %8s  %s\n' harness executions seconds result
for name in "${harnesses[@]}"; do
  corpus="$here/build/corpus-$name"
  log="$here/build/$name.log"
  mkdir -p "$corpus"
  args=(-max_total_time="$per" -timeout=20 -print_final_stats=1
        -artifact_prefix="$here/build/artifacts/$name-" "$corpus" "$here/corpus/$name")
  if [[ $name == libfuzzer ]]; then
    "$here/build/sr_fuzz" -max_len=8192 "${args[@]}" >"$log" 2>&1
  elif [[ $name == paths ]]; then
    "$here/build/sr_fuzz_paths" -max_len=4096 "${args[@]}" >"$log" 2>&1
  elif [[ $name == validate ]]; then
    "$here/build/sr_fuzz_validate" -max_len=4096 "${args[@]}" >"$log" 2>&1
  elif [[ $name == table ]]; then
    "$here/build/sr_fuzz_table" -max_len=4096 "${args[@]}" >"$log" 2>&1
  elif [[ $name == check ]]; then
    half=(-max_total_time=$(( (per + 1) / 2 )) "${args[@]:1}")
    "$here/build/sr_fuzz_check" -max_len=1024 "${half[@]}" >"$log" 2>&1 &&
      "$here/build/sr_fuzz_check_swar" -max_len=1024 "${half[@]}" >>"$log" 2>&1
  else
    python "$here/fuzz_$name.py" "${args[@]}" >"$log" 2>&1
  fi
  rc=$?
  runs=$(grep -oE 'number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  if (( rc == 0 )); then result=ok; else result="FINDING (exit $rc, log $log)"; failed+=("$name"); fi
  printf '%-13s %10s %8s  %s\n' "$name" "${runs:-?}" "$per" "$result"
done

if (( ${#failed[@]} )); then
  for name in "${failed[@]}"; do
    echo "---- $name: $here/build/$name.log"
    grep -E -m1 -A12 'ERROR|AssertionError|Traceback|invariant failed|runtime error' \
      "$here/build/$name.log"
  done
  exit 1
fi
