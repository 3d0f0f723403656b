// The echo server behind `seltool echo`: the Python selectors documentation's example (one
// selector loop, accept and read callbacks stored as each key's data), made correct: partial
// writes, backpressure, half-close, resets, descriptor exhaustion, a connection cap, idle
// timeouts and a graceful, bounded drain on SIGINT/SIGTERM/SIGHUP. Its log (JSON lines on
// stdout) never blocks it: lines wait in a bounded queue written when stdout is writable.
// With --udp it echoes datagrams (RFC 862); with --workers N it runs N such loops, one thread
// and one selector each (docs/echo.md, "Workers").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli/base/byte_queue.h"
#include "cli/base/timers.h"
#include "cli/echo/listen_address.h"
#include "cli/os/socket_address.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

enum class Verbosity { kQuiet, kNormal, kVerbose };

struct EchoOptions {
  std::size_t max_connections = 0;  // 0: no cap (one worker only: echo_command.cc)
  std::size_t buffer_limit = 64 * 1024;
  std::optional<Duration> idle_timeout;  // none: connections (and UDP clients) idle forever
  Duration drain_timeout = std::chrono::seconds(5);
  std::size_t log_buffer = 1024 * 1024;  // bytes of log lines waiting for stdout
  Verbosity verbosity = Verbosity::kNormal;
};

// What the server counted, per worker and in all.
struct EchoTotals {
  std::uint64_t connections = 0;  // TCP and Unix stream connections, and UDP clients
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t datagrams_dropped = 0;    // received but not echoed (see docs/echo.md)
  std::uint64_t cut_off_connections = 0;  // closed by the drain limit with echo unsent
  std::uint64_t cut_off_bytes = 0;        // the echo the client did not receive
  bool undelivered = false;               // a connection reset during the drain lost echo

  void add(const EchoTotals& other);
};

class EchoWorker;

// The log every worker writes to: lines queued from any worker's thread, written to stdout
// by the first worker (on its selector, which the others wake when they queue a line).
class SharedLog {
 public:
  SharedLog(std::size_t bound, Selector& writer);

  // From any worker.
  void event(std::string_view name, const Json& fields);
  // The rest from the first worker only.
  void final_event(std::string_view name, const Json& fields);
  void write_some();
  bool pending() const;
  bool watched() const { return lines_.watched(); }
  void wait_written(Clock::time_point deadline);
  bool mid_line() const;
  int fd() const { return lines_.fd(); }
  std::uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  QueuedLines lines_;
  Selector& writer_;
  const std::thread::id writer_thread_;
};

// What the workers of one server share.
struct EchoCrew {
  EchoCrew(std::size_t log_buffer, Selector& first) : log(log_buffer, first) {}

  SharedLog log;
  std::vector<EchoWorker*> workers;
  std::atomic<int> stops{0};    // stop signals, as the first worker passed them on
  std::size_t next_worker = 0;  // the first worker's round robin when it hands connections out
  std::mutex failure_mutex;
  std::exception_ptr failure;  // what ended a worker's thread
};

// One selector loop: the whole server with one worker (the default), one of N otherwise.
class EchoWorker {
 public:
  EchoWorker(std::size_t index, Selector& selector, std::vector<Listener> listeners,
             const EchoOptions& options, EchoCrew& crew);
  ~EchoWorker();  // out of line: Connection is complete only in echo_server.cc
  EchoWorker(const EchoWorker&) = delete;
  EchoWorker& operator=(const EchoWorker&) = delete;

  // Serves until the crew's stops (the first worker: `stop`'s count) ask it to, then drains
  // its connections as EchoServer::run() says. The first worker passes `stop`'s count on to
  // the others (`crew.stops`) and wakes them; the others pass null.
  void serve(const StopSignals* stop);
  // Takes a connection accepted by the first worker (from its thread) and wakes this worker.
  void hand_over(UniqueFd fd, const SocketAddress& peer);
  void wakeup() { selector_.wakeup(); }
  const EchoTotals& totals() const { return totals_; }

