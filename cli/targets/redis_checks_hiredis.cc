// Redis checks through hiredis's asynchronous context: hiredis says when to watch its socket
// for reading and writing (the event hooks of redisAsyncContext) and seltool's selector hands
// readiness back with redisAsyncHandleRead/Write(). A check sends AUTH when there is a password
// (the URL's, else REDISCLI_AUTH's, as redis-cli reads it), SELECT when the URL names a
// database, then PING, all at once; it passes when PING answers PONG and fails on the first
// error the server answers ("LOADING Redis is loading the dataset in memory", "WRONGPASS ...")
// or when the connection fails or closes.
#include <errno.h>
#include <hiredis/async.h>

#include <cstdlib>
#include <map>
#include <new>
#include <vector>

#include "cli/os/loaded_library.h"
#include "cli/os/sigpipe.h"
#include "cli/targets/protocol_checks.h"

namespace seltool::cli {
namespace {

// The hiredis functions seltool calls.
#define SELTOOL_HIREDIS_FUNCTIONS(X) \
  X(redisAsyncCommandArgv)           \
  X(redisAsyncConnect)               \
  X(redisAsyncFree)                  \
  X(redisAsyncHandleRead)            \
  X(redisAsyncHandleWrite)           \
  X(redisAsyncSetConnectCallback)

struct HiredisLibrary {
  SELTOOL_HIREDIS_FUNCTIONS(SELTOOL_FUNCTION_POINTER)
};

// Loaded once; a failed load is tried again next time. Only the soname of the headers seltool
// was built with: the layout of redisAsyncContext differs between hiredis 0.14 and 1.x.
const HiredisLibrary& hiredis() {
  static const HiredisLibrary loaded = [] {
    const LoadedLibrary library(
        {"libhiredis.so.0.14"},
        "redis:// targets need hiredis 0.14, which is not installed; install libhiredis0.14 "
        "(Debian 12) or wait for the port instead");
    HiredisLibrary table;
    SELTOOL_HIREDIS_FUNCTIONS(SELTOOL_RESOLVE_FUNCTION)
    return table;
  }();
  return loaded;
}

// hiredis's error of a connection. An I/O error is strerror()'s text: given its errno back, so
// that a refused connect reads ECONNREFUSED as a TCP target's does.
ErrorInfo connection_error(const redisContext& context) {
  const std::string message = context.errstr[0] ? context.errstr : "the connection failed";
  if (context.err == REDIS_ERR_IO) {
    for (int errnum : {ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ECONNRESET, EPIPE,
                       EADDRNOTAVAIL, ECONNABORTED}) {
      if (error_text(errnum) == message) return ErrorInfo::from_errno(errnum);
    }
  }
  return ErrorInfo{0, context.err == REDIS_ERR_EOF ? "REDIS_ERR_EOF" : "REDIS_ERR", message};
}

class RedisChecks final : public ProtocolChecks {
 public:
  RedisChecks(Selector& selector, CheckOptions options, Finished finished)
      : options_(std::move(options)), finished_(std::move(finished)), sockets_(selector, *this) {
    hiredis();  // the library is there, or a UsageError now
  }

  ~RedisChecks() override {
    while (!attempts_.empty()) cancel(*attempts_.begin()->first);
  }

  void validate(const TargetSpec&) const override {}  // parse_target() checked the URL

  void start(TargetEntry& entry) override {
    cancel(entry);
    const TargetSpec& spec = entry.target->spec();
    std::string host = spec.service.endpoint.host;
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto attempt = std::make_unique<Attempt>();
    attempt->checks = this;
    attempt->entry = &entry;
    if (options_.connect_timeout) attempt->deadline = Clock::now() + *options_.connect_timeout;
    redisAsyncContext* context =
        hiredis().redisAsyncConnect(host.c_str(), std::stoi(spec.service.endpoint.port));
    if (!context) throw std::bad_alloc();
    Attempt& started = *attempts_.emplace(&entry, std::move(attempt)).first->second;
    if (context->err) {
      started.outcome = Outcome{false, connection_error(context->c)};
      hiredis().redisAsyncFree(context);  // no hooks yet: nothing calls back
      return end(started);
    }
    started.context = context;
    context->ev.data = &started;
    context->ev.addRead = [](void* data) { static_cast<Attempt*>(data)->want(EVENT_READ, true); };
    context->ev.delRead = [](void* data) { static_cast<Attempt*>(data)->want(EVENT_READ, false); };
    context->ev.addWrite = [](void* data) { static_cast<Attempt*>(data)->want(EVENT_WRITE, true); };
    context->ev.delWrite = [](void* data) {
      static_cast<Attempt*>(data)->want(EVENT_WRITE, false);
    };
    context->ev.cleanup = [](void* data) { static_cast<Attempt*>(data)->gone(); };
    hiredis().redisAsyncSetConnectCallback(context, &RedisChecks::on_connect);
    std::vector<std::vector<std::string>> commands;
    const char* environment_password = std::getenv("REDISCLI_AUTH");
    const std::optional<std::string> password =
        spec.service.password ? spec.service.password
        : environment_password && *environment_password
            ? std::optional<std::string>(environment_password)
            : std::nullopt;
    if (password) {
      commands.push_back({"AUTH"});
      if (!spec.service.user.empty()) commands.back().push_back(spec.service.user);
      commands.back().push_back(*password);
    }
    if (!spec.service.database.empty()) commands.push_back({"SELECT", spec.service.database});
    commands.push_back({"PING"});
    started.replies_left = static_cast<int>(commands.size());
    for (const auto& command : commands) {
      std::vector<const char*> arguments;
      std::vector<std::size_t> lengths;
      for (const std::string& word : command) {
        arguments.push_back(word.c_str());
        lengths.push_back(word.size());
      }
      if (hiredis().redisAsyncCommandArgv(context, &RedisChecks::on_reply, &started,
                                          static_cast<int>(arguments.size()), arguments.data(),
                                          lengths.data()) != REDIS_OK) {
        throw std::bad_alloc();
      }
    }
  }

