#include "cli/echo/echo_server.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <iterator>

#include "cli/os/socket_ops.h"

namespace seltool::cli {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;  // one recv() at most; the Python example reads 1000
constexpr int kAcceptsPerWakeup = 64;         // bounded so one busy listener cannot starve clients
constexpr int kDatagramsPerWakeup = 64;       // the same for a datagram socket
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);   // after EMFILE/ENFILE
constexpr auto kFinishLine = std::chrono::seconds(1);           // as write_stdout() gives one
constexpr auto kDeliveryCheck = std::chrono::milliseconds(10);  // while the drain waits for it
constexpr int kDiscardReads = 16;  // per check: bounded, as accepts are

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

bool is_reset(int error) { return error == ECONNRESET || error == EPIPE || error == ETIMEDOUT; }

// Whole microseconds, as "t" (docs/events.schema.json): 0.010384, never 0.010383999999999999.
double seconds(std::chrono::steady_clock::duration duration) {
  return double(std::chrono::duration_cast<std::chrono::microseconds>(duration).count()) / 1e6;
}

}  // namespace

void EchoTotals::add(const EchoTotals& other) {
  connections += other.connections;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  datagrams_in += other.datagrams_in;
  datagrams_out += other.datagrams_out;
  datagrams_dropped += other.datagrams_dropped;
  cut_off_connections += other.cut_off_connections;
  cut_off_bytes += other.cut_off_bytes;
  undelivered = undelivered || other.undelivered;
}

// ---------------------------------------------------------------------------------------
// The log

SharedLog::SharedLog(std::size_t bound, Selector& writer)
    : lines_(bound), writer_(writer), writer_thread_(std::this_thread::get_id()) {}

void SharedLog::event(std::string_view name, const Json& fields) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    lines_.event(name, fields);
  }
  if (std::this_thread::get_id() != writer_thread_) writer_.wakeup();
}

void SharedLog::final_event(std::string_view name, const Json& fields) {
  const std::lock_guard<std::mutex> lock(mutex_);
  lines_.final_event(name, fields);
}

void SharedLog::write_some() {
  const std::lock_guard<std::mutex> lock(mutex_);
  lines_.write_some();
}

bool SharedLog::pending() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return lines_.pending();
}

void SharedLog::wait_written(Clock::time_point deadline) {
  const std::lock_guard<std::mutex> lock(mutex_);
  lines_.wait_written(deadline);
}

bool SharedLog::mid_line() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return lines_.mid_line();
}

std::uint64_t SharedLog::dropped() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return lines_.dropped();
}

// ---------------------------------------------------------------------------------------
// The server: its workers, the first one on the calling thread

// The other workers' threads: asked to stop at once and joined when run() leaves early (an
// exception from stdout), so that no thread outlives the workers.
struct EchoServer::Threads {
  explicit Threads(EchoCrew& crew) : crew(crew) {}
  ~Threads() {
    if (threads.empty()) return;
    crew.stops = 2;
    for (std::size_t i = 1; i < crew.workers.size(); ++i) crew.workers[i]->wakeup();
    join();
  }
  void join() {
    for (std::thread& thread : threads) thread.join();
    threads.clear();
  }
  EchoCrew& crew;
  std::vector<std::thread> threads;
  std::atomic<std::size_t> running{0};
};

