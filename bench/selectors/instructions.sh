#!/bin/sh
# User-space instructions per select() round, counted by callgrind (exact, and the same on
# a loaded machine): for each backend and point (N registered, A ready) the library's round
# and the raw system call's, per round, and the library's cost per ready descriptor between
# the two A of one N: (Ir(A2) - Ir(A1)) / (A2 - A1). See docs/benchmarks.md.
#   bench/selectors/instructions.sh [ROUNDS] [BACKENDS...]   (default: 200 epoll poll)
set -eu
rounds=${1:-200}
[ $# -gt 0 ] && shift
backends=${*:-epoll poll}
cd "$(dirname "$0")/../.."
bazel build -c opt //bench/selectors:instructions >&2
bin=$(bazel info -c opt bazel-bin)/bench/selectors/instructions
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions per round of one run (BACKEND N A library|raw): callgrind's total over ROUNDS.
count() {
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_rounds \
    --callgrind-out-file="$out/cg" "$bin" "$1" "$2" "$3" "$rounds" "$4" 2>"$out/log" ||
    { cat "$out/log" >&2; exit 1; }
  awk -v rounds="$rounds" '/^(summary|totals):/ { printf "%.1f\n", $2 / rounds; exit }' "$out/cg"
}

printf '%-8s %6s %6s %12s %12s\n' backend N A library raw
for backend in $backends; do
  for point in "10 1" "10 10" "1000 1" "1000 1000"; do
    set -- $point
    library=$(count "$backend" "$1" "$2" library)
    raw=$(count "$backend" "$1" "$2" raw)
    printf '%-8s %6s %6s %12s %12s\n' "$backend" "$1" "$2" "$library" "$raw"
    echo "$backend $1 $2 $library $raw" >>"$out/points"
  done
done
echo
echo "per ready descriptor (A = 1 to A = N): library, raw"
awk '$3 == 1 { l[$1" "$2] = $4; r[$1" "$2] = $5 }
     $3 == $2 && $2 > 1 { k = $1" "$2
       printf "%-8s N=%-5s %8.1f %8.1f\n", $1, $2, ($4 - l[k]) / ($2 - 1), ($5 - r[k]) / ($2 - 1) }' \
  "$out/points"
