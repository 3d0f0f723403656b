// postgres:// and redis:// targets of `seltool wait` and `watch`, through the real binary
// against real servers from the Debian packages (tests/support/services.h): ready once the
// server answers, a server still starting up or refusing the password reported with its own
// message and retried, a stopped one timing out; the password never shown.
#include <algorithm>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"
#include "tests/support/services.h"

namespace seltool::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define SKIP_WITHOUT(unavailable) \
  if (const auto why = unavailable()) GTEST_SKIP() << *why

TEST(PostgresTarget, ReadyOnceTheServerAnswersOnEveryBackend) {
  SKIP_WITHOUT(postgres_unavailable);
  PostgresServer server;
  for (const std::string& backend : kBackends) {
    const Result run = run_seltool({"wait", "-s", backend, "-t", "30", server.url("s3cret")});
    ASSERT_EQ(run.exit_code, 0) << backend << ": " << run.out << run.err;
    const std::vector<Json> lines = parse_lines(run.out);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[lines.size() - 2]["event"], "ready") << run.out;
    EXPECT_EQ(lines[lines.size() - 2]["target"], server.url("***"));
    EXPECT_FALSE(contains(run.out + run.err, "s3cret")) << run.out << run.err;
  }
}

TEST(PostgresTarget, StartingUpIsReportedWithItsOwnMessageAndRetried) {
  SKIP_WITHOUT(postgres_unavailable);
  PostgresServer::Options standby;
  standby.standby = true;
  PostgresServer server(standby);
  SeltoolProcess wait({"wait", "-t", "60", "-i", "100ms", server.url("s3cret")});
  const std::optional<Json> failed = wait_for_event(wait, "attempt_failed", 30s);
  ASSERT_TRUE(failed.has_value()) << wait.rest_of_stderr();
  // The server's own words: "the database system is starting up" or, in recovery, "... is
  // not accepting connections".
  EXPECT_EQ((*failed)["error"]["code"], "POSTGRES_FATAL") << *failed;
  EXPECT_TRUE(contains((*failed)["error"]["message"], "FATAL: the database system is")) << *failed;
  server.promote();
  const std::optional<Json> ready = wait_for_event(wait, "ready", 60s);
  ASSERT_TRUE(ready.has_value()) << wait.rest_of_stderr();
  EXPECT_EQ(wait.wait_exit(10s), 0);
}

TEST(PostgresTarget, WrongPasswordIsTheServersMessageAndNeverShown) {
  SKIP_WITHOUT(postgres_unavailable);
  PostgresServer server;
  const Result wrong = run_seltool({"wait", "-t", "2", "-i", "200ms", server.url("Wr0ngPass")});
  EXPECT_EQ(wrong.exit_code, 124) << wrong.out << wrong.err;
  const std::vector<Json> lines = parse_lines(wrong.out);
  const auto attempt = std::find_if(lines.begin(), lines.end(), [](const Json& line) {
    return line["event"] == "attempt_failed";
  });
  ASSERT_NE(attempt, lines.end()) << wrong.out;
  EXPECT_TRUE(contains((*attempt)["error"]["message"],
                       "FATAL: password authentication failed for user \"app\""))
      << *attempt;
  EXPECT_TRUE(contains(wrong.err, "password authentication failed")) << wrong.err;
  EXPECT_FALSE(contains(wrong.out + wrong.err, "Wr0ngPass")) << wrong.out << wrong.err;

  // The password libpq reads itself: PGPASSWORD.
  const Result from_environment =
      run_seltool({"wait", "-q", "-t", "30", server.url("")}, with_env({{"PGPASSWORD", "s3cret"}}));
  EXPECT_EQ(from_environment.exit_code, 0) << from_environment.err;
}

TEST(PostgresTarget, StoppedServerTimesOutAndInvertCheckSeesItGone) {
  SKIP_WITHOUT(postgres_unavailable);
  PostgresServer server;
  const std::string url = server.url("s3cret");
  const Result reachable = run_seltool({"wait", "-t", "1", "-i", "200ms", "--invert-check", url});
  EXPECT_EQ(reachable.exit_code, 124);
  EXPECT_TRUE(contains(reachable.err, "still reachable")) << reachable.err;
  server.stop();
  const Result stopped = run_seltool({"wait", "-t", "1", "-i", "200ms", url});
  EXPECT_EQ(stopped.exit_code, 124) << stopped.out << stopped.err;
  EXPECT_TRUE(contains(stopped.err, "POSTGRES_CONNECT_FAILED")) << stopped.err;
  EXPECT_TRUE(contains(stopped.err, "Connection refused")) << stopped.err;
  EXPECT_EQ(run_seltool({"wait", "-q", "-t", "10", "--invert-check", url}).exit_code, 0);
}

