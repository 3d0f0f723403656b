#!/bin/bash
# Runs a Windows test binary under wine: Bazel's --run_under for `--config=mingw` tests.
# Usage: wine_run.sh PROGRAM.exe [ARGS...]
# Where wine is missing, the test is reported as skipped (a JUnit <skipped/> case) and passes.
set -euo pipefail

wine=${WINE:-/usr/lib/wine/wine64}
if [[ ! -x $wine ]]; then
  echo "SKIPPED: wine is not installed ($wine missing): Windows tests not run." \
       "Install it with scripts/setup.sh (package wine64)." >&2
  if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" errors="0" skipped="1">
  <testsuite name="wine" tests="1" failures="0" errors="0" skipped="1">
    <testcase name="wine_missing" classname="$(basename "$1")"><skipped message="wine is not installed"/></testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit 0
fi

# One prefix per user outside the per-test HOME and TMPDIR: creating one costs seconds.
export WINEPREFIX=${WINEPREFIX:-/tmp/seltool-wineprefix-$(id -u)}
export WINEDEBUG=${WINEDEBUG:--all}
# GoogleTest under wine sees Windows paths: without a drive letter it would treat Bazel's
# absolute XML path as relative to the working directory.
if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
  export XML_OUTPUT_FILE="Z:${XML_OUTPUT_FILE}"
fi
exec "$wine" "$@"
