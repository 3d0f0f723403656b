// seltool echo: the Python selectors documentation's echo server, done right (see
// echo_server.h and docs/echo.md).
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/base/backend_choice.h"
#include "cli/base/duration.h"
#include "cli/base/exit_codes.h"
#include "cli/base/number_option.h"
#include "cli/base/timers.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/commands/selector_option.h"
#include "cli/echo/echo_server.h"
#include "cli/echo/listen_address.h"
#include "cli/help/help_model.h"
#include "cli/os/socket_address.h"
#include "cli/os/socket_system.h"
#include "cli/os/stop_signals.h"

namespace seltool::cli {
namespace {

struct EchoCommandOptions {
  std::vector<std::string> listen;
  std::string selector;
  std::size_t max_connections = 0;
  std::size_t buffer_limit = 64 * 1024;
  std::size_t log_buffer = 1024 * 1024;
  std::optional<Duration> idle_timeout;
  std::optional<Duration> drain_timeout;
  bool quiet = false;
  bool verbose = false;
  bool udp = false;
  std::size_t workers = 1;
};

constexpr std::size_t kMaxWorkers = 1024;
constexpr auto kUdpIdleTimeout = std::chrono::seconds(30);  // a UDP client's end by default

// The combinations that have no meaning (docs/echo.md).
void check_combinations(const EchoCommandOptions& options, const CLI::App& command) {
  if (options.workers > kMaxWorkers) {
    throw UsageError("invalid --workers " + std::to_string(options.workers) + ": expected " +
                     std::to_string(kMaxWorkers) + " or fewer (one per core is enough)");
  }
  if (options.max_connections > 0 && options.workers > 1) {
    throw UsageError(
        "--max-connections needs a single worker (the workers share no cap): drop it or use "
        "--workers 1");
  }
  if (options.udp) {
    for (const char* option : {"--max-connections", "--buffer-limit"}) {
      if (command.count(option) > 0) {
        throw UsageError(std::string(option) +
                         " applies to stream clients, not to --udp: drop one of them");
      }
    }
  }
}

int run_echo(const EchoCommandOptions& options) {
  std::vector<std::unique_ptr<Selector>> selectors;
  std::vector<Selector*> workers;
  for (std::size_t i = 0; i < options.workers; ++i) {
    selectors.push_back(open_selector(options.selector));
    workers.push_back(selectors.back().get());
  }
  std::vector<std::vector<Listener>> listeners;
  for (const std::string& address : options.listen) {
    listeners.push_back(open_listener(address, SOMAXCONN, options.udp, options.workers));
  }
  EchoOptions server_options;
  server_options.max_connections = options.max_connections;
  server_options.buffer_limit = options.buffer_limit;
  server_options.log_buffer = options.log_buffer;
  // 0: no idle timeout. UDP has no end of its own: a client ends when it is quiet that long.
  server_options.idle_timeout =
      options.udp && !options.idle_timeout ? kUdpIdleTimeout : time_limit(options.idle_timeout);
  if (options.drain_timeout) server_options.drain_timeout = *options.drain_timeout;
  server_options.verbosity = options.quiet     ? Verbosity::kQuiet
                             : options.verbose ? Verbosity::kVerbose
                                               : Verbosity::kNormal;
  EchoServer server(workers, std::move(listeners), server_options);
  const StopSignals stop(*workers.front());
  server.run(stop);
  return kExitOk;
}

}  // namespace

void add_echo_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<EchoCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "echo", "Run an echo server (the Python selectors example, done right); JSON Lines events");
  document_exit_codes(*command, {{kExitOk, "stopped by SIGINT/SIGTERM/SIGHUP"},
                                 {kExitUsage, "usage error: bad option or address, address in use"},
                                 {kExitInternal, "seltool itself failed"}});
  command
      ->add_option(
          "--listen", options->listen,
          std::string("HOST:PORT, [V6]:PORT, :PORT (every address)") +
              (kUnixSocketsOffered ? ", unix:PATH or unix:///PATH" : "") +
              "; repeatable (default 127.0.0.1:1234; port 0 picks a free port); UDP with --udp")
      ->type_name("ADDR")
      ->default_str("127.0.0.1:1234");
  add_selector_option(*command, options->selector);
  command->add_flag("--udp", options->udp,
                    std::string("echo datagrams (RFC 862 over UDP") +
                        (kUnixSocketsOffered ? ", or a Unix datagram socket for unix:PATH" : "") +
                        ") instead of streams; a client is a sender's address, ended after "
                        "--idle-timeout (default 30s) without a datagram");
  command
      ->add_option("--workers", options->workers,
                   "serve with N threads, one selector each, sharing the port with "
                   "SO_REUSEPORT where the OS can, else handed connections by one accept loop "
                   "(default 1)")
      ->type_name("N")
      ->check(whole_number(1, "a number of workers"));
  command
      ->add_option("--max-connections", options->max_connections,
                   "serve at most N clients at once; more wait in the listen backlog (0: no cap)")
      ->type_name("N")
      ->check(whole_number(0, "a number of connections"));
  command
      ->add_option("--buffer-limit", options->buffer_limit,
                   "stop reading from a client whose unsent echo exceeds BYTES; resume below "
                   "half of it (default 65536)")
      ->type_name("BYTES")
      ->check(whole_number(1, "a number of bytes"));
  command
      ->add_option("--log-buffer", options->log_buffer,
                   "keep at most BYTES of log lines waiting for a slow stdout reader; lines "
                   "past that are dropped and counted (default 1048576)")
      ->type_name("BYTES")
      ->check(whole_number(1, "a number of bytes"));
  add_duration_option(*command, "--idle-timeout", options->idle_timeout,
                      "close connections idle for DURATION (1.5, 250ms, 2s, 1m; 0: never; "
                      "--udp: default 30s)");
  add_duration_option(*command, "--drain-timeout", options->drain_timeout,
                      "on SIGINT/SIGTERM/SIGHUP, send unsent echoes for at most DURATION, then "
                      "cut those connections off (default 5s; 0: at once)");
  auto* quiet =
      command->add_flag("-q,--quiet", options->quiet, "only listening, stopped and error lines");
  command->add_flag("-v,--verbose", options->verbose, "also one line per echo")->excludes(quiet);
  command->callback([options, command, &invocation] {
    check_combinations(*options, *command);
    if (options->listen.empty()) options->listen.push_back("127.0.0.1:1234");
    invocation.run = [options] { return run_echo(*options); };
  });
}

}  // namespace seltool::cli