  // The rest is for the first worker, which writes the log and the last lines.
  void serve_once(std::optional<Duration> timeout);
  // The first worker's part of a stop signal: it is the one the signal wakes; it passes the
  // count on to the others (crew.stops) and wakes them.
  void pass_on_stops(int stops);
  // Writes what stdout takes now, and watches it for writability while lines are left.
  void write_log();
  Clock::time_point started() const { return started_; }
  Clock::time_point now() const { return now_; }
  Clock::time_point drain_deadline() const { return drain_deadline_; }

 private:
  struct Connection;
  struct UdpClient;
  using Connections = std::list<Connection>;
  using UdpClients = std::list<UdpClient>;
  using Callback = std::function<void(Events)>;
  struct Handed {
    UniqueFd fd;
    SocketAddress peer;
  };

  void log(std::string_view name, Json fields);

  void on_accept(int listener, bool hand_out);
  void add_connection(UniqueFd fd, const SocketAddress& peer);
  void take_handed();
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

  // Datagrams (--udp).
  void on_datagrams(int listener);
  UdpClient& udp_client(const SocketAddress& from);
  void close_udp_client(UdpClient& client, const char* reason);

  void pause_accepting(std::optional<Clock::time_point> retry_at);
  void resume_accepting();
  bool below_cap() const;
  void begin_drain();
  void expire_idle();
  std::optional<Duration> next_timeout() const;
  void log_error(const char* action, int error);

  const std::size_t index_;
  Selector& selector_;
  std::vector<Listener> listeners_;
  const EchoOptions& options_;
  EchoCrew& crew_;
  SharedLog& log_;
  bool watching_stdout_ = false;  // log_.fd() registered for writability

  Connections connections_;  // least recently active first (when idle timeouts are on)
  UdpClients udp_clients_;   // least recently active first
  std::unordered_map<std::string, UdpClients::iterator> udp_by_peer_;
  std::vector<char> scratch_;  // one recv() at a time, echoed from here when possible
  Clock::time_point started_;
  Clock::time_point now_;

  std::mutex handed_mutex_;
  std::vector<Handed> handed_;  // from the first worker, not taken yet

  bool accepting_ = false;
  std::optional<Clock::time_point> accept_retry_at_;  // after EMFILE/ENFILE
  bool accept_error_logged_ = false;
  bool draining_ = false;
  Clock::time_point drain_deadline_;
  bool aborted_ = false;     // a second signal
  int stops_passed_on_ = 0;  // the first worker: crew_.stops as last set

  EchoTotals totals_;
};

class EchoServer {
 public:
  // Serves on `listeners` (see open_listener(): each --listen's sockets) with one worker per
  // selector; its events go to stdout. `selectors[0]` is the one the StopSignals given to
  // run() wake. A listener's sockets shared by the kernel (Listener::shared) go one to each
  // worker; a stream listener opened once is accepted on by the first worker, which hands the
  // connections out in turn; a datagram socket opened once is served by the first worker.
  EchoServer(const std::vector<Selector*>& selectors, std::vector<std::vector<Listener>> listeners,
             EchoOptions options);
  ~EchoServer();

  // Prints one "listening" line per --listen and serves until `stop` counts a signal; then
  // stops accepting, flushes pending echoes for at most drain_timeout (a second signal cuts
  // that short), cuts off the connections still sending, and prints the "stopped" line with
  // the totals of every worker and what was cut off. The log lines still queued then get what
  // is left of drain_timeout to reach stdout. Throws std::system_error when stdout fails
  // (json_lines.h).
  void run(const StopSignals& stop);

 private:
  struct Threads;

  const EchoOptions options_;
  EchoCrew crew_;
  std::vector<std::unique_ptr<EchoWorker>> workers_;
  std::vector<Json> listening_;  // the "listening" lines' fields
  bool udp_ = false;
};

}  // namespace seltool::cli
