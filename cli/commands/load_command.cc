// seltool load: the client half of the echo demo (cli/load/load_run.h, docs/echo.md): load on
// an echo server, every echoed byte checked, throughput and latency percentiles reported; a
// grid of connection counts and message sizes in one run, one summary per point.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/base/duration.h"
#include "cli/base/exit_codes.h"
#include "cli/base/number_option.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/commands/selector_option.h"
#include "cli/help/help_model.h"
#include "cli/load/latency_histogram.h"
#include "cli/load/load_run.h"
#include "cli/os/process_cpu.h"
#include "cli/os/stop_signals.h"
#include "cli/os/terminal.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

constexpr std::size_t kDefaultWindow = 64 * 1024;
constexpr auto kDefaultDuration = std::chrono::seconds(5);
constexpr auto kDefaultWarmup = std::chrono::milliseconds(500);
constexpr std::uint64_t kMaxConnections = 1'000'000;
constexpr std::uint64_t kMaxMessage = 1ull << 30;

struct LoadCommandOptions {
  std::string target;
  std::string connections = "1";
  std::string sizes = "64";
  std::optional<Duration> duration;
  std::optional<std::uint64_t> requests;
  bool stream = false;
  std::optional<std::size_t> window;
  std::optional<double> rate;
  std::optional<Duration> warmup;
  std::optional<Duration> timeout;
  std::optional<long> server_pid;
  std::string selector;
  std::size_t threads = 1;
  std::string format = "json";
};

// "1,10,100": whole numbers from 1 to `maximum`, for the grid's axes.
std::vector<std::size_t> parse_list(const std::string& text, const std::string& option,
                                    std::uint64_t maximum) {
  std::vector<std::size_t> values;
  std::size_t at = 0;
  for (;;) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    std::uint64_t value = 0;
    bool valid = !item.empty() && item.size() <= 18;
    for (char c : item) valid = valid && c >= '0' && c <= '9';
    if (valid) value = std::stoull(item);
    if (!valid || value < 1 || value > maximum) {
      throw UsageError("invalid " + option + " " + quote_input(text) +
                       ": expected numbers from 1 to " + std::to_string(maximum) +
                       " separated by commas, e.g. 1,10,100");
    }
    values.push_back(std::size_t(value));
    if (comma == text.size()) return values;
    at = comma + 1;
  }
}

double microseconds(std::uint64_t nanoseconds) { return double(nanoseconds) / 1e3; }

const char* mode_of(const LoadSettings& settings) {
  return settings.rate > 0 ? (settings.window ? "stream,rate" : "rate")
                           : (settings.window ? "stream" : "ping-pong");
}

Json summary_fields(const LoadSettings& settings, const LoadResult& result) {
  const double seconds = result.seconds > 0 ? result.seconds : 0;
  const auto per_second = [&](double value) { return seconds > 0 ? value / seconds : 0.0; };
  Json fields = {{"target", settings.target.text},
                 {"connections", settings.connections},
                 {"message_size", settings.message_size},
                 {"pattern", mode_of(settings)},
                 {"selector", settings.selector},
                 {"client_threads", settings.threads},
                 {"seconds", seconds},
                 {"requests", result.requests},
                 {"warmup_requests", result.warmup_requests},
                 {"requests_per_s", per_second(double(result.requests))},
                 {"mib_per_s", per_second(double(result.bytes) / (1024.0 * 1024.0))},
                 {"p50_us", microseconds(result.latency.percentile(0.5))},
                 {"p90_us", microseconds(result.latency.percentile(0.9))},
                 {"p99_us", microseconds(result.latency.percentile(0.99))},
                 {"p99_9_us", microseconds(result.latency.percentile(0.999))},
                 {"max_us", microseconds(result.latency.max())},
                 {"errors", result.errors},
                 {"mismatches", result.mismatches}};
  if (settings.rate > 0) fields["rate"] = settings.rate;
  if (result.server_cpu_seconds) {
    fields["server_cpu_s"] = *result.server_cpu_seconds;
    fields["server_cpu_us_per_request"] =
        result.requests ? *result.server_cpu_seconds * 1e6 / double(result.requests) : 0.0;
  }
  if (!result.first_failure.empty()) fields["first_failure"] = result.first_failure;
  if (result.stopped) fields["stopped"] = true;
  return fields;
}