  void cancel(TargetEntry& entry) override {
    const auto found = attempts_.find(&entry);
    if (found == attempts_.end()) return;
    Attempt& attempt = *found->second;
    // Decided: what hiredis calls back with while freeing changes nothing.
    attempt.outcome = Outcome{false, ErrorInfo{}};
    // Unwatches the socket (cleanup hook) before hiredis closes it.
    if (attempt.context) hiredis().redisAsyncFree(attempt.context);
    attempts_.erase(found);
  }

  void on_socket_ready(int fd, Events ready, Conditions) override {
    for (auto& [entry, attempt] : attempts_) {
      if (attempt->fd != fd) continue;
      Attempt& current = *attempt;
      without_sigpipe([&] {
        if ((ready & EVENT_READ) && current.context)
          hiredis().redisAsyncHandleRead(current.context);
        if ((ready & EVENT_WRITE) && current.context)
          hiredis().redisAsyncHandleWrite(current.context);
      });
      if (current.outcome) end(current);
      return;
    }
  }

  std::optional<Clock::time_point> next_timer() const override {
    std::optional<Clock::time_point> first;
    for (const auto& [entry, attempt] : attempts_) {
      if (attempt->deadline && (!first || *attempt->deadline < *first)) first = attempt->deadline;
    }
    return first;
  }

  void on_timer(Clock::time_point now) override {
    for (auto& [entry, attempt] : attempts_) {
      if (!attempt->deadline || *attempt->deadline > now) continue;
      attempt->outcome = Outcome{false, ErrorInfo::from_errno(ETIMEDOUT)};
      return end(*attempt);  // the next wake comes again for the others
    }
  }

 private:
  struct Outcome {
    bool passed = false;
    ErrorInfo error;  // when not passed
  };

  // One check: a connection and its commands. hiredis's hooks and callbacks only record
  // what happened; the check ends once hiredis has returned (end()), never inside a callback.
  struct Attempt {
    RedisChecks* checks = nullptr;
    TargetEntry* entry = nullptr;
    redisAsyncContext* context = nullptr;  // nullptr once hiredis freed it
    int fd = -1;                           // watched with `events`
    Events events = 0;
    int replies_left = 0;
    std::optional<Outcome> outcome;
    std::optional<Clock::time_point> deadline;

    void want(Events event, bool wanted) {
      fd = context->c.fd;
      events = wanted ? events | event : events & ~event;
      checks->sockets_.watch(fd, events);
    }
    // hiredis frees the context (after a failure, the server's close, or redisAsyncFree).
    void gone() {
      checks->sockets_.watch(fd, 0);
      if (!outcome) outcome = Outcome{false, connection_error(context->c)};
      context = nullptr;
      fd = -1;
    }
  };

  static void on_connect(const redisAsyncContext* context, int status) {
    auto& attempt = *static_cast<Attempt*>(context->ev.data);
    if (status != REDIS_OK && !attempt.outcome) {
      attempt.outcome = Outcome{false, connection_error(context->c)};
    }
  }

  static void on_reply(redisAsyncContext* context, void* reply_data, void* attempt_data) {
    auto& attempt = *static_cast<Attempt*>(attempt_data);
    if (attempt.outcome) return;
    const auto* reply = static_cast<const redisReply*>(reply_data);
    if (!reply) {
      attempt.outcome = Outcome{false, connection_error(context->c)};
    } else if (reply->type == REDIS_REPLY_ERROR) {
      // "WRONGPASS invalid username-password pair...": its first word is Redis's error code.
      const std::string message(reply->str, reply->len);
      attempt.outcome = Outcome{false, ErrorInfo{0, message.substr(0, message.find(' ')), message}};
    } else if (--attempt.replies_left == 0) {
      attempt.outcome = Outcome{true, {}};  // PING answered (PONG)
    }
  }

  // The check of `attempt` is over: its connection closes before the policy hears of it.
  void end(Attempt& attempt) {
    TargetEntry& entry = *attempt.entry;
    const Outcome outcome = *attempt.outcome;
    if (!outcome.passed) entry.target->fail(outcome.error);
    cancel(entry);
    finished_(entry, outcome.passed);
  }

  const CheckOptions options_;
  const Finished finished_;
  CheckSockets sockets_;
  std::map<TargetEntry*, std::unique_ptr<Attempt>> attempts_;
};

}  // namespace

std::unique_ptr<ProtocolChecks> make_redis_checks(Selector& selector, CheckOptions options,
                                                  ProtocolChecks::Finished finished,
                                                  const std::string&) {
  return std::make_unique<RedisChecks>(selector, std::move(options), std::move(finished));
}

}  // namespace seltool::cli
