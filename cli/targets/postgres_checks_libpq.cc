// PostgreSQL checks through libpq's non-blocking connect: PQconnectStartParams() starts it,
// and each PQconnectPoll() says which way to wait on which socket (it may change: libpq tries
// the next address, or again without SSL, on a new socket) until the connection is made,
// authentication included, or has failed with the server's message ("the database system is
// starting up", "password authentication failed for user ..."). The password comes from the
// URL or from what libpq reads itself (PGPASSWORD, PGPASSFILE, ~/.pgpass).
#include <errno.h>
#include <postgresql/libpq-fe.h>

#include <map>
#include <new>

#include "cli/base/usage_error.h"
#include "cli/os/loaded_library.h"
#include "cli/targets/protocol_checks.h"

namespace seltool::cli {
namespace {

// The libpq functions seltool calls.
#define SELTOOL_PQ_FUNCTIONS(X) \
  X(PQconnectPoll)              \
  X(PQconnectStartParams)       \
  X(PQconninfoFree)             \
  X(PQconninfoParse)            \
  X(PQerrorMessage)             \
  X(PQfinish)                   \
  X(PQfreemem)                  \
  X(PQsocket)                   \
  X(PQstatus)

struct PqLibrary {
  SELTOOL_PQ_FUNCTIONS(SELTOOL_FUNCTION_POINTER)
};

// Loaded once; a failed load is tried again next time.
const PqLibrary& pq() {
  static const PqLibrary loaded = [] {
    const LoadedLibrary library(
        {"libpq.so.5", "libpq.5.dylib"},
        "postgres:// targets need libpq, which is not installed; install libpq5 (Debian, "
        "Ubuntu), libpq (Fedora, Alpine) or wait for the port instead");
    PqLibrary table;
    SELTOOL_PQ_FUNCTIONS(SELTOOL_RESOLVE_FUNCTION)
    return table;
  }();
  return loaded;
}

struct Finish {
  void operator()(PGconn* connection) const { pq().PQfinish(connection); }
};

class PostgresChecks final : public ProtocolChecks {
 public:
  PostgresChecks(Selector& selector, CheckOptions options, Finished finished)
      : options_(std::move(options)), finished_(std::move(finished)), sockets_(selector, *this) {
    pq();  // the library is there, or a UsageError now
  }

  void validate(const TargetSpec& spec) const override {
    char* error = nullptr;
    PQconninfoOption* parsed = pq().PQconninfoParse(spec.url.c_str(), &error);
    if (parsed) return pq().PQconninfoFree(parsed);
    if (!error) throw std::bad_alloc();
    const std::string why = one_line(error);
    pq().PQfreemem(error);
    throw UsageError("invalid target " + quote_input(spec.text) + ": " + why);
  }

  void start(TargetEntry& entry) override {
    cancel(entry);
    // The URL expands into its parts (expand_dbname); fallback_application_name names seltool
    // in pg_stat_activity unless the URL names an application.
    const char* const keywords[] = {"dbname", "fallback_application_name", nullptr};
    const char* const values[] = {entry.target->spec().url.c_str(), "seltool", nullptr};
    Attempt attempt{Connection(pq().PQconnectStartParams(keywords, values, 1)), -1, {}};
    if (!attempt.connection) throw std::bad_alloc();
    if (options_.connect_timeout) attempt.deadline = Clock::now() + *options_.connect_timeout;
    Attempt& started = attempts_.emplace(&entry, std::move(attempt)).first->second;
    if (pq().PQstatus(started.connection.get()) == CONNECTION_BAD) return end(entry, false);
    wait_for(started, PGRES_POLLING_WRITING);  // as the documentation says after a start
  }

  void cancel(TargetEntry& entry) override {
    const auto found = attempts_.find(&entry);
    if (found == attempts_.end()) return;
    sockets_.watch(found->second.fd, 0);  // before PQfinish closes it
    attempts_.erase(found);
  }

  void on_socket_ready(int fd, Events, Conditions) override {
    for (auto& [entry, attempt] : attempts_) {
      if (attempt.fd != fd) continue;
      // Unwatched before each step: libpq may close this socket and open another, which can
      // get the same number.
      sockets_.watch(attempt.fd, 0);
      attempt.fd = -1;
      const PostgresPollingStatusType state = pq().PQconnectPoll(attempt.connection.get());
      if (state == PGRES_POLLING_OK || state == PGRES_POLLING_FAILED) {
        return end(*entry, state == PGRES_POLLING_OK);
      }
      return wait_for(attempt, state);
    }
  }

  std::optional<Clock::time_point> next_timer() const override {
    std::optional<Clock::time_point> first;
    for (const auto& [entry, attempt] : attempts_) {
      if (attempt.deadline && (!first || *attempt.deadline < *first)) first = attempt.deadline;
    }
    return first;
  }

  void on_timer(Clock::time_point now) override {
    for (auto it = attempts_.begin(); it != attempts_.end();) {
      TargetEntry& entry = *it->first;
      const bool expired = it->second.deadline && *it->second.deadline <= now;
      ++it;  // first: end() erases the attempt, and the policy may drop other entries
      if (!expired) continue;
      entry.target->fail(ErrorInfo::from_errno(ETIMEDOUT));
      cancel(entry);
      finished_(entry, false);
      return;  // the next wake comes again for the others (the policy may have changed them)
    }
  }

 private:
  using Connection = std::unique_ptr<PGconn, Finish>;
  struct Attempt {
    Connection connection;
    int fd;  // watched, -1 while none
    std::optional<Clock::time_point> deadline;
  };

  void wait_for(Attempt& attempt, PostgresPollingStatusType state) {
    attempt.fd = pq().PQsocket(attempt.connection.get());
    sockets_.watch(attempt.fd, state == PGRES_POLLING_READING ? EVENT_READ : EVENT_WRITE);
  }

  // The attempt of `entry` is over: its connection closes before the policy hears of it.
  void end(TargetEntry& entry, bool passed) {
    if (!passed) {
      // libpq's message, e.g. 'connection to server at "127.0.0.1", port 5432 failed: FATAL:
      // the database system is starting up': "FATAL:" when the server stated it.
      const std::string message =
          one_line(pq().PQerrorMessage(attempts_.at(&entry).connection.get()));
      const bool from_server = message.find("FATAL: ") != std::string::npos;
      entry.target->fail(
          ErrorInfo{0, from_server ? "POSTGRES_FATAL" : "POSTGRES_CONNECT_FAILED", message});
    }
    cancel(entry);
    finished_(entry, passed);
  }

  const CheckOptions options_;
  const Finished finished_;
  std::map<TargetEntry*, Attempt> attempts_;
  CheckSockets sockets_;  // after attempts_: unregisters before their connections close
};

}  // namespace

std::unique_ptr<ProtocolChecks> make_postgres_checks(Selector& selector, CheckOptions options,
                                                     ProtocolChecks::Finished finished,
                                                     const std::string&) {
  return std::make_unique<PostgresChecks>(selector, std::move(options), std::move(finished));
}

}  // namespace seltool::cli