TEST(RedisTarget, ReadyOncePingAnswersOnEveryBackend) {
  SKIP_WITHOUT(redis_unavailable);
  RedisServer server;
  for (const std::string& backend : kBackends) {
    const Result run = run_seltool({"wait", "-s", backend, "-t", "30", server.url()});
    ASSERT_EQ(run.exit_code, 0) << backend << ": " << run.out << run.err;
    EXPECT_EQ(parse_lines(run.out).at(1)["event"], "ready") << run.out;
  }
  const Result watch = run_seltool({"watch", "-t", "10", server.url() + "/2"});
  EXPECT_EQ(watch.exit_code, 0) << watch.out << watch.err;
  EXPECT_EQ(parse_lines(watch.out).at(1)["event"], "ready") << watch.out;
}

TEST(RedisTarget, PasswordFromTheUrlOrRediscliAuthNeverShown) {
  SKIP_WITHOUT(redis_unavailable);
  RedisServer server("s3cret");
  const Result without = run_seltool({"wait", "-t", "1", "-i", "200ms", server.url()});
  EXPECT_EQ(without.exit_code, 124);
  EXPECT_TRUE(contains(without.err, "NOAUTH Authentication required")) << without.err;

  const Result wrong = run_seltool({"wait", "-t", "1", "-i", "200ms", server.url("Wr0ngPass")});
  EXPECT_EQ(wrong.exit_code, 124);
  EXPECT_TRUE(contains(wrong.out, "\"code\":\"WRONGPASS\"")) << wrong.out;
  EXPECT_TRUE(contains(wrong.err, "WRONGPASS invalid username-password pair")) << wrong.err;
  EXPECT_FALSE(contains(wrong.out + wrong.err, "Wr0ngPass")) << wrong.out << wrong.err;

  const Result right = run_seltool({"wait", "-t", "10", server.url("s3cret")});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_FALSE(contains(right.out + right.err, "s3cret")) << right.out;
  const Result environment = run_seltool({"wait", "-q", "-t", "10", server.url()},
                                         with_env({{"REDISCLI_AUTH", "s3cret"}}));
  EXPECT_EQ(environment.exit_code, 0) << environment.err;
}

TEST(RedisTarget, StoppedServerTimesOutAndInvertCheckSeesItGone) {
  SKIP_WITHOUT(redis_unavailable);
  RedisServer server;
  const std::string url = server.url();
  const Result reachable = run_seltool({"wait", "-t", "1", "-i", "200ms", "--invert-check", url});
  EXPECT_EQ(reachable.exit_code, 124);
  EXPECT_TRUE(contains(reachable.err, "still reachable")) << reachable.err;
  server.stop();
  const Result stopped = run_seltool({"wait", "-t", "1", "-i", "200ms", url});
  EXPECT_EQ(stopped.exit_code, 124) << stopped.out << stopped.err;
  EXPECT_TRUE(contains(stopped.err, "ECONNREFUSED: Connection refused")) << stopped.err;
  EXPECT_EQ(run_seltool({"wait", "-q", "-t", "10", "--invert-check", url}).exit_code, 0);
}

TEST(DatabaseTargetErrors, MalformedUrlsAreUsageErrorsOfOneLine) {
  for (const auto& [target, expected] : std::vector<std::pair<std::string, std::string>>{
           {"postgres://", "no HOST"},
           {"postgres://app:pw@:5432/db", "no HOST"},
           {"postgres://app@db:0/app", "port 0"},
           {"postgres://app@db:x/app", "PORT must be a number"},
           {"postgres://app@db/app?nosuch=1", "invalid URI query parameter: \"nosuch\""},
           {"postgres://app:pw%zz@db/app", "bad %-escape in the password"},
           {"redis://cache/x", "the database must be a number"},
           {"redis://cache?db=1", "redis:// takes no parameters"},
           {"mysql://app@db/app", "supported: tcp://, unix://, http://, https://, postgres://"},
       }) {
    const Result run = run_seltool({"wait", "-t", "1", target});
    EXPECT_EQ(run.exit_code, 2) << target << ": " << run.err;
    EXPECT_TRUE(contains(run.err, expected)) << target << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_EQ(run.out, "") << target;
  }
  // A password is not shown in a usage error either.
  const Result hidden = run_seltool({"wait", "postgres://app:Secr3t@db:0/app"});
  EXPECT_EQ(hidden.exit_code, 2);
  EXPECT_FALSE(contains(hidden.err, "Secr3t")) << hidden.err;
  EXPECT_TRUE(contains(hidden.err, "postgres://app:***@db:0/app")) << hidden.err;
}

}  // namespace
}  // namespace seltool::testing
