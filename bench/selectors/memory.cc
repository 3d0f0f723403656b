// Heap memory per registered descriptor, per backend, counted by replacing the global
// operator new/delete in this binary: everything the selector allocates (its descriptor
// table, the keys, the backend's arrays, the result buffer after a select()) is seen, at
// the size malloc really reserved (malloc_usable_size). Kernel memory (epoll's per-watch
// items) is not included. Also counts allocations per select() round in steady state,
// which the library promises to be zero.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/grid.h"
#include "lib/selectors.h"

namespace {

std::atomic<long long> live_bytes{0};
std::atomic<long long> allocations{0};

void* counted_allocation(std::size_t size) {
  void* memory = std::malloc(size == 0 ? 1 : size);
  if (!memory) throw std::bad_alloc();
  live_bytes += static_cast<long long>(malloc_usable_size(memory));
  ++allocations;
  return memory;
}

void counted_free(void* memory) noexcept {
  if (!memory) return;
  live_bytes -= static_cast<long long>(malloc_usable_size(memory));
  std::free(memory);
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* memory) noexcept { counted_free(memory); }
void operator delete[](void* memory) noexcept { counted_free(memory); }
void operator delete(void* memory, std::size_t) noexcept { counted_free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { counted_free(memory); }

namespace seltool::bench {
namespace {

constexpr int kRounds = 100;

void memory_per_descriptor(benchmark::State& state, const std::string& backend) {
  const int n = int(state.range(0));
  const int active = std::max(1, n / 10);
  DescriptorPool pool(n);
  pool.activate(active);
  for (auto _ : state) {
    const long long before = live_bytes;
    const std::unique_ptr<Selector> selector = make_selector(backend);
    selector->select(0);  // the empty selector's first round sets up its wakeup channel
    const long long empty = live_bytes;
    for (int fd : pool.fds()) selector->register_file(fd, EVENT_READ);
    selector->select(0);  // buffers sized for N, A entries in the result buffer
    const long long full = live_bytes;
    const long long allocations_before = allocations;
    for (int round = 0; round < kRounds; ++round) benchmark::DoNotOptimize(selector->select(0));
    const long long round_allocations = allocations - allocations_before;
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
