// http:// and https:// targets of `seltool wait` and `watch`, and `wait --invert-check`, run
// through the real binary against a small HTTP server on 127.0.0.1 written here.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// What the server answers one request with.
struct Answer {
  Answer(int status_code, std::string header_lines, std::string body_bytes)
      : status(status_code), headers(std::move(header_lines)), body(std::move(body_bytes)) {}
  int status;
  std::string headers;  // header lines besides Content-Length and Connection, each with "\r\n"
  std::string body;
};

std::vector<Answer> status_answers(const std::vector<int>& statuses) {
  std::vector<Answer> answers;
  for (int status : statuses) answers.push_back({status, "Location: /elsewhere\r\n", "hello"});
  return answers;
}

// An HTTP/1.1 server on 127.0.0.1 (or on a unix socket) and a thread of its own. It answers
// each connection's request with the next of `answers` (the last one repeats) and closes the
// connection; given statuses, with that status, a 5-byte body and a Location header. stop()
// closes its listener: from then on a connect to its port is refused.
class HttpServer {
 public:
  explicit HttpServer(std::initializer_list<int> statuses) : HttpServer(status_answers(statuses)) {}
  // `unix_path` "": on a TCP port of 127.0.0.1.
  explicit HttpServer(std::vector<Answer> answers, const std::string& unix_path = "")
      : answers_(std::move(answers)),
        listener_(unix_path.empty() ? listen_tcp(0) : listen_unix(unix_path)),
        port_(unix_path.empty() ? local_port(listener_.get()) : 0),
        stop_pipe_(make_pipe()),
        thread_([this] { serve(); }) {}
  ~HttpServer() { stop(); }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int requests() const { return requests_; }
  // The head (request line and headers) of each request so far.
  std::vector<std::string> heads() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }

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
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      heads_.push_back(request);
    }
    const int index = requests_++;
    const Answer& answer = answers_[std::min<std::size_t>(std::size_t(index), answers_.size() - 1)];
    const std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " Test\r\n" +
                                 answer.headers +
                                 "Content-Length: " + std::to_string(answer.body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + answer.body;
    try {
      write_all(fd, response);
    } catch (const std::system_error&) {  // the client went away first
    }
  }

  const std::vector<Answer> answers_;
  UniqueFd listener_;
  const int port_;
  Pipe stop_pipe_;
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
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

// wait4x's and dockerize's checks: a body and headers that must match, headers to send,
// statuses as a set of codes and ranges, HTTP over a unix socket.

