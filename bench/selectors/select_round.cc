// One select() round per backend with N registered descriptors of which A are ready: the
// library's select(0) plus iterating the result and touching each key, beside the same round
// written directly against the system call (poll over a pollfd array and a scan of revents;
// epoll_wait and a walk over the events; select over fd_set copies and an FD_ISSET scan).
// Every round must see exactly A ready descriptors, or the benchmark reports an error.
//
// Two views of the same rounds:
//   select_round/<backend>/library|raw/N:n/A:a   each alone, Google Benchmark's own timing;
//   select_round/<backend>/paired/N:n/A:a        both over the same descriptors, in
//       alternating blocks timed with the thread's CPU clock; the counters give the median
//       block of each per round and their ratio. On a loaded machine this ratio is much
//       steadier than one of two separate runs, which see different load.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/grid.h"
#include "bench/selectors/rounds.h"

namespace seltool::bench {
namespace {

// One untimed round of each, which must see exactly `active` ready.
template <typename... Rounds>
bool check(benchmark::State& state, int active, Rounds&... rounds) {
  for (int seen : {rounds()...}) {
    if (seen != active) {
      const std::string message =
          "expected " + std::to_string(active) + " ready, got " + std::to_string(seen);
      state.SkipWithError(message.c_str());
      return false;
    }
  }
  return true;
}

template <typename Round>
void alone(benchmark::State& state, Round& round, int active) {
  if (!check(state, active, round)) return;
  for (auto _ : state) benchmark::DoNotOptimize(round());
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

template <typename Round>
double block_seconds(Round& round, int rounds) {
  const double start = thread_cpu_seconds();
  for (int i = 0; i < rounds; ++i) benchmark::DoNotOptimize(round());
  return thread_cpu_seconds() - start;
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// Blocks of at least 200 us (calibrated on the raw round), so that the CPU clock's cost (a
// system call) is small beside a block; the order within each pair alternates so neither
// always runs first.
template <typename Raw>
void paired(benchmark::State& state, LibraryRound& library, Raw& raw, int active) {
  if (!check(state, active, library, raw)) return;
  int rounds = 1;
  while (rounds < (1 << 20) && block_seconds(raw, rounds) < 200e-6) rounds *= 2;
  std::vector<double> library_blocks;
  std::vector<double> raw_blocks;
  for (auto _ : state) {
    if (library_blocks.size() % 2 == 0) {
      library_blocks.push_back(block_seconds(library, rounds));
      raw_blocks.push_back(block_seconds(raw, rounds));
    } else {
      raw_blocks.push_back(block_seconds(raw, rounds));
      library_blocks.push_back(block_seconds(library, rounds));
    }
  }
  const double library_round = median(library_blocks) / rounds;
  const double raw_round = median(raw_blocks) / rounds;
  state.counters["library_us"] = library_round * 1e6;
  state.counters["raw_us"] = raw_round * 1e6;
  state.counters["ratio"] = library_round / raw_round;
}

template <typename Raw>
void register_backend(const std::string& backend) {
  for (int n : descriptor_counts(backend)) {
    for (int active : active_counts(n)) {
      const std::string prefix = "select_round/" + backend + "/";
      // The three views of one point run one after another, so they see similar load.
      std::vector<benchmark::internal::Benchmark*> views = {
          benchmark::RegisterBenchmark((prefix + "library").c_str(),
                                       [backend](benchmark::State& state) {
                                         DescriptorPool pool(int(state.range(0)));
                                         pool.activate(int(state.range(1)));
                                         LibraryRound round(backend, pool);
                                         alone(state, round, int(state.range(1)));
                                       }),
          benchmark::RegisterBenchmark((prefix + "raw").c_str(),
                                       [](benchmark::State& state) {
                                         DescriptorPool pool(int(state.range(0)));
                                         pool.activate(int(state.range(1)));
                                         Raw round(pool);
                                         alone(state, round, int(state.range(1)));
                                       }),
          benchmark::RegisterBenchmark((prefix + "paired").c_str(),
                                       [backend](benchmark::State& state) {
                                         DescriptorPool pool(int(state.range(0)));
                                         pool.activate(int(state.range(1)));
                                         LibraryRound library(backend, pool);
                                         Raw raw(pool);
                                         paired(state, library, raw, int(state.range(1)));
                                       }),
      };
      for (auto* view : views) {
        view->Args({n, active})->ArgNames({"N", "A"})->Unit(benchmark::kMicrosecond);
        view->MinTime(view == views.back() ? 0.5 : 0.05);
      }
    }
  }
}

}  // namespace
}  // namespace seltool::bench

int main(int argc, char** argv) {
  using namespace seltool::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("max_descriptors", std::to_string(max_pool_size()));
  register_backend<RawSelectRound>("select");
  register_backend<RawPollRound>("poll");
  register_backend<RawEpollRound>("epoll");
  register_backend<RawEpollRound>("io_uring");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
