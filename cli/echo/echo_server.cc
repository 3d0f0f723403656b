#include "cli/echo/echo_server.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <iterator>

#include "cli/os/socket_address.h"
#include "cli/os/socket_ops.h"

namespace seltool::cli {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;  // one recv() at most; the Python example reads 1000
constexpr int kAcceptsPerWakeup = 64;         // bounded so one busy listener cannot starve clients
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

struct EchoServer::Connection {
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

EchoServer::EchoServer(Selector& selector, std::vector<Listener> listeners, EchoOptions options)
    : selector_(selector),
      listeners_(std::move(listeners)),
      options_(std::move(options)),
      log_(options_.log_buffer),
      scratch_(kReadSize) {}

EchoServer::~EchoServer() = default;

void EchoServer::log_error(const char* action, int error) {
  log_.event("error", {{"action", action}, {"error", error_json(error)}});
}

void EchoServer::run(const StopSignals& stop) {
  started_ = now_ = Clock::now();
  for (const Listener& listener : listeners_) {
    // Bound relative to its directory (created_files.h), a socket file's kernel name is only
    // its last component: name it as the user did.
    const std::string address =
        listener.unix_path.empty()
            ? local_address(listener.fd.get())
            : format_address(unix_socket_address(listener.unix_path, listener.unix_path));
    log_.event("listening", {{"address", address}, {"selector", selector_.name()}});
  }
  resume_accepting();
  write_log();

  for (;;) {
    if (stop.count() > 0 && !draining_) begin_drain();
    if (stop.count() > 1) aborted_ = true;
    if (draining_ && (aborted_ || connections_.empty() || now_ >= drain_deadline_)) break;
    serve_once(next_timeout());
  }

  // What the drain limit (or a second signal) cut off: connections with echo still unsent.
  // Echo in the kernel's queue that the client has not received is not counted as sent.
  while (!connections_.empty()) {
    Connection& connection = connections_.front();
    const std::uint64_t not_received = bytes_not_received(connection.fd.get()).value_or(0);
    connection.bytes_out -= not_received;
    total_bytes_out_ -= not_received;
    connection.not_received = not_received;
    ++cut_off_connections_;
    cut_off_bytes_ += connection.pending_size() + not_received;
    close_connection(connection, "cut_off");
  }
  log_.final_event("stopped", {{"drained", cut_off_connections_ == 0 && !undelivered_},
                               {"cut_off_connections", cut_off_connections_},
                               {"cut_off_bytes", cut_off_bytes_},
                               {"connections", total_connections_},
                               {"bytes_in", total_bytes_in_},
                               {"bytes_out", total_bytes_out_},
                               {"log_lines_dropped", log_.dropped()},
                               {"duration", seconds(now_ - started_)}});
  // The log gets what is left of the drain time; a reader that stalls longer loses the rest.
  write_log();
  while (log_.pending() && stop.count() < 2 && now_ < drain_deadline_) {
    if (log_.watched()) {
      serve_once(drain_deadline_ - now_);
    } else {
      log_.wait_written(drain_deadline_);
      now_ = Clock::now();
    }
  }
  // A line stdout took only part of (a terminal, a socket) gets kFinishLine more to be whole.
  const Clock::time_point finish_by = now_ + kFinishLine;
  while (log_.mid_line() && now_ < finish_by) serve_once(finish_by - now_);
}

void EchoServer::serve_once(std::optional<Duration> timeout) {
  const ReadyList ready = timeout ? selector_.select(*timeout) : selector_.select();
  now_ = Clock::now();
  for (auto [key, events] : ready) std::any_cast<const Callback&>(key.data)(events);
  if (accept_retry_at_ && now_ >= *accept_retry_at_) resume_accepting();
  if (options_.idle_timeout) expire_idle();
  if (draining_) {
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& connection = *it++;
      if (connection.shut_down) finish_delivery(connection);
    }
  }
  write_log();
}

// Writes what stdout takes now, and watches it for writability while lines are left.
void EchoServer::write_log() {
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

std::optional<Duration> EchoServer::next_timeout() const {
  NextWake wake;
  if (options_.idle_timeout && !connections_.empty()) {
    wake.offer(connections_.front().last_active + *options_.idle_timeout);
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

bool EchoServer::below_cap() const {
  return options_.max_connections == 0 || connections_.size() < options_.max_connections;
}

void EchoServer::pause_accepting(std::optional<Clock::time_point> retry_at) {
  accept_retry_at_ = retry_at;
  if (!accepting_) return;
  for (const Listener& listener : listeners_) selector_.unregister(listener.fd.get());
  accepting_ = false;
}

void EchoServer::resume_accepting() {
  accept_retry_at_.reset();
  if (accepting_ || draining_ || !below_cap()) return;
  for (const Listener& listener : listeners_) {
    const int fd = listener.fd.get();
    selector_.register_file(fd, EVENT_READ, Callback([this, fd](Events) { on_accept(fd); }));
  }
  accepting_ = true;
}

void EchoServer::on_accept(int listener) {
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
      log_.event("error",
                 {{"action", "accept"}, {"peer", connection.peer}, {"message", error.what()}});
      connections_.erase(connection.self);
      continue;
    }
    ++total_connections_;
    if (options_.verbosity != Verbosity::kQuiet) {
      log_.event("accepted", {{"peer", connection.peer}, {"fd", fd_number}});
    }
    if (!below_cap()) pause_accepting(std::nullopt);
  }
}

// ---------------------------------------------------------------------------------------
// Connections

// The key's data, as in the Python example: what to call when the connection is ready.
EchoServer::Callback EchoServer::callback_for(Connection& connection) {
  return [this, at = &connection](Events events) { on_connection(*at, events); };
}

void EchoServer::on_connection(Connection& connection, Events events) {
  if ((events & EVENT_WRITE) && !write_pending(connection)) return;
  if (connection.shut_down) return;  // unregistered: finish_delivery() checks it
  if ((events & EVENT_READ) && !read_and_echo(connection)) return;
  update_interest(connection);
}

bool EchoServer::read_and_echo(Connection& connection) {
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
  total_bytes_in_ += std::size_t(n);
  mark_active(connection);
  if (options_.verbosity == Verbosity::kVerbose) {
    log_.event("echo", {{"peer", connection.peer}, {"bytes", n}});
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

bool EchoServer::write_pending(Connection& connection) {
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
bool EchoServer::finish_delivery(Connection& connection) {
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
void EchoServer::update_interest(Connection& connection) {
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

void EchoServer::close_connection(Connection& connection, const char* reason, int error) {
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
    log_.event("closed", fields);
  }
  connections_.erase(connection.self);  // closes the descriptor
  if (!accepting_) resume_accepting();  // below the cap again, or a descriptor freed
}

void EchoServer::close_on_error(Connection& connection, int error) {
  if (draining_) undelivered_ = true;  // echo written but maybe not received is lost
  close_connection(connection, is_reset(error) ? "reset" : "error", error);
}

void EchoServer::count_sent(Connection& connection, std::size_t bytes) {
  connection.bytes_out += bytes;
  total_bytes_out_ += bytes;
  mark_active(connection);
}

// Keeps connections_ ordered by last activity, so that only its front can be idle longest.
void EchoServer::mark_active(Connection& connection) {
  if (!options_.idle_timeout) return;
  connection.last_active = now_;
  connections_.splice(connections_.end(), connections_, connection.self);
}

void EchoServer::expire_idle() {
  while (!connections_.empty() &&
         now_ - connections_.front().last_active >= *options_.idle_timeout) {
    close_connection(connections_.front(), "idle");
  }
}

void EchoServer::begin_drain() {
  draining_ = true;
  drain_deadline_ = now_ + options_.drain_timeout;
  pause_accepting(std::nullopt);
  for (Listener& listener : listeners_) listener.fd.reset();  // refuse new clients at once
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