EchoServer::EchoServer(const std::vector<Selector*>& selectors,
                       std::vector<std::vector<Listener>> listeners, EchoOptions options)
    : options_(std::move(options)), crew_(options_.log_buffer, *selectors.front()) {
  const std::size_t count = selectors.size();
  std::vector<std::vector<Listener>> own(count);
  for (std::vector<Listener>& sockets : listeners) {
    const Listener& first = sockets.front();
    // Bound relative to its directory (created_files.h), a socket file's kernel name is only
    // its last component: name it as the user did.
    const std::string address =
        first.unix_path.empty()
            ? local_address(first.fd.get())
            : format_address(unix_socket_address(first.unix_path, first.unix_path));
    Json fields = {{"address", address}, {"selector", selectors.front()->name()}};
    if (first.datagram) fields["udp"] = true;
    if (count > 1) {
      fields["workers"] = first.shared ? sockets.size() : first.datagram ? 1 : count;
      fields["spread"] = first.shared ? "kernel" : first.datagram ? "none" : "handed_out";
    }
    listening_.push_back(std::move(fields));
    udp_ = udp_ || first.datagram;
    for (std::size_t i = 0; i < sockets.size(); ++i) own[i].push_back(std::move(sockets[i]));
  }
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(
        std::make_unique<EchoWorker>(i, *selectors[i], std::move(own[i]), options_, crew_));
    crew_.workers.push_back(workers_.back().get());
  }
}

EchoServer::~EchoServer() = default;

void EchoServer::run(const StopSignals& stop) {
  for (const Json& fields : listening_) crew_.log.event("listening", fields);
  EchoWorker& first = *workers_.front();
  Threads threads(crew_);
  threads.running = workers_.size() - 1;
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.threads.emplace_back([this, i, &threads, &first] {
      try {
        workers_[i]->serve(nullptr);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(crew_.failure_mutex);
        if (!crew_.failure) crew_.failure = std::current_exception();
      }
      --threads.running;
      first.wakeup();
    });
  }
  first.serve(&stop);
  // The first worker writes the others' last lines while they finish their drains (each
  // bounded by drain_timeout, or ended by a second signal it passes on).
  while (threads.running > 0) {
    first.serve_once(std::nullopt);
    first.pass_on_stops(stop.count());
  }
  threads.join();
  if (crew_.failure) std::rethrow_exception(crew_.failure);

  EchoTotals totals;
  for (const auto& worker : workers_) totals.add(worker->totals());
  Json fields = {{"drained", totals.cut_off_connections == 0 && !totals.undelivered},
                 {"cut_off_connections", totals.cut_off_connections},
                 {"cut_off_bytes", totals.cut_off_bytes},
                 {"connections", totals.connections},
                 {"bytes_in", totals.bytes_in},
                 {"bytes_out", totals.bytes_out}};
  if (udp_) {
    fields["datagrams_in"] = totals.datagrams_in;
    fields["datagrams_out"] = totals.datagrams_out;
    fields["datagrams_dropped"] = totals.datagrams_dropped;
  }
  if (workers_.size() > 1) fields["workers"] = workers_.size();
  fields["log_lines_dropped"] = crew_.log.dropped();
  fields["duration"] = seconds(first.now() - first.started());
  crew_.log.final_event("stopped", fields);
  // The log gets what is left of the drain time; a reader that stalls longer loses the rest.
  SharedLog& log = crew_.log;
  const Clock::time_point deadline = first.drain_deadline();
  first.write_log();
  while (log.pending() && stop.count() < 2 && first.now() < deadline) {
    if (log.watched()) {
      first.serve_once(deadline - first.now());
    } else {
      log.wait_written(deadline);
      first.serve_once(Duration::zero());
    }
  }
  // A line stdout took only part of (a terminal, a socket) gets kFinishLine more to be whole.
  const Clock::time_point finish_by = first.now() + kFinishLine;
  while (log.mid_line() && first.now() < finish_by) first.serve_once(finish_by - first.now());
}

// ---------------------------------------------------------------------------------------
// A worker

struct EchoWorker::Connection {
  UniqueFd fd;
  std::string peer;
  Clock::time_point accepted_at;
  Clock::time_point last_active;
  Connections::iterator self;
  ByteQueue pending;  // echo not yet sent
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  Events interest = EVENT_READ;
  bool reading = true;     // false while backpressured
  bool eof = false;        // the client shut down its sending side
  bool shut_down = false;  // the drain shut down our sending side: waiting for delivery

