#!/usr/bin/env bash
# Build the libFuzzer harnesses of the C core (csrc/ only, no Python) with
# AddressSanitizer and UndefinedBehaviorSanitizer.  Output: fuzz/build/sr_fuzz
# (the codec), fuzz/build/sr_fuzz_check (the template checks, check.c) and
# fuzz/build/sr_fuzz_paths (the tokenizer's scan paths against each other),
# fuzz/build/sr_fuzz_validate (the validator and the JSON string writer),
# fuzz/build/sr_fuzz_table (the Arrow tables of table.c);
# csrc/templates_table.h must have been generated (setup.py does it)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
CC="${CC:-clang}"
mkdir -p "$here/build"
# One harness: the sanitizers, warnings as errors, the core's headers.
build() {
  "$CC" -g -O1 -std=c99 -Wall -Wextra -Werror \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer -I"$root/csrc" "$@"
}
build "$root/csrc/tokenizer.c" "$root/csrc/escape.c" "$root/csrc/utf8.c" "$root/csrc/number.c" "$root/csrc/columns.c" \
  "$here/sr_fuzz.c" -o "$here/build/sr_fuzz"
build "$root/csrc/check.c" \
  "$here/sr_fuzz_check.c" -o "$here/build/sr_fuzz_check"
build -DSR_NO_SSE2 "$root/csrc/check.c" \
  "$here/sr_fuzz_check.c" -o "$here/build/sr_fuzz_check_swar"
build "$root/csrc/tokenizer.c" "$root/csrc/utf8.c" \
  "$here/sr_fuzz_paths.c" -o "$here/build/sr_fuzz_paths"
build "$root/csrc/validate.c" "$root/csrc/check.c" "$root/csrc/tokenizer.c" "$root/csrc/escape.c" \
  "$root/csrc/utf8.c" "$root/csrc/jsonl.c" \
  "$here/sr_fuzz_validate.c" -o "$here/build/sr_fuzz_validate"
# The tables with every buffer of 256 bytes or more through the pool of
# output blocks (poisoned while pooled), so that small inputs reuse blocks.
build -DSR_POOLED=256 "$root/csrc/table.c" "$root/csrc/check.c" "$root/csrc/tokenizer.c" \
  "$root/csrc/escape.c" "$root/csrc/utf8.c" "$root/csrc/number.c" \
  "$here/sr_fuzz_table.c" -o "$here/build/sr_fuzz_table"
echo "built $here/build/sr_fuzz $here/build/sr_fuzz_check $here/build/sr_fuzz_paths $here/build/sr_fuzz_validate $here/build/sr_fuzz_table"
