#include "cli/load/load_run.h"

#include <errno.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "cli/base/backend_choice.h"
#include "cli/base/error_info.h"
#include "cli/base/timers.h"
#include "cli/base/usage_error.h"
#include "cli/os/process_cpu.h"
#include "cli/os/socket_ops.h"
#include "cli/os/stop_signals.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// Byte k of connection i's stream is kPattern[(i * 131 + k) % kPeriod]: a prime period, so that
// consecutive messages start at different places and a byte echoed out of place differs.
constexpr std::size_t kPeriod = 4093;
constexpr std::size_t kChunk = 256 * 1024;  // at most this much per send()
constexpr std::size_t kReadSize = 64 * 1024;
constexpr auto kTick = std::chrono::milliseconds(100);   // timeouts, progress, the end
constexpr auto kEndTick = std::chrono::milliseconds(5);  // once no message may start
constexpr auto kProgressEvery = std::chrono::seconds(1);

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

std::string error_words(int error) { return errno_name(error) + " (" + error_text(error) + ")"; }

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// What the threads of one run share.
struct Shared {
  Shared(const LoadSettings& settings, const std::string& pattern)
      : settings(settings), pattern(pattern), start(Clock::now()) {}

  const LoadSettings& settings;
  const std::string& pattern;
  Clock::time_point start;
  Clock::time_point warm_end;
  std::optional<Clock::time_point> window_end;  // with a duration: no message starts after it

  std::atomic<std::uint64_t> claimed{0};  // measured messages started, with a request count
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> warmup_requests{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> mismatches{0};
  std::atomic<bool> stop{false};

  std::mutex mutex;  // guards what follows
  std::string first_failure;
  Clock::time_point last_echo{};  // of a measured message

  void failed(const std::string& what) {
    const std::lock_guard<std::mutex> lock(mutex);
    if (first_failure.empty()) first_failure = what;
  }
};

class Worker {
 public:
  // Connections first, first + stride, ... below settings.connections.
  Worker(Shared& shared, std::size_t first, std::size_t stride);

  // Until the run is over for this worker's connections, or shared.stop. With `stop` (the
  // calling thread's worker), counts stop signals and calls `progress`.
  void run(const StopSignals* stop, const std::function<void(const LoadProgress&)>* progress,
           std::optional<double>* server_cpu_at_warm_end);

  const LatencyHistogram& latency() const { return latency_; }
  Selector& selector() { return *selector_; }

 private:
  struct Message {
    Clock::time_point origin;  // latency runs from here: its start, or its scheduled time
    bool measured = false;
    bool mismatch = false;
  };
  struct Connection {
    std::size_t id = 0;
    UniqueFd fd;
    bool connecting = false;
    std::uint64_t queued = 0;    // bytes of the messages started
    std::uint64_t sent = 0;      // of them, sent
    std::uint64_t received = 0;  // of them, echoed
    std::uint64_t echoed = 0;    // bytes of whole messages echoed
    std::deque<Message> in_flight;
    Clock::time_point waiting_since;  // the last progress while something is awaited
    Clock::time_point next_at;        // open loop: the next message's scheduled time
    Events interest = 0;
  };

  bool may_start_more() const {
    return !exhausted_ && !(shared_.window_end && now_ >= *shared_.window_end);
  }
  void open(Connection& c);
  void on_event(Connection& c, Events events);
  void on_connected(Connection& c);
  void start_messages(Connection& c);
  void send_more(Connection& c);
  void receive(Connection& c);
  void complete(Connection& c);
  void fail(Connection& c, const std::string& what);
  void set_interest(Connection& c, Events events);
  void check_timeouts();
  bool busy() const;  // a connection still connecting or awaiting echo

  Shared& shared_;
  const LoadSettings& settings_;
  const std::size_t max_in_flight_;
  const Duration interval_;  // open loop: between one connection's messages
  std::unique_ptr<Selector> selector_;
  std::vector<Connection> connections_;
  std::vector<Connection*> by_fd_;
  // Open loop: (scheduled time, index in connections_) of connections that wait for a time.
  using Scheduled = std::pair<Clock::time_point, std::size_t>;
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> schedule_;
  std::vector<char> buffer_;
  LatencyHistogram latency_;
  Clock::time_point now_;
  std::size_t open_ = 0;    // connections not failed
  bool exhausted_ = false;  // every measured message of a request count was claimed
};

Worker::Worker(Shared& shared, std::size_t first, std::size_t stride)
    : shared_(shared),
      settings_(shared.settings),
      max_in_flight_(std::max<std::size_t>(1, settings_.window / settings_.message_size)),
      interval_(settings_.rate > 0
                    ? std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                          double(settings_.connections) / settings_.rate))
                    : Duration::zero()),
      selector_(open_selector(settings_.selector)),
      buffer_(kReadSize) {
  for (std::size_t id = first; id < settings_.connections; id += stride) {
    connections_.emplace_back().id = id;
  }
}

