#!/bin/bash
# Runs a Windows test binary under wine: Bazel's --run_under for `--config=mingw` tests.
# Usage: wine_run.sh PROGRAM.exe [ARGS...]
# Where wine is missing the test FAILS: a Windows test that did not run must not show as
# PASSED. scripts/setup.sh installs wine (package wine64).
set -euo pipefail

wine=${WINE:-/usr/lib/wine/wine64}
if [[ ! -x $wine ]]; then
  echo "wine_run.sh: wine is not installed ($wine missing), so $(basename "$1") did not run;" \
       "install it with scripts/setup.sh (package wine64) or set WINE." >&2
  exit 1
fi

# One prefix per user outside the per-test HOME and TMPDIR: creating one costs seconds.
export WINEPREFIX=${WINEPREFIX:-/tmp/seltool-wineprefix-$(id -u)}
export WINEDEBUG=${WINEDEBUG:--all}

# Created once, completely, before any program runs in it: tests start in parallel, and a
# prefix that several first runs built at once, or that a timeout cut short, lacks parts of
# its registry (PATH, so `cmd` was not found). A marker file says the creation finished.
ready=$WINEPREFIX/.seltool-prefix-complete
if [[ ! -f $ready ]]; then
  (
    flock 9
    if [[ ! -f $ready ]]; then
      rm -rf "$WINEPREFIX"  # an unfinished one
      if ! "$wine" wineboot --init >"$WINEPREFIX.log" 2>&1; then
        echo "wine_run.sh: could not create the wine prefix $WINEPREFIX (see $WINEPREFIX.log)" >&2
        exit 1
      fi
      "${WINESERVER:-/usr/lib/wine/wineserver64}" -w  # until the creation is on disk
      touch "$ready"
    fi
  ) 9>"$WINEPREFIX.lock"
fi
# A wine program started alone runs a wineserver that exits the moment its last program
# does (-p0): the next program, started a few milliseconds later, then meets a server that is
# shutting down and is killed or hangs (one test in a few dozen). One server that outlives its
# programs by a minute serves a whole test run; where one is already running this is a no-op.
"${WINESERVER:-/usr/lib/wine/wineserver64}" -p60 2>/dev/null || true

# GoogleTest under wine sees Windows paths: without a drive letter it would treat Bazel's
# absolute XML path as relative to the working directory.
if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
  export XML_OUTPUT_FILE="Z:${XML_OUTPUT_FILE}"
fi
exec "$wine" "$@"