  std::uint64_t not_received = 0;  // sent, not received by the client when cut off

  std::size_t pending_size() const { return pending.size(); }
};

// A UDP client: one sender's address (docs/echo.md, "UDP").
struct EchoWorker::UdpClient {
  std::string peer;
  Clock::time_point first_seen;
  Clock::time_point last_active;
  UdpClients::iterator self;
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t dropped = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
};

EchoWorker::EchoWorker(std::size_t index, Selector& selector, std::vector<Listener> listeners,
                       const EchoOptions& options, EchoCrew& crew)
    : index_(index),
      selector_(selector),
      listeners_(std::move(listeners)),
      options_(options),
      crew_(crew),
      log_(crew.log),
      scratch_(kReadSize) {}

EchoWorker::~EchoWorker() = default;

// Every line about a client says which worker served it when there are several.
void EchoWorker::log(std::string_view name, Json fields) {
  if (crew_.workers.size() > 1) fields["worker"] = index_;
  log_.event(name, fields);
}

void EchoWorker::log_error(const char* action, int error) {
  log("error", {{"action", action}, {"error", error_json(error)}});
}

// The first worker's part of a stop signal: it is the one the signal wakes; it passes the
// count on to the others once its own drain has begun (its listeners are closed, so no
// connection is handed out after the others saw the count).
void EchoWorker::pass_on_stops(int stops) {
  if (stops == stops_passed_on_) return;
  crew_.stops = stops;
  stops_passed_on_ = stops;
  for (EchoWorker* worker : crew_.workers) {
    if (worker != this) worker->wakeup();
  }
}

void EchoWorker::serve(const StopSignals* stop) {
  started_ = now_ = Clock::now();
  resume_accepting();
  if (index_ == 0) write_log();

  for (;;) {
    const int stops = stop ? stop->count() : crew_.stops.load();
    if (stops > 0 && !draining_) begin_drain();
    if (stops > 1) aborted_ = true;
    if (stop) pass_on_stops(stops);
    if (draining_ && (aborted_ || connections_.empty() || now_ >= drain_deadline_)) break;
    serve_once(next_timeout());
  }

  // What the drain limit (or a second signal) cut off: connections with echo still unsent.
  // Echo in the kernel's queue that the client has not received is not counted as sent.
  while (!connections_.empty()) {
    Connection& connection = connections_.front();
    const std::uint64_t not_received = bytes_not_received(connection.fd.get()).value_or(0);
    connection.bytes_out -= not_received;
    totals_.bytes_out -= not_received;
    connection.not_received = not_received;
    ++totals_.cut_off_connections;
    totals_.cut_off_bytes += connection.pending_size() + not_received;
    close_connection(connection, "cut_off");
  }
}

void EchoWorker::serve_once(std::optional<Duration> timeout) {
  const ReadyList ready = timeout ? selector_.select(*timeout) : selector_.select();
  now_ = Clock::now();
  for (auto [key, events] : ready) std::any_cast<const Callback&>(key.data)(events);
  take_handed();
  if (accept_retry_at_ && now_ >= *accept_retry_at_) resume_accepting();
  if (options_.idle_timeout) expire_idle();
  if (draining_) {
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& connection = *it++;
      if (connection.shut_down) finish_delivery(connection);
    }
  }
  if (index_ == 0) write_log();
}

// Writes what stdout takes now, and watches it for writability while lines are left.
void EchoWorker::write_log() {
  log_.write_some();
  const bool watch = log_.pending() && log_.watched();
  if (watch == watching_stdout_) return;
  if (watch) {
    selector_.register_file(log_.fd(), EVENT_WRITE, Callback([](Events) {}));
  } else {
    selector_.unregister(log_.fd());
  }
  watching_stdout_ = watch;
}