void Worker::run(const StopSignals* stop, const std::function<void(const LoadProgress&)>* progress,
                 std::optional<double>* server_cpu_at_warm_end) {
  now_ = Clock::now();
  for (Connection& c : connections_) open(c);
  Clock::time_point next_tick = now_ + kTick;
  Clock::time_point next_progress = shared_.start + kProgressEvery;
  bool cpu_sampled = !server_cpu_at_warm_end || !settings_.server_pid;
  for (;;) {
    if (stop && stop->requested()) shared_.stop = true;
    if (shared_.stop) return;
    if (!may_start_more() && !busy()) return;
    if (open_ == 0) return;  // every connection failed
    NextWake wake;
    wake.offer(next_tick);
    if (!schedule_.empty()) wake.offer(schedule_.top().first);
    if (!cpu_sampled) wake.offer(shared_.warm_end);
    for (auto [key, events] : selector_->select(*wake.time_left(Clock::now()))) {
      now_ = Clock::now();
      on_event(*by_fd_[std::size_t(key.fd)], events);
    }
    now_ = Clock::now();
    if (!cpu_sampled && now_ >= shared_.warm_end) {
      *server_cpu_at_warm_end = process_cpu_seconds(*settings_.server_pid);
      cpu_sampled = true;
    }
    while (!schedule_.empty() && schedule_.top().first <= now_) {
      const auto [when, index] = schedule_.top();
      schedule_.pop();
      Connection& c = connections_[index];
      if (c.fd && !c.connecting && c.next_at == when) start_messages(c);
    }
    if (now_ >= next_tick) {
      check_timeouts();
      next_tick = now_ + (may_start_more() ? Duration(kTick) : Duration(kEndTick));
    }
    if (progress && now_ >= next_progress) {
      next_progress += kProgressEvery;
      (*progress)({seconds_between(shared_.start, now_), now_ < shared_.warm_end,
                   shared_.requests.load(), shared_.bytes.load(), shared_.errors.load(),
                   shared_.mismatches.load()});
    }
  }
}

bool Worker::busy() const {
  return std::any_of(connections_.begin(), connections_.end(), [](const Connection& c) {
    return c.fd && (c.connecting || !c.in_flight.empty());
  });
}

void Worker::set_interest(Connection& c, Events events) {
  if (events == c.interest) return;
  if (c.interest == 0) {
    selector_->register_file(c.fd.get(), events);
  } else {
    selector_->modify(c.fd.get(), events);
  }
  c.interest = events;
}

