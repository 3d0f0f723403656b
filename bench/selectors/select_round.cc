// One select() round per backend with N registered descriptors of which A are ready: the
// library's select(0) plus iterating the result and touching each key, beside the same round
// written directly against the system call (poll over a pollfd array and a scan of revents;
// epoll_wait and a walk over the events; select over fd_set copies and an FD_ISSET scan).
// Every round must see exactly A ready descriptors, or the benchmark reports an error.
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/grid.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::bench {
namespace {

// Runs `round` (which returns how many descriptors it saw ready) in the timing loop, after
// one untimed round that checks it sees exactly `active`. A template, so that the round is
// inlined into the loop for the library and the raw variant alike.
template <typename Round>
void measure(benchmark::State& state, int active, Round round) {
  const int seen = round();
  if (seen != active) {
    const std::string message =
        "expected " + std::to_string(active) + " ready, got " + std::to_string(seen);
    state.SkipWithError(message.c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(round());
}

void library_round(benchmark::State& state, const std::string& backend) {
  const int n = int(state.range(0));
  const int active = int(state.range(1));
  DescriptorPool pool(n);
  pool.activate(active);
  const std::unique_ptr<Selector> selector = make_selector(backend);
  for (int fd : pool.fds()) selector->register_file(fd, EVENT_READ);
  unsigned checksum = 0;
  measure(state, active, [&] {
    int seen = 0;
    for (auto [key, events] : selector->select(0)) {
      checksum += unsigned(key.fd) + events;
      ++seen;
    }
    return seen;
  });
  benchmark::DoNotOptimize(checksum);
}

void raw_poll_round(benchmark::State& state) {
  const int n = int(state.range(0));
  const int active = int(state.range(1));
  DescriptorPool pool(n);
  pool.activate(active);
  std::vector<pollfd> pollfds;
  for (int fd : pool.fds()) pollfds.push_back({fd, POLLIN, 0});
  unsigned checksum = 0;
  measure(state, active, [&] {
    int left = ::poll(pollfds.data(), nfds_t(pollfds.size()), 0);
    const int seen = left;
    for (const pollfd& entry : pollfds) {
      if (left <= 0) break;
      if (entry.revents == 0) continue;
      --left;
      checksum += unsigned(entry.fd) + unsigned(entry.revents);
    }
    return seen;
  });
  benchmark::DoNotOptimize(checksum);
}

void raw_epoll_round(benchmark::State& state) {
  const int n = int(state.range(0));
  const int active = int(state.range(1));
  DescriptorPool pool(n);
  pool.activate(active);
  const UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  for (int fd : pool.fds()) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &event) == -1) {
      state.SkipWithError("epoll_ctl ADD failed");
      return;
    }
  }
  std::vector<epoll_event> events(static_cast<std::size_t>(n));
  unsigned checksum = 0;
  measure(state, active, [&] {
    const int ready = ::epoll_wait(epoll.get(), events.data(), n, 0);
    for (int i = 0; i < ready; ++i) checksum += unsigned(events[i].data.fd) + events[i].events;
    return ready;
  });
  benchmark::DoNotOptimize(checksum);
}

void raw_select_round(benchmark::State& state) {
  const int n = int(state.range(0));
  const int active = int(state.range(1));
  DescriptorPool pool(n);
  pool.activate(active);
  fd_set readers;
  FD_ZERO(&readers);
  int max_fd = -1;
  for (int fd : pool.fds()) {
    FD_SET(fd, &readers);
    max_fd = std::max(max_fd, fd);
  }
  unsigned checksum = 0;
  measure(state, active, [&] {
    fd_set readable = readers;
    timeval zero{};
    int left = ::select(max_fd + 1, &readable, nullptr, nullptr, &zero);
    const int seen = left;
    for (int fd = 0; fd <= max_fd && left > 0; ++fd) {
      if (!FD_ISSET(fd, &readable)) continue;
      --left;
      checksum += unsigned(fd);
    }
    return seen;
  });
  benchmark::DoNotOptimize(checksum);
}

void register_all() {
  for (const std::string& backend : kBackends) {
    const std::function<void(benchmark::State&)> raw = backend == "poll"    ? raw_poll_round
                                                       : backend == "epoll" ? raw_epoll_round
                                                                            : raw_select_round;
    for (int n : descriptor_counts(backend)) {
      for (int active : active_counts(n)) {
        // Library and raw side by side, so both see the same machine load.
        for (const char* variant : {"library", "raw"}) {
          const std::string name = "select_round/" + backend + "/" + variant;
          auto* bench =
              variant == std::string("raw")
                  ? benchmark::RegisterBenchmark(name.c_str(), raw)
                  : benchmark::RegisterBenchmark(name.c_str(), [backend](benchmark::State& state) {
                      library_round(state, backend);
                    });
          bench->Args({n, active})
              ->ArgNames({"N", "A"})
              ->MinTime(0.05)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}

}  // namespace
}  // namespace seltool::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("max_descriptors", std::to_string(seltool::bench::max_pool_size()));
  seltool::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