// --format text: one aligned row per point under one header.
std::string text_row(const Json& f, bool cpu) {
  char row[256];
  if (f.is_null()) {
    std::snprintf(row, sizeof row, "%7s %8s %-11s %10s %12s %9s %9s %9s %9s %9s %9s %6s %10s",
                  "conns", "size", "pattern", "requests", "req/s", "MiB/s", "p50 µs", "p90 µs",
                  "p99 µs", "p99.9 µs", "max µs", "errors", "mismatches");
  } else {
    std::snprintf(row, sizeof row,
                  "%7zu %8zu %-11s %10llu %12.1f %9.2f %9.1f %9.1f %9.1f %9.1f %9.1f %6llu %10llu",
                  f["connections"].get<std::size_t>(), f["message_size"].get<std::size_t>(),
                  f["pattern"].get<std::string>().c_str(), f["requests"].get<unsigned long long>(),
                  f["requests_per_s"].get<double>(), f["mib_per_s"].get<double>(),
                  f["p50_us"].get<double>(), f["p90_us"].get<double>(), f["p99_us"].get<double>(),
                  f["p99_9_us"].get<double>(), f["max_us"].get<double>(),
                  f["errors"].get<unsigned long long>(), f["mismatches"].get<unsigned long long>());
  }
  std::string line = row;
  if (cpu) {
    char more[32];
    if (f.is_null()) {
      std::snprintf(more, sizeof more, " %14s", "server µs/req");
    } else {
      std::snprintf(more, sizeof more, " %14.2f", f["server_cpu_us_per_request"].get<double>());
    }
    line += more;
  }
  return line + "\n";
}

int run_load_command(const LoadCommandOptions& options) {
  const OutputFormat format = parse_output_format(options.format);
  LoadSettings settings;
  settings.target = resolve_load_target(options.target);
  const std::vector<std::size_t> connections =
      parse_list(options.connections, "-c", kMaxConnections);
  const std::vector<std::size_t> sizes = parse_list(options.sizes, "-m", kMaxMessage);
  settings.selector = options.selector;
  settings.threads = options.threads;
  settings.window = options.stream ? options.window.value_or(kDefaultWindow) : 0;
  settings.rate = options.rate.value_or(0);
  settings.requests = options.requests;
  settings.duration = options.duration;
  if (!settings.requests && !settings.duration) settings.duration = kDefaultDuration;
  settings.warmup = options.warmup.value_or(
      options.requests && !options.duration ? Duration::zero() : Duration(kDefaultWarmup));
  if (options.timeout) settings.timeout = *options.timeout;
  settings.server_pid = options.server_pid;
  if (settings.server_pid) process_cpu_seconds(*settings.server_pid);  // there, and readable

  const bool live = stderr_is_terminal();
  const JsonLines output;
  bool header_written = false;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  std::string first_failure;
  for (const std::size_t c : connections) {
    for (const std::size_t m : sizes) {
      settings.connections = c;
      settings.message_size = m;
      std::uint64_t last_requests = 0;
      double last_seconds = 0;
      const auto progress = [&](const LoadProgress& p) {
        const double rate =
            double(p.requests - last_requests) / std::max(1e-9, p.seconds - last_seconds);
        last_requests = p.requests;
        last_seconds = p.seconds;
        if (format == OutputFormat::kJson) {
          output.event("progress", {{"connections", c},
                                    {"message_size", m},
                                    {"phase", p.warming_up ? "warmup" : "measure"},
                                    {"requests", p.requests},
                                    {"requests_per_s", p.warming_up ? 0.0 : rate},
                                    {"errors", p.errors},
                                    {"mismatches", p.mismatches}});
        }
        if (live) {
          std::fprintf(stderr,
                       "\r\x1b[Kload -c %zu -m %zu: %s %.0f req/s, %llu errors, %llu mismatches", c,
                       m, p.warming_up ? "warming up" : "", p.warming_up ? 0.0 : rate,
                       static_cast<unsigned long long>(p.errors),
                       static_cast<unsigned long long>(p.mismatches));
          std::fflush(stderr);
        }
      };
      const LoadResult result = run_load(settings, progress);
      if (live) std::fputs("\r\x1b[K", stderr);
      const Json fields = summary_fields(settings, result);
      if (format == OutputFormat::kJson) {
        output.event("summary", fields);
      } else {
        if (!header_written) write_stdout(text_row(Json(), settings.server_pid.has_value()));
        header_written = true;
        write_stdout(text_row(fields, settings.server_pid.has_value()));
      }
      errors += result.errors;
      mismatches += result.mismatches;
      if (first_failure.empty()) first_failure = result.first_failure;
      if (result.stopped) break;
    }
    if (stop_signal_received()) break;
  }
  if (errors == 0 && mismatches == 0) return kExitOk;
  print_diagnostic("load: " + first_failure + " (" + std::to_string(errors) + " errors, " +
                   std::to_string(mismatches) + " mismatches in all)");
  return kExitFailed;
}

}  // namespace