void Worker::open(Connection& c) {
  const SocketAddress& address = settings_.target.address;
  c.fd.reset(open_stream_socket(address.family()));
  if (!c.fd) {
    const int error = errno;
    // seltool's own limit (descriptors, memory), not the server's fault: say what to change.
    if (is_resource_error(error)) {
      throw std::system_error(error, std::generic_category(),
                              "cannot open connection " + std::to_string(c.id + 1) +
                                  " (raise 'ulimit -n' or lower -c)");
    }
    shared_.errors++;
    shared_.failed("cannot open a socket: " + error_words(error));
    return;
  }
  ++open_;
  if (address.family() != AF_UNIX) set_socket_option(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  const std::size_t fd = std::size_t(c.fd.get());
  if (by_fd_.size() <= fd) by_fd_.resize(fd + 1);
  by_fd_[fd] = &c;
  c.waiting_since = now_;
  const int result = start_connect(c.fd.get(), address);
  if (result == 0) {
    on_connected(c);
  } else if (result == EINPROGRESS || result == EWOULDBLOCK || result == EAGAIN) {
    c.connecting = true;
    set_interest(c, EVENT_WRITE);
  } else {
    fail(c, "cannot connect to " + settings_.target.text + ": " + error_words(result));
  }
}

void Worker::on_event(Connection& c, Events events) {
  if (c.connecting) {
    const int error = take_socket_error(c.fd.get());
    if (error != 0) {
      fail(c, "cannot connect to " + settings_.target.text + ": " + error_words(error));
      return;
    }
    c.connecting = false;
    on_connected(c);
    return;
  }
  if (events & EVENT_WRITE) send_more(c);
  if (c.fd && (events & EVENT_READ)) receive(c);
}

void Worker::on_connected(Connection& c) {
  set_interest(c, EVENT_READ);
  c.waiting_since = now_;
  if (settings_.rate > 0) {
    // Spread over one interval: connection i's first message at start + i / rate.
    c.next_at = shared_.start + std::chrono::duration_cast<Duration>(
                                    std::chrono::duration<double>(double(c.id) / settings_.rate));
  }
  start_messages(c);
}

void Worker::start_messages(Connection& c) {
  const bool open_loop = settings_.rate > 0;
  while (c.in_flight.size() < max_in_flight_ && may_start_more()) {
    if (open_loop && c.next_at > now_) break;
    bool measured = now_ >= shared_.warm_end;
    if (measured && settings_.requests && shared_.claimed++ >= *settings_.requests) {
      exhausted_ = true;
      break;
    }
    if (c.in_flight.empty()) c.waiting_since = now_;
    c.in_flight.push_back({open_loop ? c.next_at : now_, measured, false});
    c.queued += settings_.message_size;
    if (open_loop) c.next_at += interval_;
  }
  if (open_loop && c.next_at > now_ && may_start_more()) {
    schedule_.emplace(c.next_at, std::size_t(&c - connections_.data()));
  }
  send_more(c);
}

void Worker::send_more(Connection& c) {
  while (c.sent < c.queued) {
    const std::size_t size = std::size_t(std::min<std::uint64_t>(c.queued - c.sent, kChunk));
    const std::size_t at = std::size_t((c.id * 131 + c.sent) % kPeriod);
    const std::ptrdiff_t n = send_some(c.fd.get(), shared_.pattern.data() + at, size);
    if (n < 0) {
      const int error = errno;
      if (would_block(error)) break;
      fail(c, "sending to " + settings_.target.text + " failed: " + error_words(error));
      return;
    }
    c.sent += std::uint64_t(n);
  }
  set_interest(c, c.sent < c.queued ? EVENT_READ | EVENT_WRITE : EVENT_READ);
}

void Worker::receive(Connection& c) {
  const std::ptrdiff_t n = receive_some(c.fd.get(), buffer_.data(), buffer_.size());
  if (n < 0) {
    const int error = errno;
    if (!would_block(error)) {
      fail(c, "receiving from " + settings_.target.text + " failed: " + error_words(error));
    }
    return;
  }
  if (n == 0) {
    fail(c, settings_.target.text + " closed a connection (" + std::to_string(c.received) + " of " +
                std::to_string(c.sent) + " bytes sent echoed)");
    return;
  }
  if (c.received + std::uint64_t(n) > c.sent) {
    fail(c, settings_.target.text + " sent " + std::to_string(c.received + std::uint64_t(n)) +
                " bytes on a connection that sent it " + std::to_string(c.sent));
    return;
  }
  c.waiting_since = now_;
  const char* data = buffer_.data();
  std::size_t left = std::size_t(n);
  while (left > 0) {  // split at the ends of messages
    const std::uint64_t message_end = c.echoed + settings_.message_size;
    const std::size_t size = std::size_t(std::min<std::uint64_t>(left, message_end - c.received));
    const char* expected = shared_.pattern.data() + (c.id * 131 + c.received) % kPeriod;
    if (std::memcmp(data, expected, size) != 0 && !c.in_flight.front().mismatch) {
      c.in_flight.front().mismatch = true;
      std::size_t at = 0;
      while (data[at] == expected[at]) ++at;
      shared_.failed("mismatch: byte " + std::to_string(c.received + at - c.echoed) +
                     " of a message echoed by " + settings_.target.text +
                     " differs from the byte sent");
    }
    c.received += size;
    data += size;
    left -= size;
    if (c.received == message_end) complete(c);
  }
  start_messages(c);
}

void Worker::complete(Connection& c) {
  const Message message = c.in_flight.front();
  c.in_flight.pop_front();
  c.echoed += settings_.message_size;
  if (message.mismatch) {
    shared_.mismatches++;
  } else if (!message.measured) {
    shared_.warmup_requests++;
  } else {
    shared_.requests++;
    shared_.bytes += settings_.message_size;
    latency_.record(std::uint64_t(std::max(Duration::zero(), now_ - message.origin).count()));
    const std::lock_guard<std::mutex> lock(shared_.mutex);
    shared_.last_echo = std::max(shared_.last_echo, now_);
  }
}

void Worker::fail(Connection& c, const std::string& what) {
  shared_.errors++;
  shared_.failed(what);
  --open_;
  if (c.interest != 0) selector_->unregister(c.fd.get());
  c.interest = 0;
  c.fd.reset();
  c.connecting = false;
  c.in_flight.clear();
}

void Worker::check_timeouts() {
  for (Connection& c : connections_) {
    if (!c.fd || (!c.connecting && c.in_flight.empty())) continue;
    if (now_ - c.waiting_since < settings_.timeout) continue;
    fail(c, c.connecting ? "connecting to " + settings_.target.text + " took longer than --timeout"
                         : settings_.target.text + " stopped answering: no echo for --timeout (" +
                               std::to_string(c.received) + " of " + std::to_string(c.sent) +
                               " bytes sent echoed)");
  }
}

// kPeriod random bytes, repeated to kPeriod + kChunk bytes: any slice of up to kChunk bytes
// from an offset below kPeriod reads the stream's bytes.
std::string make_pattern() {
  std::mt19937 generator(42);
  std::string pattern(kPeriod + kChunk, '\0');
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    pattern[i] = i < kPeriod ? char(generator()) : pattern[i - kPeriod];
  }
  return pattern;
}

}  // namespace