bool has_line(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST(HttpExpect, BodyRegexIsRetriedUntilTheBodyMatches) {
  HttpServer server({{200, "", "{\"status\": \"starting\"}"}, {200, "", "{\"status\": \"ok\"}"}});
  const Result result = run_seltool({"wait", "-i", "100ms", "-t", "20", "--expect-body-regex",
                                     "\"status\": *\"(ok|UP)\"", server.url("/health")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  const std::vector<Json> failed = events_named(lines, "attempt_failed");
  ASSERT_EQ(failed.size(), 1u) << result.out;
  EXPECT_EQ(failed[0]["status"], 200);  // the status was fine: the body was not
  EXPECT_EQ(failed[0]["error"]["code"], "HTTP_BODY_MISMATCH");
  EXPECT_EQ(failed[0]["error"]["message"],
            "the body does not match --expect-body-regex '\"status\": *\"(ok|UP)\"'; it is "
            "'{\"status\": \"starting\"}'");
  ASSERT_EQ(events_named(lines, "ready").size(), 1u) << result.out;
  EXPECT_EQ(events_named(lines, "ready")[0]["status"], 200);
  EXPECT_EQ(server.requests(), 2);
}

TEST(HttpExpect, BodyMismatchTimesOutNamingThePatternAndTheBody) {
  HttpServer server({{200, "", "maintenance\nback soon"}});
  const Result result =
      run_seltool({"wait", "-t", "1", "-i", "200ms", "--expect-body-regex", "^ok$", server.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_NE(result.err.find("(HTTP_BODY_MISMATCH: the body does not match --expect-body-regex "
                            "'^ok$'; it is 'maintenance\\nback soon')"),
            std::string::npos)
      << result.err;
}

TEST(HttpExpect, BodyRegexIsSearchedLineByLineAsGrepDoes) {
  const std::string body("line one\nstatus: green\n\0binary after", 36);
  HttpServer server({{200, "", body}});
  for (const std::string& pattern :
       {std::string("green"), std::string("status: (green|yellow)"), std::string("^line"),
        std::string("^status"), std::string("green$"), std::string("after$"),
        std::string("binary"),  // past a NUL byte
        std::string("")}) {
    const Result result = run_seltool({"wait", "--expect-body-regex", pattern, server.url()});
    EXPECT_EQ(result.exit_code, 0) << pattern << ": " << result.out << result.err;
  }
  for (const std::string& pattern : {std::string("one.status"),  // '.' does not match the newline
                                     std::string("^green"), std::string("line$"),
                                     std::string("GREEN"), std::string("status: red")}) {
    const Result result =
        run_seltool({"wait", "-t", "300ms", "--expect-body-regex", pattern, server.url()});
    EXPECT_EQ(result.exit_code, 124) << pattern << ": " << result.out;
  }
}

// The first MiB is examined, and a transfer ends once it has it: a match after it is not seen,
// one before it is, however long the rest.
TEST(HttpExpect, BodyRegexExaminesTheFirstMebibyte) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  HttpServer late({{200, "", std::string(kMiB, 'x') + "READY"}});
  Result result =
      run_seltool({"wait", "-t", "1", "-i", "300ms", "--expect-body-regex", "READY", late.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_FALSE(failed.empty()) << result.out;
  EXPECT_EQ(failed[0]["error"]["code"], "HTTP_BODY_MISMATCH");
  EXPECT_NE(failed[0]["error"]["message"].get<std::string>().find(
                "the body (its first 1048576 bytes) does not match"),
            std::string::npos)
      << failed[0];

  HttpServer early({{200, "", "READY" + std::string(8 * kMiB, 'x')}});
  result = run_seltool({"wait", "--expect-body-regex", "^READY", early.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// Patterns for which glibc's regexec() is quadratic in an unanchored search ('(a|aa)*b' took 26 s
// on a 64 KiB line; a MiB would take hours) are searched in one anchored, linear pass: the check
// ends and is reported, and the run ends at its timeout.
TEST(HttpExpect, APathologicalPatternOnAMebibyteLineIsStillOneQuickCheck) {
  HttpServer server({{200, "", std::string(std::size_t{1} << 20, 'a')}});
  for (const std::string& pattern : {std::string("(a|aa)*b"), std::string("a.*b.*c.*zz")}) {
    const Result result =
        run_seltool({"wait", "-t", "3", "-i", "1s", "--expect-body-regex", pattern, server.url()});
    EXPECT_EQ(result.exit_code, 124) << pattern << ": " << result.err;
    const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
    ASSERT_FALSE(failed.empty()) << pattern << ": " << result.out;
    EXPECT_EQ(failed[0]["error"]["code"], "HTTP_BODY_MISMATCH");
  }
}

TEST(HttpExpect, HeaderValuesMatchWhateverTheNamesCase) {
  HttpServer server(
      {{200, "Content-Type: application/json; charset=utf-8\r\nX-Version: 2.4.1\r\n", "{}"}});
  const Result result = run_seltool({"wait", "--expect-header", "content-type: ^application/json",
                                     "--expect-header", "X-VERSION:   ^2\\.[0-9]+", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(events_named(parse_lines(result.out), "ready").size(), 1u) << result.out;
}

TEST(HttpExpect, EachExpectedHeaderMustHold) {
  HttpServer server({{200, "Content-Type: text/html\r\n", "<p>"}});
  Result result = run_seltool({"wait", "-t", "300ms", "--expect-header", "Content-Type: html",
                               "--expect-header", "Content-Type: json", server.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_FALSE(failed.empty()) << result.out;
  EXPECT_EQ(failed[0]["status"], 200);
  EXPECT_EQ(failed[0]["error"]["code"], "HTTP_HEADER_MISMATCH");
  EXPECT_EQ(failed[0]["error"]["message"],
            "the header 'Content-Type: text/html' does not match --expect-header "
            "'Content-Type: json'");

  result = run_seltool({"wait", "-t", "300ms", "--expect-header", "X-Ready: yes", server.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_FALSE(failed.empty()) << result.out;
  EXPECT_EQ(failed[0]["error"]["message"],
            "the answer has no X-Ready header, which --expect-header 'X-Ready: yes' expects");
}

TEST(HttpExpect, StatusComesFirst) {
  HttpServer server({{503, "X-Ready: no\r\n", "down"}});
  const Result result = run_seltool({"wait", "-t", "300ms", "--expect-header", "X-Ready: yes",
                                     "--expect-body-regex", "up", server.url()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
  ASSERT_FALSE(failed.empty()) << result.out;
  EXPECT_EQ(failed[0]["error"]["code"], "HTTP_503");
}

TEST(HttpExpect, RequestHeadersReachTheServer) {
  HttpServer server({200});
  const Result result =
      run_seltool({"wait", "--request-header", "Authorization: Bearer t0k3n", "--request-header",
                   "X-Probe:  seltool ", "--request-header", "User-Agent:", server.url("/x")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /x HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_TRUE(has_line(heads[0], "Authorization: Bearer t0k3n")) << heads[0];
  EXPECT_TRUE(has_line(heads[0], "X-Probe: seltool")) << heads[0];
  // "NAME:" with no value removes a header curl sends, as curl's -H does.
  EXPECT_EQ(heads[0].find("User-Agent"), std::string::npos) << heads[0];
}

TEST(HttpExpect, StatusesAreASetOfCodesAndRangesUnderEitherName) {
  for (const char* option : {"--http-status", "--expect-status-code"}) {
    for (int status : {204, 301, 302, 418}) {
      HttpServer server({status});
      const Result result = run_seltool({"wait", option, "204,300-302,418", server.url()});
      EXPECT_EQ(result.exit_code, 0) << option << " " << status << ": " << result.err;
      EXPECT_EQ(events_named(parse_lines(result.out), "ready").at(0)["status"], status);
    }
    for (int status : {200, 303, 500}) {
      HttpServer server({status});
      const Result result =
          run_seltool({"wait", "-t", "300ms", option, "204,300-302,418", server.url()});
      EXPECT_EQ(result.exit_code, 124) << option << " " << status;
      EXPECT_NE(result.err.find("(HTTP_" + std::to_string(status) + ": the server answered " +
                                std::to_string(status) + ", not in --http-status 204,300-302,418)"),
                std::string::npos)
          << result.err;
    }
  }
}

TEST(HttpUnixSocket, TheUrlsHostIsTheHostHeaderAndTheSocketIsWhereItGoes) {
  TempDir dir;
  const std::string socket = dir.file("daemon.sock");
  HttpServer server({{200, "", "OK"}}, socket);
  const Result result = run_seltool(
      {"wait", "--unix-socket", socket, "--expect-body-regex", "^OK$", "http://docker/_ping"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(events_named(lines, "ready").size(), 1u) << result.out;
  EXPECT_EQ(events_named(lines, "ready")[0]["target"], "http://docker/_ping");
  EXPECT_EQ(events_named(lines, "ready")[0]["status"], 200);
  const std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /_ping HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_TRUE(has_line(heads[0], "Host: docker")) << heads[0];
}

TEST(HttpUnixSocket, ASocketNotThereYetIsRetriedAndNamed) {
  TempDir dir;
  const std::string socket = dir.file("late.sock");
  SeltoolProcess seltool(
      {"wait", "-i", "100ms", "-t", "20", "--unix-socket", socket, "http://localhost/"});
  const std::optional<Json> failed = wait_for_event(seltool, "attempt_failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["error"]["code"], "CURLE_COULDNT_CONNECT");
  EXPECT_EQ((*failed)["error"]["errno"], ENOENT);
  EXPECT_EQ((*failed)["error"]["message"],
            "cannot connect to --unix-socket '" + socket + "': No such file or directory");
  HttpServer server(status_answers({200}), socket);
  EXPECT_EQ(seltool.wait_exit(), 0);
  EXPECT_EQ(events_named(parse_lines(seltool.rest_of_stdout()), "ready").size(), 1u);
}

TEST(HttpExpect, WatchReportsAMismatchAsTheTargetsError) {
  HttpServer server({{200, "", "starting"}});
  const Result result = run_seltool({"watch", "--expect-body-regex", "ready", server.url()});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::vector<Json> errors = events_named(parse_lines(result.out), "error");
  ASSERT_EQ(errors.size(), 1u) << result.out;
  EXPECT_EQ(errors[0]["status"], 200);
  EXPECT_EQ(errors[0]["error"]["code"], "HTTP_BODY_MISMATCH");
}

TEST(InvertCheck, BodyMismatchMeansGone) {
  HttpServer server({{200, "", "maintenance"}});
  const Result result =
      run_seltool({"wait", "--invert-check", "--expect-body-regex", "^ok", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> ready = events_named(parse_lines(result.out), "ready");
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["error"]["code"], "HTTP_BODY_MISMATCH");
}

TEST(HttpExpect, MalformedOrMisplacedOptionsAreOneLineUsageErrors) {
  TempDir dir;
  const std::string http = "http://127.0.0.1:1/";
  const std::string https = "https://127.0.0.1:1/";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--expect-body-regex", "ok", "127.0.0.1:1"},
       "--expect-body-regex applies to http:// and https:// targets, and none is given"},
      {{"--expect-header", "A: b", "postgres://u@127.0.0.1:1/db"},
       "--expect-header applies to http:// and https:// targets"},
      {{"--request-header", "A: b", "-"}, "--request-header applies to http:// and https://"},
      {{"--unix-socket", dir.file("s"), "unix:" + dir.file("s")},
       "--unix-socket applies to http:// and https://"},
      {{"--expect-status-code", "200", "127.0.0.1:1"}, "--http-status applies to http://"},
      {{"--cacert", dir.file("ca.pem"), http}, "--cacert applies to https:// targets, and none"},
      {{"-k", http}, "--insecure applies to https:// targets"},
      {{"--cert", dir.file("c.pem"), "127.0.0.1:1"}, "--cert applies to http:// and https://"},
      {{"--key", dir.file("k.pem"), https}, "--key needs --cert"},
      {{"--cacert", dir.file("missing.pem"), https},
       "cannot read --cacert '" + dir.file("missing.pem") + "': No such file or directory"},
      {{"--cacert", "", https}, "invalid --cacert ''"},
      {{"--expect-body-regex", "(a)\\1", http}, "back-references (\\1) are not supported"},
      {{"--expect-body-regex", "ok)", http}, "')' without its '('"},
      {{"--expect-body-regex", "[ok", http}, "invalid --expect-body-regex '[ok': "},
      {{"--expect-header", "Content-Type", http},
       "invalid --expect-header 'Content-Type': no ':' after the header's name"},
      {{"--expect-header", "X: a(", http}, "invalid --expect-header 'X: a(' pattern 'a(': "},
      {{"--request-header", "Bad Name: x", http}, "invalid --request-header 'Bad Name: x'"},
      {{"--request-header", ": x", http}, "the header's name is empty"},
      {{"--request-header", "X: a\nInjected: 1", http}, "a header's value is one line"},
  };
  for (const auto& [options, message] : cases) {
    std::vector<std::string> args = {"wait"};
    args.insert(args.end(), options.begin(), options.end());
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 2) << options[0] << ": " << result.err;
    EXPECT_EQ(result.out, "") << options[0];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace seltool::testing
