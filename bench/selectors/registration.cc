// What registering, modifying and unregistering one descriptor costs per backend, beside
// the raw equivalent: epoll_ctl ADD/MOD/DEL; for poll a pollfd array with an fd -> index
// table (push, rewrite, swap-remove); for select FD_SET/FD_CLR with the highest descriptor
// kept. Each iteration runs the three operations over a batch of N descriptors and times
// only the one measured; the per_descriptor counter is that time divided by N.
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/selectors/descriptor_pool.h"
#include "bench/selectors/grid.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::bench {
namespace {

enum class Operation { kRegister, kModify, kUnregister };
const char* const kOperationNames[] = {"register", "modify", "unregister"};

// The three operations of one backend over a set of descriptors.
struct Registrar {
  virtual ~Registrar() = default;
  virtual void add(int fd) = 0;
  virtual void change(int fd, bool write) = 0;
  virtual void remove(int fd) = 0;
};

class LibraryRegistrar final : public Registrar {
 public:
  explicit LibraryRegistrar(const std::string& backend) : selector_(make_selector(backend)) {}
  void add(int fd) override { selector_->register_file(fd, EVENT_READ); }
  void change(int fd, bool write) override {
    selector_->modify(fd, write ? EVENT_WRITE : EVENT_READ);
  }
  void remove(int fd) override { selector_->unregister(fd); }

 private:
  std::unique_ptr<Selector> selector_;
};

class RawEpoll final : public Registrar {
 public:
  void add(int fd) override { control(EPOLL_CTL_ADD, fd, EPOLLIN); }
  void change(int fd, bool write) override {
    control(EPOLL_CTL_MOD, fd, write ? EPOLLOUT : EPOLLIN);
  }
  void remove(int fd) override { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

 private:
  void control(int operation, int fd, unsigned flags) {
    epoll_event event{};
    event.events = flags;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), operation, fd, &event) == -1) std::abort();
  }
  UniqueFd epoll_{::epoll_create1(EPOLL_CLOEXEC)};
};

class RawPoll final : public Registrar {
 public:
  void add(int fd) override {
    if (std::size_t(fd) >= position_.size()) position_.resize(std::size_t(fd) + 1);
    position_[fd] = std::uint32_t(pollfds_.size());
    pollfds_.push_back({fd, POLLIN, 0});
  }
  void change(int fd, bool write) override {
    pollfds_[position_[fd]].events = write ? POLLOUT : POLLIN;
  }
  void remove(int fd) override {
    const std::uint32_t at = position_[fd];
    pollfds_[at] = pollfds_.back();
    position_[pollfds_[at].fd] = at;
    pollfds_.pop_back();
  }

 private:
  std::vector<pollfd> pollfds_;
  std::vector<std::uint32_t> position_;
};

class RawSelect final : public Registrar {
 public:
  RawSelect() {
    FD_ZERO(&readers_);
    FD_ZERO(&writers_);
  }
  void add(int fd) override {
    FD_SET(fd, &readers_);
    max_fd_ = std::max(max_fd_, fd);
  }
  void change(int fd, bool write) override {
    if (write) {
      FD_CLR(fd, &readers_);
      FD_SET(fd, &writers_);
    } else {
      FD_CLR(fd, &writers_);
      FD_SET(fd, &readers_);
    }
  }
  void remove(int fd) override {
    FD_CLR(fd, &readers_);
    FD_CLR(fd, &writers_);
    while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &readers_) && !FD_ISSET(max_fd_, &writers_)) {
      --max_fd_;
    }
  }

 private:
  fd_set readers_;
  fd_set writers_;
  int max_fd_ = -1;
};

std::unique_ptr<Registrar> make_raw(const std::string& backend) {
  if (backend == "epoll" || backend == "io_uring") return std::make_unique<RawEpoll>();
  if (backend == "poll") return std::make_unique<RawPoll>();
  return std::make_unique<RawSelect>();
}

void measure(benchmark::State& state, Registrar& registrar, const std::vector<int>& fds,
             Operation measured) {
  using Clock = std::chrono::steady_clock;
  auto timed = [&](Operation operation, auto&& body) {
    const Clock::time_point start = Clock::now();
    for (int fd : fds) body(fd);
    return operation == measured ? Clock::now() - start : Clock::duration::zero();
  };
  for (auto _ : state) {
    Clock::duration spent = timed(Operation::kRegister, [&](int fd) { registrar.add(fd); });
    spent += timed(Operation::kModify, [&](int fd) { registrar.change(fd, true); });
    spent += timed(Operation::kUnregister, [&](int fd) { registrar.remove(fd); });
    state.SetIterationTime(std::chrono::duration<double>(spent).count());
  }
  state.counters["per_descriptor"] =
      benchmark::Counter(double(fds.size()), benchmark::Counter::kIsIterationInvariantRate |
                                                 benchmark::Counter::kInvert);
}

void register_all() {
  for (const std::string& backend : kBackends) {
    const std::vector<int> counts = descriptor_counts(backend);
    // A smaller batch (10 for select, 1000 for poll and epoll) and the largest: the cost
    // per descriptor grows with the kernel's and the library's tables.
    for (int n : {counts[counts.size() - 3], counts.back()}) {
      for (Operation operation :
           {Operation::kRegister, Operation::kModify, Operation::kUnregister}) {
        for (const char* variant : {"library", "raw"}) {
          const std::string name =
              "registration/" + backend + "/" + variant + "/" + kOperationNames[int(operation)];
          const bool raw = variant == std::string("raw");
          benchmark::RegisterBenchmark(name.c_str(),
                                       [backend, operation, raw](benchmark::State& state) {
                                         DescriptorPool pool(int(state.range(0)));
                                         std::unique_ptr<Registrar> registrar =
                                             raw ? make_raw(backend)
                                                 : std::make_unique<LibraryRegistrar>(backend);
                                         measure(state, *registrar, pool.fds(), operation);
                                       })
              ->Arg(n)
              ->ArgName("N")
              ->UseManualTime()
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