LoadTarget resolve_load_target(std::string_view text) {
  LoadTarget target{std::string(text), {}};
  if (const auto path = unix_path_in(text)) {
    target.address = unix_socket_address(*path, text);
    return target;
  }
  const Resolution resolved = resolve_tcp(split_host_port(text, text), /*passive=*/false);
  if (resolved.addresses.empty()) {
    throw UsageError("invalid address " + quote_input(text) + ": " + resolved.error);
  }
  target.address = resolved.addresses.front();
  return target;
}

LoadResult run_load(const LoadSettings& settings,
                    const std::function<void(const LoadProgress&)>& progress) {
  static const std::string pattern = make_pattern();
  Shared shared(settings, pattern);
  shared.warm_end = shared.start + settings.warmup;
  if (settings.duration) shared.window_end = shared.warm_end + *settings.duration;

  const std::size_t threads =
      std::max<std::size_t>(1, std::min(settings.threads, settings.connections));
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, i, threads));
  }
  std::vector<std::exception_ptr> failures(threads);
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < threads; ++i) {
    others.emplace_back([&, i] {
      try {
        workers[i]->run(nullptr, nullptr, nullptr);
      } catch (...) {
        failures[i] = std::current_exception();
        shared.stop = true;
      }
    });
  }
  std::optional<double> cpu_at_warm_end;
  try {
    // A stop signal ends the run at once: the caller reports what was measured.
    const StopSignals stop(workers[0]->selector());
    workers[0]->run(&stop, &progress, &cpu_at_warm_end);
  } catch (...) {
    failures[0] = std::current_exception();
    shared.stop = true;
  }
  for (std::thread& thread : others) thread.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  const Clock::time_point end = Clock::now();

  LoadResult result;
  result.requests = shared.requests;
  result.bytes = shared.bytes;
  result.warmup_requests = shared.warmup_requests;
  result.errors = shared.errors;
  result.mismatches = shared.mismatches;
  result.first_failure = shared.first_failure;
  result.stopped = stop_signal_received() != 0;
  for (const auto& worker : workers) result.latency.merge(worker->latency());
  const Clock::time_point measured_until = result.stopped || !settings.duration
                                               ? std::max(shared.last_echo, shared.warm_end)
                                               : *shared.window_end;
  result.seconds = seconds_between(shared.warm_end, std::min(measured_until, end));
  if (cpu_at_warm_end) {
    result.server_cpu_seconds = process_cpu_seconds(*settings.server_pid) - *cpu_at_warm_end;
  }
  return result;
}

}  // namespace seltool::cli