std::optional<Duration> EchoWorker::next_timeout() const {
  NextWake wake;
  if (options_.idle_timeout && !connections_.empty()) {
    wake.offer(connections_.front().last_active + *options_.idle_timeout);
  }
  if (options_.idle_timeout && !udp_clients_.empty()) {
    wake.offer(udp_clients_.front().last_active + *options_.idle_timeout);
  }
  wake.offer(accept_retry_at_);
  if (draining_) wake.offer(drain_deadline_);
  if (draining_ && std::any_of(connections_.begin(), connections_.end(),
                               [](const Connection& c) { return c.shut_down; })) {
    wake.offer(now_ + kDeliveryCheck);
  }
  return wake.time_left(now_);
}

// ---------------------------------------------------------------------------------------
// Accepting

bool EchoWorker::below_cap() const {
  return options_.max_connections == 0 || connections_.size() < options_.max_connections;
}

void EchoWorker::pause_accepting(std::optional<Clock::time_point> retry_at) {
  accept_retry_at_ = retry_at;
  if (!accepting_) return;
  for (const Listener& listener : listeners_) selector_.unregister(listener.fd.get());
  accepting_ = false;
}

void EchoWorker::resume_accepting() {
  accept_retry_at_.reset();
  if (accepting_ || draining_ || !below_cap()) return;
  for (const Listener& listener : listeners_) {
    const int fd = listener.fd.get();
    const bool hand_out = !listener.shared && crew_.workers.size() > 1;
    if (listener.datagram) {
      selector_.register_file(fd, EVENT_READ, Callback([this, fd](Events) { on_datagrams(fd); }));
    } else {
      selector_.register_file(fd, EVENT_READ,
                              Callback([this, fd, hand_out](Events) { on_accept(fd, hand_out); }));
    }
  }
  accepting_ = true;
}

// `hand_out`: the first worker accepting for every worker (no SO_REUSEPORT), in turn.
void EchoWorker::on_accept(int listener, bool hand_out) {
  for (int i = 0; i < kAcceptsPerWakeup && accepting_; ++i) {
    SocketAddress peer;
    UniqueFd fd(accept_connection(listener, &peer));
    if (!fd) {
      const int error = errno;
      if (would_block(error)) return;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        // Level-triggered readiness would report the pending connection again at once: stop
        // watching the listeners and retry later (or when a connection closes).
        if (!accept_error_logged_) log_error("accept paused", error);
        accept_error_logged_ = true;
        pause_accepting(now_ + kAcceptRetry);
        return;
      }
      // ECONNABORTED, EPROTO, EPERM (firewall)...: that connection is gone; try the next.
      log_error("accept", error);
      continue;
    }
    accept_error_logged_ = false;
    EchoWorker* worker = this;
    if (hand_out) worker = crew_.workers[crew_.next_worker++ % crew_.workers.size()];
    if (worker == this) {
      add_connection(std::move(fd), peer);
    } else {
      worker->hand_over(std::move(fd), peer);
    }
  }
}

void EchoWorker::hand_over(UniqueFd fd, const SocketAddress& peer) {
  {
    const std::lock_guard<std::mutex> lock(handed_mutex_);
    handed_.push_back({std::move(fd), peer});
  }
  selector_.wakeup();
}

void EchoWorker::take_handed() {
  std::vector<Handed> handed;
  {
    const std::lock_guard<std::mutex> lock(handed_mutex_);
    handed.swap(handed_);
  }
  for (Handed& connection : handed) add_connection(std::move(connection.fd), connection.peer);
}

