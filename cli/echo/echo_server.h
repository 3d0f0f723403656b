// The echo server behind `seltool echo`: the Python selectors documentation's example (one
// selector loop, accept and read callbacks stored as each key's data), made correct: partial
// writes, backpressure, half-close, resets, descriptor exhaustion, a connection cap, idle
// timeouts and a graceful, bounded drain on SIGINT/SIGTERM/SIGHUP. Its log (JSON lines on
// stdout) never blocks it: lines wait in a bounded queue written when stdout is writable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "cli/base/byte_queue.h"
#include "cli/base/timers.h"
#include "cli/echo/listen_address.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

enum class Verbosity { kQuiet, kNormal, kVerbose };

struct EchoOptions {
  std::size_t max_connections = 0;  // 0: no cap
  std::size_t buffer_limit = 64 * 1024;
  std::optional<Duration> idle_timeout;  // none: connections may idle forever
  Duration drain_timeout = std::chrono::seconds(5);
  std::size_t log_buffer = 1024 * 1024;  // bytes of log lines waiting for stdout
  Verbosity verbosity = Verbosity::kNormal;
};

class EchoServer {
 public:
  // Serves on `listeners` (see open_listener()) with `selector`; its events go to stdout.
  EchoServer(Selector& selector, std::vector<Listener> listeners, EchoOptions options);
  ~EchoServer();  // out of line: Connection is complete only in echo_server.cc
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Prints one "listening" line per listener and serves until `stop` counts a signal; then
  // stops accepting, flushes pending echoes for at most drain_timeout (a second signal cuts
  // that short), cuts off the connections still sending, and prints the "stopped" line with
  // the totals and what was cut off. The log lines still queued then get what is left of
  // drain_timeout to reach stdout. Throws std::system_error when stdout fails (json_lines.h).
  void run(const StopSignals& stop);

 private:
  struct Connection;
  using Connections = std::list<Connection>;
  using Callback = std::function<void(Events)>;

  void on_accept(int listener);
  void on_connection(Connection& connection, Events events);
  Callback callback_for(Connection& connection);
  // Each returns false when it closed the connection.
  bool write_pending(Connection& connection);
  bool finish_delivery(Connection& connection);
  bool read_and_echo(Connection& connection);
  void update_interest(Connection& connection);
  void close_connection(Connection& connection, const char* reason, int error = 0);
  void close_on_error(Connection& connection, int error);  // reason reset or error
  void mark_active(Connection& connection);
  void count_sent(Connection& connection, std::size_t bytes);

  void pause_accepting(std::optional<Clock::time_point> retry_at);
  void resume_accepting();
  bool below_cap() const;
  void begin_drain();
  void expire_idle();
  std::optional<Duration> next_timeout() const;
  // One select() with `timeout`, its callbacks, then as much of the log as stdout takes.
  void serve_once(std::optional<Duration> timeout);
  void write_log();
  void log_error(const char* action, int error);

  Selector& selector_;
  std::vector<Listener> listeners_;
  const EchoOptions options_;
  QueuedLines log_;
  bool watching_stdout_ = false;  // log_.fd() registered for writability

  Connections connections_;    // least recently active first (when idle timeouts are on)
  std::vector<char> scratch_;  // one recv() at a time, echoed from here when possible
  Clock::time_point started_;
  Clock::time_point now_;

  bool accepting_ = false;
  std::optional<Clock::time_point> accept_retry_at_;  // after EMFILE/ENFILE
  bool accept_error_logged_ = false;
  bool draining_ = false;
  Clock::time_point drain_deadline_;
  bool aborted_ = false;  // a second signal

  std::uint64_t total_connections_ = 0;
  std::uint64_t total_bytes_in_ = 0;
  std::uint64_t total_bytes_out_ = 0;
  std::uint64_t cut_off_connections_ = 0;  // closed by the drain limit with echo unsent
  std::uint64_t cut_off_bytes_ = 0;        // the echo the client did not receive
  bool undelivered_ = false;               // a connection reset during the drain lost echo
};

}  // namespace seltool::cli
