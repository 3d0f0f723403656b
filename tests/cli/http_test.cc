// http:// and https:// targets of `seltool wait` and `watch`, and `wait --invert-check`, run
// through the real binary against a small HTTP server on 127.0.0.1 written here.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// An HTTP/1.1 server on 127.0.0.1 and a thread of its own. It answers each connection's
// request with the next status of `statuses` (the last one repeats), a 5-byte body and a
// Location header, and closes the connection. stop() closes its listener: from then on a
// connect to its port is refused.
class HttpServer {
 public:
  explicit HttpServer(std::vector<int> statuses)
      : statuses_(std::move(statuses)),
        listener_(listen_tcp(0)),
        port_(local_port(listener_.get())),
        stop_pipe_(make_pipe()),
        thread_([this] { serve(); }) {}
  ~HttpServer() { stop(); }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

  void stop() {
    if (!thread_.joinable()) return;
    write_all(stop_pipe_.write_end.get(), "x");
    thread_.join();
    listener_.reset();
  }

 private:
  void serve() {
    for (;;) {
      pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_pipe_.read_end.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) return;
      if (fds[1].revents) return;
      UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (connection) answer(connection.get());
    }
  }

  // Reads the request head (or whatever a client that does not speak HTTP sends first, such
  // as a TLS hello), then answers.
  void answer(int fd) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      pollfd readable{fd, POLLIN, 0};
      if (::poll(&readable, 1, 5000) <= 0) return;
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) return;
      request.append(buffer, std::size_t(got));
      if (request[0] != 'G') break;  // not "GET ..."
    }
    const int index = requests_++;
    const int status = statuses_[std::min<std::size_t>(std::size_t(index), statuses_.size() - 1)];
    const std::string response = "HTTP/1.1 " + std::to_string(status) +
                                 " Test\r\nLocation: /elsewhere\r\nContent-Length: 5\r\n"
                                 "Connection: close\r\n\r\nhello";
    try {
      write_all(fd, response);
    } catch (const std::system_error&) {  // the client went away first
    }
  }

  const std::vector<int> statuses_;
  UniqueFd listener_;
  const int port_;
  Pipe stop_pipe_;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::vector<Json> events_named(const std::vector<Json>& lines, const std::string& name) {
  std::vector<Json> found;
  for (const Json& line : lines) {
    if (line["event"] == name) found.push_back(line);
  }
  return found;
}

