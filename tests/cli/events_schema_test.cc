// docs/events.schema.json is the JSON contract of every event (issue 16): it is a valid JSON
// Schema, python3-jsonschema (where installed) and the tests' own validator agree on real
// lines, and it holds the two rules the issue named: one type per field (`pending` is a list
// of objects in `timeout` and `summary` alike) and times in whole microseconds. Every other
// test checks its lines against it too (tests/support: read_event, parse_lines).
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/event_schema.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// Lines of the commands, each kind of event at least once.
std::string sample_lines() {
  std::string lines;
  const std::string refused = "127.0.0.1:" + std::to_string(free_tcp_port());
  lines += run_seltool({"wait", "-t", "0.3", "-i", "0.1", refused}).out;  // attempt, timeout
  UniqueFd listener = listen_tcp(0);
  const std::string open = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  lines += run_seltool({"wait", open}).out;  // start, ready, summary
  lines += run_seltool({"watch", "-1", "-t", "5", "tcp:" + open}).out;
  // descriptor and summary lines (none where inspect is not supported: exit 2).
  lines += run_seltool({"inspect", std::to_string(::getpid())}).out;
  return lines;
}

TEST(EventsSchema, TimeoutAndSummaryListPendingTargetsAlike) {
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  const std::vector<Json> lines = parse_lines(run_seltool({"wait", "-t", "0.2", target}).out);
  ASSERT_GE(lines.size(), 2u);
  const Json& timeout = lines[lines.size() - 2];
  ASSERT_EQ(timeout["event"], "timeout");
  ASSERT_EQ(timeout["pending"].size(), 1u);
  EXPECT_EQ(timeout["pending"][0]["target"], target);
  EXPECT_EQ(timeout["pending"], lines.back()["pending"]);
}

TEST(EventsSchema, TheValidatorRefusesWhatTheIssueNamed) {
  const Json strings = Json::parse(R"({"event":"timeout","pending":["a:1"],"t":1.5,"ts":"x"})");
  EXPECT_NE(event_schema_violation(strings), "");
  const Json objects =
      Json::parse(R"({"event":"timeout","pending":[{"target":"a:1"}],"t":1.5,"ts":"x"})");
  EXPECT_EQ(event_schema_violation(objects), "");
  Json fine_time = objects;
  fine_time["t"] = 0.010383999;  // nanoseconds: the precision the issue saw, from a double
  EXPECT_NE(event_schema_violation(fine_time), "");
  fine_time["t"] = 0.010384;
  EXPECT_EQ(event_schema_violation(fine_time), "");
}

TEST(EventsSchema, JsonschemaAgrees) {
  if (run_program("/bin/sh", {"-c", "python3 -c 'import jsonschema'"}).exit_code != 0) {
    GTEST_SKIP() << "python3-jsonschema is not installed";
  }
  const std::string lines = sample_lines();
  for (const Json& line : parse_lines(lines)) EXPECT_EQ(event_schema_violation(line), "");
  const TempDir dir;
  const std::string file = dir.file("lines.jsonl");
  std::ofstream(file) << lines;
  const Result result =
      run_program("/bin/sh", {"-c",
                              "python3 -c '\n"
                              "import json, sys, jsonschema\n"
                              "schema = json.load(open(sys.argv[1]))\n"
                              "jsonschema.Draft202012Validator.check_schema(schema)\n"
                              "validator = jsonschema.Draft202012Validator(schema)\n"
                              "count = 0\n"
                              "for line in open(sys.argv[2]):\n"
                              "    event = json.loads(line)\n"
                              "    if \"event\" in event:\n"
                              "        validator.validate(event)\n"
                              "        count += 1\n"
                              "print(count)\n"
                              "' \"$0\" \"$1\"",
                              runfile("docs/events.schema.json"), file});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(std::stoi("0" + result.out), 8) << result.out;
}

}  // namespace
}  // namespace seltool::testing
