#!/bin/bash
# Runs one fuzz target (see fuzz.bzl). Usage: run_fuzzer.sh FUZZER SEED_CORPUS_DIR
# With FUZZ_SECONDS set (--config=fuzz): libFuzzer for that long, starting from a writable copy
# of the seeds; a crash, sanitizer report, leak or timeout fails the test, and the input that
# caused it is kept in the test's undeclared outputs (bazel-testlogs/.../test.outputs/).
# Without: each seed once (the replay main).
set -euo pipefail
fuzzer=$1
seeds=$2

if [[ -z ${FUZZ_SECONDS:-} ]]; then
  exec "$fuzzer" "$seeds"/*
fi

corpus=${TEST_TMPDIR:?}/corpus
mkdir -p "$corpus"
cp -L "$seeds"/* "$corpus"/
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$TEST_TMPDIR}/
exec "$fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus"