void add_load_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<LoadCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "load",
      "Load an echo server (seltool echo): connections, messages, every byte checked; "
      "throughput and latency percentiles as JSON Lines");
  document_exit_codes(*command, {{kExitOk, "every message came back intact"},
                                 {kExitFailed,
                                  "a connection failed or an echo differed (the first named "
                                  "on stderr; all counted in the summary)"},
                                 {kExitUsage, "usage error: bad option or address"},
                                 {kExitInternal, "seltool itself failed"}});
  command
      ->add_option("ADDRESS", options->target,
                   "the echo server: HOST:PORT, [V6]:PORT, unix:PATH or unix:///PATH")
      ->type_name("")
      ->required();
  command
      ->add_option("-c,--connections", options->connections,
                   "connections, or a list for a grid: 1,10,100 (default 1)")
      ->type_name("LIST");
  command
      ->add_option("-m,--message-size", options->sizes,
                   "bytes per message, or a list for a grid: 64,1024 (default 64)")
      ->type_name("LIST");
  add_duration_option(*command, "-d,--duration", options->duration,
                      "measure for DURATION at each grid point (default 5s unless -n is given)");
  command
      ->add_option("-n,--requests", options->requests,
                   "measure exactly N messages at each grid point (with -d: whichever ends first)")
      ->type_name("N")
      ->check(whole_number(1, "a number of requests"));
  auto* stream = command->add_flag(
      "--stream", options->stream,
      "keep a window of messages in flight on each connection, not one (ping-pong)");
  command
      ->add_option("--window", options->window,
                   "with --stream: bytes in flight per connection, whole messages, at least one "
                   "(default 65536)")
      ->type_name("BYTES")
      ->check(whole_number(1, "a number of bytes"))
      ->needs(stream);
  command
      ->add_option("--rate", options->rate,
                   "open loop: R messages per second over all connections, on a fixed schedule; "
                   "latency counts from each message's scheduled time, as wrk2's does")
      ->type_name("R")
      ->check(CLI::PositiveNumber);
  add_duration_option(*command, "--warmup", options->warmup,
                      "messages started in the first DURATION are not measured (default 500ms; "
                      "0 with -n alone)");
  add_duration_option(*command, "--timeout", options->timeout,
                      "a connection whose echo or connect stalls for DURATION fails; bounds the "
                      "drain after -d (default 2s)");
  command
      ->add_option("--server-pid", options->server_pid,
                   "report the server's CPU time per request, from /proc/PID/stat (Linux only; "
                   "elsewhere a usage error)")
      ->type_name("PID")
      ->check(whole_number(1, "a process id"));
  add_selector_option(*command, options->selector);
  command
      ->add_option("--threads", options->threads,
                   "N threads, each with its own selector and share of the connections "
                   "(default 1)")
      ->type_name("N")
      ->check(whole_number(1, "a number of threads"));
  command
      ->add_option("--format", options->format,
                   "json (JSON Lines: a progress line a second and a summary per grid point) or "
                   "text (an aligned summary table)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  command->footer(
      "Latency percentiles come from a log-bucketed histogram: each is at most 1.6% (1/64) above "
      "the true value, never below it; max is exact. A live progress line goes to stderr when "
      "it is a terminal.");
  command->callback([options, &invocation] {
    invocation.run = [options] { return run_load_command(*options); };
  });
}

}  // namespace seltool::cli
