#include "tests/cli/cli_definition.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace seltool::testing {

Json cli_definition() {
  const Result result = run_seltool({"help", "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return Json::parse(result.out);
}

std::vector<Json> program_and_commands() {
  Json program = cli_definition();
  std::vector<Json> all(program["commands"].begin(), program["commands"].end());
  all.insert(all.begin(), std::move(program));
  return all;
}

std::string generated_file(const std::string& name) { return runfile("cli/" + name); }

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace seltool::testing
