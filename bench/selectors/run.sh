#!/bin/sh
# Builds the selector benchmarks with -c opt, runs each binary RUNS times (default 3) and
# prints the tables of docs/benchmarks.md. The JSON of every run and the load average
# around it are kept in OUT (default /tmp/seltool-bench). select_round runs its paired view
# only (the one the targets are stated in; run the binary by hand for the others).
#   bench/selectors/run.sh [RUNS] [OUT]
set -eu
runs=${1:-3}
out=${2:-/tmp/seltool-bench}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
bazel build -c opt //bench/selectors/...
bin=$(bazel info -c opt bazel-bin)/bench/selectors
for run in $(seq "$runs"); do
  for binary in select_round registration memory; do
    echo "$binary run $run: load before $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
    filter=.
    [ "$binary" = select_round ] && filter=paired
    "$bin/$binary" --benchmark_filter="$filter" --benchmark_out="$out/$binary.$run.json" --benchmark_out_format=json \
      >"$out/$binary.$run.txt"
    echo "$binary run $run: load after  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
  done
done
python3 bench/selectors/compare.py "$out"/*.json