void EchoWorker::add_connection(UniqueFd fd, const SocketAddress& peer) {
  if (peer.family() == AF_INET || peer.family() == AF_INET6) {
    set_socket_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  }
  const int fd_number = fd.get();
  Connection& connection = connections_.emplace_back();
  connection.self = std::prev(connections_.end());
  connection.fd = std::move(fd);
  connection.peer = format_address(peer);
  if (connection.peer.empty()) {
    // An unnamed Unix client: "pid:PID" where the OS tells who it is (seltool inspect PID).
    const std::optional<long> pid = unix_peer_pid(fd_number);
    connection.peer = pid ? "pid:" + std::to_string(*pid) : "unix:unnamed";
  }
  connection.accepted_at = connection.last_active = now_;
  try {
    selector_.register_file(fd_number, EVENT_READ, callback_for(connection));
  } catch (const std::exception& error) {
    // select(2) cannot watch descriptors >= FD_SETSIZE: turn this client away.
    log("error", {{"action", "accept"}, {"peer", connection.peer}, {"message", error.what()}});
    connections_.erase(connection.self);
    return;
  }
  ++totals_.connections;
  if (options_.verbosity != Verbosity::kQuiet) {
    log("accepted", {{"peer", connection.peer}, {"fd", fd_number}});
  }
  if (!below_cap()) pause_accepting(std::nullopt);
}

// ---------------------------------------------------------------------------------------
// Datagrams (--udp): each echoed at once to its sender, or dropped (docs/echo.md, "UDP")

void EchoWorker::on_datagrams(int listener) {
  for (int i = 0; i < kDatagramsPerWakeup; ++i) {
    SocketAddress from;
    bool truncated = false;
    const std::ptrdiff_t n =
        receive_datagram(listener, scratch_.data(), scratch_.size(), &from, &truncated);
    if (n < 0) {
      const int error = errno;
      if (would_block(error)) return;
      log_error("receive", error);  // ICMP errors some systems report on a UDP socket
      continue;
    }
    UdpClient& client = udp_client(from);
    ++client.datagrams_in;
    ++totals_.datagrams_in;
    client.bytes_in += std::size_t(n);
    totals_.bytes_in += std::size_t(n);
    client.last_active = now_;
    udp_clients_.splice(udp_clients_.end(), udp_clients_, client.self);
    if (options_.verbosity == Verbosity::kVerbose) {
      log("echo", {{"peer", client.peer}, {"bytes", n}});
    }
    int error = 0;
    if (truncated) {
      error = EMSGSIZE;  // larger than one read: echoing part of it would not be an echo
    } else if (from.length == 0 || format_address(from).empty()) {
      error = EDESTADDRREQ;  // an unbound Unix socket: there is no address to answer
    } else if (send_datagram(listener, scratch_.data(), std::size_t(n), from) < 0) {
      error = errno;
    }
    if (error == 0) {
      ++client.datagrams_out;
      ++totals_.datagrams_out;
      client.bytes_out += std::size_t(n);
      totals_.bytes_out += std::size_t(n);
      continue;
    }
    // The send buffer full (EAGAIN, ENOBUFS), or the echo impossible: dropped, never queued,
    // so the loop never waits for a UDP socket to be writable.
    ++client.dropped;
    ++totals_.datagrams_dropped;
    if (!would_block(error) && error != ENOBUFS) {
      log("error", {{"action", "echo"}, {"peer", client.peer}, {"error", error_json(error)}});
    }
  }
}

EchoWorker::UdpClient& EchoWorker::udp_client(const SocketAddress& from) {
  std::string peer = format_address(from);
  if (peer.empty()) peer = "unix:unnamed";
  const auto found = udp_by_peer_.find(peer);
  if (found != udp_by_peer_.end()) return *found->second;
  UdpClient& client = udp_clients_.emplace_back();
  client.self = std::prev(udp_clients_.end());
  client.peer = peer;
  client.first_seen = client.last_active = now_;
  udp_by_peer_.emplace(std::move(peer), client.self);
  ++totals_.connections;
  if (options_.verbosity != Verbosity::kQuiet) log("accepted", {{"peer", client.peer}});
  return client;
}

