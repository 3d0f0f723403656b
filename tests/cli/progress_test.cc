// Progress a person can see (issue 16): `wait -v` writes one stderr line per failed attempt
// (target, attempt number, error, next wait, time left); `--format text` starts with "waiting up
// to ..." and ends with "... ready after ..." on stderr, unless -q; `--backoff exponential`
// doubles the wait between attempts up to --max-interval.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    lines.push_back(text.substr(at, end - at));
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Verbose, OneLinePerFailedAttemptWithTheErrorAndTheTimeLeft) {
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run_seltool({"wait", "-v", "-t", "0.7", "-i", "0.2", target});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  int attempts = 0;
  for (const std::string& line : lines_of(result.err)) {
    if (!contains(line, " failed: ")) continue;
    ++attempts;
    EXPECT_EQ(line.rfind("seltool: '" + target + "': attempt " + std::to_string(attempts) +
                             " failed: ECONNREFUSED (",
                         0),
              0u)
        << line;
    EXPECT_TRUE(contains(line, "next in 0.2s, ")) << line;
    EXPECT_TRUE(contains(line, "s left")) << line;
  }
  EXPECT_GE(attempts, 2) << result.err;
  int events = 0;  // one line per attempt_failed event, no more
  for (const Json& event : parse_lines(result.out)) events += event["event"] == "attempt_failed";
  EXPECT_EQ(events, attempts);
}

TEST(TextFormat, SaysWhatItWaitsForAndWhenItWasReady) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  Result result = run_seltool({"wait", "--format", "text", "-t", "30", target});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = lines_of(result.err);
  ASSERT_EQ(lines.size(), 2u) << result.err;
  EXPECT_EQ(lines[0], "seltool: waiting up to 30.0s for '" + target + "' ...");
  EXPECT_EQ(lines[1].rfind("seltool: '" + target + "' ready after ", 0), 0u) << lines[1];

  result = run_seltool({"wait", "--format", "text", "-t", "0", target});
  EXPECT_EQ(lines_of(result.err).at(0),
            "seltool: waiting without a time limit for '" + target + "' ...");
  result = run_seltool({"wait", "--format", "text", "-q", target});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.err, "");
  result = run_seltool({"wait", target});  // JSON (for programs): no such lines
  EXPECT_EQ(result.err, "");
}

std::vector<double> retry_delays(const std::vector<std::string>& options) {
  std::vector<std::string> args = {"wait", "-t", "2"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("127.0.0.1:" + std::to_string(free_tcp_port()));
  const Result result = run_seltool(args);
  EXPECT_EQ(result.exit_code, 124) << result.err;
  std::vector<double> delays;
  for (const Json& event : parse_lines(result.out)) {
    if (event["event"] == "attempt_failed") delays.push_back(event["retry_in"]);
  }
  return delays;
}

TEST(Backoff, ExponentialDoublesUpToTheMaximum) {
  const std::vector<double> delays =
      retry_delays({"--backoff", "exponential", "-i", "0.05", "--max-interval", "0.4"});
  ASSERT_GE(delays.size(), 5u);
  const std::vector<double> expected = {0.05, 0.1, 0.2, 0.4, 0.4};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_DOUBLE_EQ(delays[i], expected[i]);
  for (double delay : retry_delays({"-i", "0.3"})) EXPECT_DOUBLE_EQ(delay, 0.3);  // fixed
}

TEST(Backoff, BadCombinationsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"wait", "--backoff", "linear", "127.0.0.1:1"},
        {"wait", "--max-interval", "5s", "127.0.0.1:1"},
        {"wait", "--backoff", "exponential", "--max-interval", "0", "127.0.0.1:1"}}) {
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.out, "");
  }
}

}  // namespace
}  // namespace seltool::testing
