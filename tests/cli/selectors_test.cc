// `seltool selectors`, --version, --help and the SELTOOL_SELECTOR default.
#include "lib/selectors.h"

#include <sys/select.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

bool library_says_usable(const std::string& name) {
  for (const BackendInfo& backend : backends()) {
    if (backend.name == name) return backend.usable;
  }
  return false;
}

TEST(Selectors, ListsEveryBackendWithTheDefaultAndFdSetsize) {
  const Result result = run_seltool({"selectors"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 1u);
  const Json& info = lines[0];
  EXPECT_EQ(info["default"], kBackends.front());
  std::vector<std::string> names;
  for (const Json& backend : info["backends"]) {
    const std::string name = backend["name"];
    names.push_back(name);
    const bool compiled = std::count(kBackends.begin(), kBackends.end(), name) == 1;
    EXPECT_EQ(backend["compiled"], compiled) << name;
    // Usable as the library finds it on this machine (a kernel may refuse io_uring).
    const bool usable = backend["usable"];
    EXPECT_EQ(usable, library_says_usable(name)) << name;
    EXPECT_EQ(backend.contains("reason"), !usable) << name;
    // The traits of each backend built in, and the descriptor limit where a trait says so.
    ASSERT_EQ(backend.contains("traits"), compiled) << name;
    const Json traits = backend.value("traits", Json::object());
    for (const auto& [trait, value] : traits.items()) EXPECT_TRUE(value.is_boolean()) << trait;
    EXPECT_EQ(backend.contains("fd_setsize"), traits.value("limited_to_fd_setsize", false)) << name;
    // Says plainly how far each backend was tested (issue 5).
    const std::string tested = backend["tested"];
    EXPECT_EQ(tested.find("emulation") != std::string::npos, name == "kqueue" || name == "devpoll")
        << tested;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"kqueue", "epoll", "io_uring", "devpoll", "afd",
                                             "poll", "select"}));
  EXPECT_EQ(info["backends"][6]["fd_setsize"], FD_SETSIZE);
}

TEST(Selectors, EnvironmentGivesTheDefaultAndTheOptionOverridesIt) {
  Pipe pipe = make_pipe();
  const auto selector_used = [&](std::vector<std::string> args, const std::string& env) {
    args.insert(args.begin(), {"watch", "-t", "10ms"});
    args.push_back("3");
    const Result result = run_seltool(args, [&] {
      SpawnOptions options = passing({{3, pipe.read_end.get()}});
      options.env = {{"SELTOOL_SELECTOR", env}};
      return options;
    }());
    EXPECT_EQ(result.exit_code, 124) << result.err;
    const std::vector<Json> lines = parse_lines(result.out);
    return lines.empty() ? Json() : lines[0]["selector"];
  };
  EXPECT_EQ(selector_used({}, ""), kBackends.front());
  EXPECT_EQ(selector_used({}, "poll"), "poll");
  EXPECT_EQ(selector_used({"-s", "select"}, "poll"), "select");
  EXPECT_EQ(selector_used({"--selector", "default"}, "poll"), kBackends.front());
}

TEST(Version, PrintsNameAndVersion) {
  const Result result = run_seltool({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.rfind("seltool ", 0), 0u) << result.out;
  EXPECT_EQ(result.err, "");
}

TEST(Help, EveryCommandHasHelpOnStdout) {
  for (const char* command : {"selectors", "watch", "wait"}) {
    const Result result = run_seltool({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.out.find(std::string("seltool ") + command), std::string::npos) << result.out;
  }
}

}  // namespace
}  // namespace seltool::testing
