#!/usr/bin/env bash
# The long fuzzing campaign: builds the libFuzzer harnesses (tests/fuzz, clang,
# -fsanitize=fuzzer,address,undefined) into build-fuzz/ and runs each one for
# SECONDS (default 600) in turn, keeping the corpus it grows in
# build-fuzz/corpus/<harness>/ across runs. Crash reproducers land in
# build-fuzz/artifacts/; replay one with build-fuzz/<harness> <file>.
#
#   scripts/fuzz.sh [seconds] [harness]
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (build jobs, 2).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
only="${2:-}"
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac
args=(-DFUZZ_SOURCE_DIR="$PWD/tests/fuzz" -DFUZZ_BINARY_DIR="$build_dir"
      -DFUZZ_SECONDS="$seconds" -DFUZZ_KEEP_CORPUS=ON -DFUZZ_JOBS="${FUZZ_JOBS:-2}")
if [ -n "$only" ]; then args+=(-DFUZZ_ONLY="$only"); fi
exec cmake "${args[@]}" -P tests/fuzz/run_fuzz.cmake