void EchoWorker::close_udp_client(UdpClient& client, const char* reason) {
  if (options_.verbosity != Verbosity::kQuiet) {
    Json fields = {{"peer", client.peer},
                   {"reason", reason},
                   {"datagrams_in", client.datagrams_in},
                   {"datagrams_out", client.datagrams_out},
                   {"bytes_in", client.bytes_in},
                   {"bytes_out", client.bytes_out},
                   {"duration", seconds(now_ - client.first_seen)}};
    if (client.dropped > 0) fields["dropped"] = client.dropped;
    log("closed", fields);
  }
  udp_by_peer_.erase(client.peer);
  udp_clients_.erase(client.self);
}

// ---------------------------------------------------------------------------------------
// Connections

// ---------------------------------------------------------------------------------------
// Connections

// The key's data, as in the Python example: what to call when the connection is ready.
EchoWorker::Callback EchoWorker::callback_for(Connection& connection) {
  return [this, at = &connection](Events events) { on_connection(*at, events); };
}

void EchoWorker::on_connection(Connection& connection, Events events) {
  if ((events & EVENT_WRITE) && !write_pending(connection)) return;
  if (connection.shut_down) return;  // unregistered: finish_delivery() checks it
  if ((events & EVENT_READ) && !read_and_echo(connection)) return;
  update_interest(connection);
}

bool EchoWorker::read_and_echo(Connection& connection) {
  const int fd = connection.fd.get();
  const std::ptrdiff_t n = receive_some(fd, scratch_.data(), scratch_.size());
  if (n == 0) {
    connection.eof = true;
    if (connection.pending_size() == 0) {
      close_connection(connection, "eof");
      return false;
    }
    return true;
  }
  if (n < 0) {
    const int error = errno;
    if (would_block(error)) return true;
    close_on_error(connection, error);
    return false;
  }
  connection.bytes_in += std::size_t(n);
  totals_.bytes_in += std::size_t(n);
  mark_active(connection);
  if (options_.verbosity == Verbosity::kVerbose) {
    log("echo", {{"peer", connection.peer}, {"bytes", n}});
  }
  std::size_t sent = 0;
  if (connection.pending_size() == 0) {
    const std::ptrdiff_t written = send_some(fd, scratch_.data(), std::size_t(n));
    if (written < 0 && !would_block(errno)) {
      close_on_error(connection, errno);
      return false;
    }
    sent = written < 0 ? 0 : std::size_t(written);
    count_sent(connection, sent);
  }
  // Keep what the socket did not take, after anything still queued (order matters).
  connection.pending.append(scratch_.data() + sent, std::size_t(n) - sent);
  return true;
}

bool EchoWorker::write_pending(Connection& connection) {
  if (connection.pending_size() == 0) return true;
  constexpr int kMaxParts = 16;
  ConstBuffer buffers[kMaxParts];
  const int count = connection.pending.gather(buffers, kMaxParts);
  const std::ptrdiff_t written = send_some(connection.fd.get(), buffers, std::size_t(count));
  if (written < 0) {
    const int error = errno;
    if (would_block(error)) return true;
    close_on_error(connection, error);
    return false;
  }
  connection.pending.consume(std::size_t(written));
  count_sent(connection, std::size_t(written));
  if (connection.pending_size() == 0) {
    if (draining_) return finish_delivery(connection);
    if (connection.eof) {
      close_connection(connection, "eof");
      return false;
    }
  }
  return true;
}

// The drain's end of a connection whose echo is all written. Closing a socket with unread
// input makes the kernel send a reset, which discards the echo still queued to the client: so
// the sending side is shut down (a FIN after the queued bytes), the client's input is read and
// discarded, and the connection is closed once the OS says the client received every byte
// (bytes_not_received() 0), or at once where it cannot tell. Until then it is checked every
// kDeliveryCheck; the drain limit cuts it off with what was not received. False when closed.
bool EchoWorker::finish_delivery(Connection& connection) {
  const int fd = connection.fd.get();
  if (!connection.shut_down) {
    connection.shut_down = true;
    if (connection.interest != 0) selector_.unregister(fd);
    connection.interest = 0;
    shutdown_sending(fd);
  }
  for (int reads = 0; reads < kDiscardReads && !connection.eof; ++reads) {
    const std::ptrdiff_t n = receive_some(fd, scratch_.data(), scratch_.size());
    if (n == 0) connection.eof = true;
    if (n >= 0) continue;
    if (would_block(errno)) break;
    close_on_error(connection, errno);
    return false;
  }
  const std::optional<std::uint64_t> not_received = bytes_not_received(fd);
  if (not_received && *not_received > 0) return true;
  close_connection(connection, "shutdown");
  return false;
}

