// Heap memory per registered descriptor, per backend, counted by the global operator
// new/delete that //tools:heap_count puts in this binary: everything the selector allocates
// (its descriptor table, the keys, the backend's arrays, the result buffer after a select())
// is seen, at the size malloc really reserved. Kernel memory (epoll's per-watch items) is
// not included. Also counts allocations per select() round in steady state, which the
// library promises to be zero.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/grid.h"
#include "lib/selectors.h"
#include "tools/heap_count.h"

namespace seltool::bench {
namespace {

constexpr int kRounds = 100;

void memory_per_descriptor(benchmark::State& state, const std::string& backend) {
  const int n = int(state.range(0));
  const int active = std::max(1, n / 10);
  DescriptorPool pool(n);
  pool.activate(active);
  for (auto _ : state) {
    const long long before = heap_count::live_bytes();
    const std::unique_ptr<Selector> selector = make_selector(backend);
    selector->select(0);  // the empty selector's first round sets up its wakeup channel
    const long long empty = heap_count::live_bytes();
    for (int fd : pool.fds()) selector->register_file(fd, EVENT_READ);
    selector->select(0);  // buffers sized for N, A entries in the result buffer
    const long long full = heap_count::live_bytes();
    const long long allocations_before = heap_count::allocations();
    for (int round = 0; round < kRounds; ++round) benchmark::DoNotOptimize(selector->select(0));
    const long long round_allocations = heap_count::allocations() - allocations_before;
    state.counters["bytes_per_descriptor"] = double(full - empty) / n;
    state.counters["empty_selector_bytes"] = double(empty - before);
    state.counters["allocations_per_round"] = double(round_allocations) / kRounds;
  }
}

void register_all() {
  for (const std::string& backend : kBackends) {
    for (int n : descriptor_counts(backend)) {
      benchmark::RegisterBenchmark(
          ("memory/" + backend).c_str(),
          [backend](benchmark::State& state) { memory_per_descriptor(state, backend); })
          ->Arg(n)
          ->ArgName("N")
          ->Iterations(1);
    }
  }
}

}  // namespace
}  // namespace seltool::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  seltool::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