TEST(HttpWait, StatusOkIsReady) {
  HttpServer server({200});
  const Result result = run_seltool({"wait", server.url("/health")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(lines[0]["targets"][0]["target"], server.url("/health"));
  EXPECT_EQ(lines[1]["event"], "ready");
  EXPECT_EQ(lines[1]["target"], server.url("/health"));
  EXPECT_EQ(lines[1]["status"], 200);
  EXPECT_EQ(lines[2]["event"], "summary");
  EXPECT_EQ(lines[2]["ready_targets"], 1);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpWait, RetriesEveryIntervalUntilAnAcceptedStatus) {
  HttpServer server({503, 503, 200});
  const Result result = run_seltool({"wait", "-i", "100ms", "-t", "20", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  const std::vector<Json> failed = events_named(lines, "attempt_failed");
  ASSERT_EQ(failed.size(), 2u) << result.out;
  for (std::size_t i = 0; i < failed.size(); ++i) {
    EXPECT_EQ(failed[i]["attempt"], i + 1);
    EXPECT_EQ(failed[i]["status"], 503);
    EXPECT_EQ(failed[i]["error"]["code"], "HTTP_503");
    EXPECT_EQ(failed[i]["retry_in"], 0.1);
  }
  const std::vector<Json> ready = events_named(lines, "ready");
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["status"], 200);
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpWait, RefusedConnectIsReportedWithCurlsErrorUntilTheTimeout) {
  const std::string url = "http://127.0.0.1:" + std::to_string(free_tcp_port()) + "/";
  const Result result = run_seltool({"wait", "-t", "1", "-i", "100ms", url});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_GE(failed.size(), 2u) << result.out;
  EXPECT_EQ(failed[0]["error"]["code"], "CURLE_COULDNT_CONNECT");
  EXPECT_EQ(failed[0]["error"]["errno"], ECONNREFUSED);
  EXPECT_FALSE(failed[0].contains("status"));
  // One line for a person: what timed out and why.
  EXPECT_NE(result.err.find("timed out after 1s; not ready: '" + url + "' (CURLE_COULDNT_CONNECT"),
            std::string::npos)
      << result.err;
}

TEST(HttpWait, StatusOutsideTheRangeTimesOutWithItsStatus) {
  HttpServer server({503});
  const Result result = run_seltool({"wait", "-t", "1", "-i", "200ms", server.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["event"], "summary");
  EXPECT_EQ(lines.back()["pending"][0]["error"]["code"], "HTTP_503");
  EXPECT_NE(result.err.find("not ready: '" + server.url() + "' (HTTP_503"), std::string::npos)
      << result.err;
}

TEST(HttpWait, HttpStatusOptionSetsTheAcceptedStatuses) {
  HttpServer not_found({404});
  Result result = run_seltool({"wait", "--http-status", "200-299,404", not_found.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(events_named(parse_lines(result.out), "ready").at(0)["status"], 404);

  HttpServer ok({200});
  result = run_seltool({"wait", "-t", "1", "--http-status", "404", ok.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_NE(result.err.find("HTTP_200"), std::string::npos) << result.err;
}

TEST(HttpWait, RedirectIsAnAnswerAndIsNotFollowed) {
  HttpServer server({302, 200});
  const Result result = run_seltool({"wait", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(events_named(parse_lines(result.out), "ready").at(0)["status"], 302);
  EXPECT_EQ(server.requests(), 1) << "the Location was followed";
}

TEST(HttpWait, ConnectTimeoutBoundsEachAttempt) {
  const FullListener full = listen_tcp_full_queue();
  const Result result = run_seltool({"wait", "-t", "3", "-i", "50ms", "--connect-timeout", "200ms",
                                     "http://127.0.0.1:" + std::to_string(full.port) + "/"});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_GE(failed.size(), 2u) << result.out;
  EXPECT_EQ(failed[0]["error"]["code"], "CURLE_OPERATION_TIMEDOUT");
}

TEST(HttpWait, HttpsToAPlainHttpServerFailsCleanly) {
  HttpServer server({200});
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  const Result result = run_seltool({"wait", "-t", "1", "-i", "200ms", url});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_FALSE(failed.empty()) << result.out;
  EXPECT_EQ(failed[0]["error"]["code"], "CURLE_SSL_CONNECT_ERROR");
}

TEST(HttpWait, WithCommandNothingReachesItsStdout) {
  HttpServer server({200});
  const Result result = run_seltool({"wait", server.url(), "--", "echo", "app"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "app\n");
}

TEST(HttpWait, BadUrlsAndStatusListsAreUsageErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"wait", "http://127.0.0.1:99999/"},
           {"wait", "--http-status", "200-", "http://127.0.0.1:1/"},
           {"wait", "--http-status", "99", "http://127.0.0.1:1/"},
           {"wait", "--http-status", "300-200", "http://127.0.0.1:1/"},
           {"wait", "--http-status", "", "http://127.0.0.1:1/"},
       }) {
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 2) << args[2] << ": " << result.err;
    EXPECT_EQ(result.out, "") << args[2];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

TEST(HttpWatch, OneEventPerCheck) {
  HttpServer ok({200});
  HttpServer unavailable({503});
  const Result result = run_seltool({"watch", ok.url(), unavailable.url()});
  EXPECT_EQ(result.exit_code, 1) << result.err;  // a target failed
  const std::vector<Json> lines = parse_lines(result.out);
  const std::vector<Json> ready = events_named(lines, "ready");
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["target"], ok.url());
  EXPECT_EQ(ready[0]["status"], 200);
  const std::vector<Json> errors = events_named(lines, "error");
  ASSERT_EQ(errors.size(), 1u) << result.out;
  EXPECT_EQ(errors[0]["target"], unavailable.url());
  EXPECT_EQ(errors[0]["status"], 503);
  EXPECT_EQ(errors[0]["error"]["code"], "HTTP_503");
  EXPECT_EQ(lines.back()["event"], "summary");
}

// --invert-check: a target is ready once it stops answering.

TEST(InvertCheck, HttpServerThatShutsDown) {
  HttpServer server({200});
  SeltoolProcess seltool({"wait", "--invert-check", "-i", "100ms", "-t", "20", server.url()});
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start);
  EXPECT_EQ((*start)["invert_check"], true);
  const std::optional<Json> still = seltool.read_event();
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["event"], "attempt_failed");
  EXPECT_EQ((*still)["status"], 200);
  EXPECT_EQ((*still)["error"]["code"], "STILL_REACHABLE");
  server.stop();
  EXPECT_EQ(seltool.wait_exit(), 0);
  const std::vector<Json> lines = parse_lines(seltool.rest_of_stdout());
  const std::vector<Json> ready = events_named(lines, "ready");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0]["error"]["code"], "CURLE_COULDNT_CONNECT");
}

TEST(InvertCheck, StatusOutsideTheRangeMeansGone) {
  HttpServer server({503});
  const Result result = run_seltool({"wait", "--invert-check", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> ready = events_named(parse_lines(result.out), "ready");
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["status"], 503);
  EXPECT_EQ(ready[0]["error"]["code"], "HTTP_503");
}

TEST(InvertCheck, TcpListenerThatCloses) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  SeltoolProcess seltool({"wait", "--invert-check", "-i", "100ms", "-t", "20", target});
  ASSERT_TRUE(seltool.read_event());  // start
  const std::optional<Json> still = seltool.read_event();
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["event"], "attempt_failed");
  EXPECT_EQ((*still)["error"]["code"], "STILL_REACHABLE");
  EXPECT_EQ((*still)["error"]["message"], "connected to " + target);
  listener.reset();
  EXPECT_EQ(seltool.wait_exit(), 0);
  const std::vector<Json> ready = events_named(parse_lines(seltool.rest_of_stdout()), "ready");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0]["target"], target);
  EXPECT_EQ(ready[0]["error"]["code"], "ECONNREFUSED");
}

TEST(InvertCheck, FreePortIsReadyAtOnce) {
  const Result result =
      run_seltool({"wait", "--invert-check", "tcp://127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(events_named(parse_lines(result.out), "ready").size(), 1u) << result.out;
}

TEST(InvertCheck, TimeoutNamesWhatIsStillReachable) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  const Result result =
      run_seltool({"wait", "--invert-check", "-q", "-t", "500ms", "-i", "100ms", target});
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");  // -q silences the failure line too
  const Result loud = run_seltool({"wait", "--invert-check", "-t", "500ms", target});
  EXPECT_EQ(loud.exit_code, 124);
  EXPECT_NE(loud.err.find("still reachable: '" + target + "' (STILL_REACHABLE"), std::string::npos)
      << loud.err;
}

TEST(InvertCheck, TargetsThatCannotGoAwayAreUsageErrors) {
  TempDir dir;
  const std::string file = dir.file("f");
  write_all(UniqueFd(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)).get(), "x");
  for (const std::string& target : {std::string("0"), file, std::string("tcp-listen:0")}) {
    const Result result = run_seltool({"wait", "--invert-check", target});
    EXPECT_EQ(result.exit_code, 2) << target;
    EXPECT_EQ(result.out, "") << target;
    EXPECT_NE(result.err.find("--invert-check"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace seltool::testing