// Reads while the pending output is small, stops above --buffer-limit and resumes below half
// of it (hysteresis, so a slow reader does not flip the registration on every byte).
void EchoWorker::update_interest(Connection& connection) {
  const std::size_t pending = connection.pending_size();
  if (connection.reading && pending > options_.buffer_limit) connection.reading = false;
  if (!connection.reading && pending <= options_.buffer_limit / 2) connection.reading = true;
  Events wanted = 0;
  if (connection.reading && !connection.eof && !draining_) wanted |= EVENT_READ;
  if (pending > 0) wanted |= EVENT_WRITE;
  if (wanted == connection.interest) return;
  selector_.modify(connection.fd.get(), wanted, callback_for(connection));
  connection.interest = wanted;
}

void EchoWorker::close_connection(Connection& connection, const char* reason, int error) {
  if (connection.interest != 0) selector_.unregister(connection.fd.get());
  if (options_.verbosity != Verbosity::kQuiet || error != 0) {
    Json fields = {{"peer", connection.peer},
                   {"reason", reason},
                   {"bytes_in", connection.bytes_in},
                   {"bytes_out", connection.bytes_out},
                   {"duration", seconds(now_ - connection.accepted_at)}};
    const std::uint64_t unsent = connection.pending_size() + connection.not_received;
    if (unsent > 0) fields["unsent"] = unsent;
    if (error != 0) fields["error"] = error_json(error);
    log("closed", fields);
  }
  connections_.erase(connection.self);  // closes the descriptor
  if (!accepting_) resume_accepting();  // below the cap again, or a descriptor freed
}

void EchoWorker::close_on_error(Connection& connection, int error) {
  if (draining_) totals_.undelivered = true;  // echo written but maybe not received is lost
  close_connection(connection, is_reset(error) ? "reset" : "error", error);
}

void EchoWorker::count_sent(Connection& connection, std::size_t bytes) {
  connection.bytes_out += bytes;
  totals_.bytes_out += bytes;
  mark_active(connection);
}

// Keeps connections_ ordered by last activity, so that only its front can be idle longest.
void EchoWorker::mark_active(Connection& connection) {
  if (!options_.idle_timeout) return;
  connection.last_active = now_;
  connections_.splice(connections_.end(), connections_, connection.self);
}

void EchoWorker::expire_idle() {
  while (!connections_.empty() &&
         now_ - connections_.front().last_active >= *options_.idle_timeout) {
    close_connection(connections_.front(), "idle");
  }
  while (!udp_clients_.empty() &&
         now_ - udp_clients_.front().last_active >= *options_.idle_timeout) {
    close_udp_client(udp_clients_.front(), "idle");
  }
}

void EchoWorker::begin_drain() {
  take_handed();  // accepted before the first worker began its drain, which passed it on
  draining_ = true;
  drain_deadline_ = now_ + options_.drain_timeout;
  pause_accepting(std::nullopt);
  for (Listener& listener : listeners_) listener.fd.reset();  // refuse new clients at once
  // A UDP client has no echo waiting: every datagram was echoed or dropped when it came.
  while (!udp_clients_.empty()) close_udp_client(udp_clients_.front(), "shutdown");
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& connection = *it++;
    if (connection.pending_size() == 0) {
      finish_delivery(connection);
    } else {
      update_interest(connection);
    }
  }
}

}  // namespace seltool::cli
