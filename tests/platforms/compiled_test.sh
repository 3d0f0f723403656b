#!/bin/bash
# Passes when the compile-check library given as arguments was built: Bazel builds a test's
# data before running it, so a backend that does not compile against an OS header fails the
# build of this test. Lists what was built, for the log.
set -uo pipefail
(($# > 0)) || { echo "no files given" >&2; exit 1; }
for file in "$@"; do
  [[ -s $file ]] || { echo "missing or empty: $file" >&2; exit 1; }
  echo "built: $file"
done
