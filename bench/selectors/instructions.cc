// Counts the user-space instructions of select() rounds under callgrind, which do not depend
// on the machine's load (run by instructions.sh; docs/benchmarks.md).
//   instructions BACKEND N A ROUNDS library|raw
// sets up N registered descriptors of which A are ready, checks that one round sees exactly
// A, then runs ROUNDS rounds of the library (select(0), iterating the result, touching each
// key) or of the raw system call inside measured_rounds(), the only function callgrind
// collects (--toggle-collect=measured_rounds). Exit status 1 on a wrong count or usage.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/rounds.h"

namespace {

template <typename Round>
int call(void* round) {
  return (*static_cast<Round*>(round))();
}

}  // namespace

// Not inlined and not mangled: callgrind collects exactly this function and what it calls.
extern "C" __attribute__((noinline)) long measured_rounds(int (*round)(void*), void* state,
                                                          int rounds) {
  long seen = 0;
  for (int i = 0; i < rounds; ++i) seen += round(state);
  return seen;
}

namespace seltool::bench {
namespace {

template <typename Round>
int run(Round& round, int active, int rounds) {
  if (round() != active) {
    std::fprintf(stderr, "instructions: a round did not see exactly %d ready\n", active);
    return 1;
  }
  const long seen = measured_rounds(&call<Round>, &round, rounds);
  return seen == long(active) * rounds ? 0 : 1;
}

int main(int argc, char** argv) {
  const std::string usage = "usage: instructions BACKEND N A ROUNDS library|raw";
  if (argc != 6) {
    std::fprintf(stderr, "%s\n", usage.c_str());
    return 1;
  }
  const std::string backend = argv[1];
  const int n = std::atoi(argv[2]);
  const int active = std::atoi(argv[3]);
  const int rounds = std::atoi(argv[4]);
  const std::string mode = argv[5];
  DescriptorPool pool(n);
  pool.activate(active);
  if (mode == "library") {
    LibraryRound round(backend, pool);
    return run(round, active, rounds);
  }
  if (mode == "raw" && backend == "poll") {
    RawPollRound round(pool);
    return run(round, active, rounds);
  }
  if (mode == "raw" && backend == "select") {
    RawSelectRound round(pool);
    return run(round, active, rounds);
  }
  if (mode == "raw") {  // epoll, and io_uring measured against it
    RawEpollRound round(pool);
    return run(round, active, rounds);
  }
  std::fprintf(stderr, "%s\n", usage.c_str());
  return 1;
}

}  // namespace
}  // namespace seltool::bench

int main(int argc, char** argv) { return seltool::bench::main(argc, argv); }
