// --help of the program and of every command, `seltool help [COMMAND]`, -V, and the manual page,
// each checked against the live command-line definition (tests/cli/cli_definition.h).
#include <sstream>

#include "gtest/gtest.h"
#include "tests/cli/cli_definition.h"

namespace seltool::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// "seltool wait" -> {"wait"}; "seltool" -> {}
std::vector<std::string> command_words(const Json& command) {
  std::vector<std::string> words;
  std::istringstream name(command["name"].get<std::string>());
  for (std::string word; name >> word;) words.push_back(word);
  words.erase(words.begin());
  return words;
}

// What a person reads must not send them to the source tree or show parser internals.
void expect_readable(const std::string& text) {
  for (const char* raw : {"Excludes", "Needs:", "REQUIRED", "docs/", ".md", "cli/", "TEXT"}) {
    EXPECT_FALSE(contains(text, raw)) << "'" << raw << "' in:\n" << text;
  }
}

TEST(Help, EveryCommandShowsSynopsisOptionsAndExitCodes) {
  for (const Json& command : program_and_commands()) {
    SCOPED_TRACE(command["name"].get<std::string>());
    std::vector<std::string> args = command_words(command);
    args.push_back("--help");
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.err, "");
    const std::string& help = result.out;
    EXPECT_EQ(help.rfind("Usage: " + command["synopsis"].get<std::string>() + "\n", 0), 0u) << help;
    expect_readable(help);
    for (const Json& option : command["options"]) {
      for (const Json& name : option["names"]) EXPECT_TRUE(contains(help, name)) << name;
      EXPECT_TRUE(contains(help, option["value_name"])) << option;
    }
    for (const Json& operand : command["positionals"]) {
      EXPECT_TRUE(contains(help, "\n  " + operand["names"][0].get<std::string>())) << operand;
    }
    for (const Json& sub : command["commands"]) {
      EXPECT_TRUE(contains(help, "\n  " + command_words(sub).back() + " ")) << sub["name"];
    }
    ASSERT_FALSE(command["exit_codes"].empty());
    EXPECT_TRUE(contains(help, "\nExit codes:\n")) << help;
    for (const Json& code : command["exit_codes"]) {
      EXPECT_TRUE(contains(help, "\n  " + code["code"].get<std::string>() + " ")) << code;
    }
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_LE(line.size(), 80u) << line;
    }
  }
}

TEST(Help, HelpCommandPrintsTheSameAsDashDashHelp) {
  for (const Json& command : program_and_commands()) {
    SCOPED_TRACE(command["name"].get<std::string>());
    std::vector<std::string> words = command_words(command);
    std::vector<std::string> help_args = {"help"};
    help_args.insert(help_args.end(), words.begin(), words.end());
    words.push_back("--help");
    const Result by_command = run_seltool(help_args);
    EXPECT_EQ(by_command.exit_code, 0);
    EXPECT_EQ(by_command.out, run_seltool(words).out);
  }
}

TEST(Help, WaitShowsItsCommandAfterDashes) {
  const Result result = run_seltool({"wait", "--help"});
  EXPECT_EQ(result.out.rfind("Usage: seltool wait [OPTIONS] TARGET... [-- COMMAND [ARG...]]\n", 0),
            0u)
      << result.out;
  EXPECT_TRUE(contains(result.out, "\n  124 ")) << result.out;
  EXPECT_TRUE(contains(result.out, "\n  127 ")) << result.out;
}

TEST(Help, UnknownCommandIsAUsageErrorOfOneLine) {
  const Result result = run_seltool({"help", "frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(
      result.err,
      "seltool: unknown command 'frobnicate': expected one of selectors, watch, wait, echo, load, "
      "inspect, completion, help\n");
}

TEST(Help, ShortAndLongVersionFlags) {
  const Result short_flag = run_seltool({"-V"});
  EXPECT_EQ(short_flag.exit_code, 0);
  EXPECT_EQ(short_flag.out.rfind("seltool ", 0), 0u) << short_flag.out;
  EXPECT_EQ(short_flag.out, run_seltool({"--version"}).out);
}

TEST(Help, UnknownShellForCompletionIsAUsageError) {
  const Result result = run_seltool({"completion", "tcsh"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "seltool: unknown shell 'tcsh': expected bash, zsh or fish\n");
}

// ---- the manual page ----

TEST(ManPage, BuiltFileIsWhatTheBinaryPrints) {
  const Result result = run_seltool({"help", "--man"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(read_file(generated_file("seltool.1")), result.out);
}

TEST(ManPage, RendersWithoutWarnings) {
  const Result result =
      run_program("/usr/bin/groff", {"-man", "-Tutf8", "-ww", "-z", generated_file("seltool.1")});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.err, "");
}

// The page as `man` shows it, plain text at 80 columns.
std::string rendered_man_page() {
  SpawnOptions options;
  options.env = {{"MANWIDTH", "80"}, {"MAN_KEEP_FORMATTING", ""}, {"LANG", "C.UTF-8"}};
  const Result result = run_program("/usr/bin/man", {"-l", generated_file("seltool.1")}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  return result.out;
}

TEST(ManPage, ListsEveryCommandOptionAndExitCode) {
  const std::string page = rendered_man_page();
  const std::size_t commands_at = page.find("\nCOMMANDS\n");
  ASSERT_NE(commands_at, std::string::npos) << page;
  expect_readable(page);
  for (const Json& command : program_and_commands()) {
    const std::string name = command["name"];
    SCOPED_TRACE(name);
    EXPECT_TRUE(contains(page, "\n       " + command["synopsis"].get<std::string>() + "\n"));
    // The command's own section: from its heading to the next one.
    std::size_t from = 0, to = commands_at;
    if (name != "seltool") {
      from = page.find("\n   " + command_words(command).back() + "\n", commands_at);
      ASSERT_NE(from, std::string::npos);
      to = page.find("\n   ", from + 1);
      while (to != std::string::npos && page[to + 4] == ' ') to = page.find("\n   ", to + 1);
    }
    const std::string section = page.substr(from, to == std::string::npos ? to : to - from);
    for (const Json& option : command["options"]) {
      for (const Json& option_name : option["names"]) {
        EXPECT_TRUE(contains(section, option_name.get<std::string>())) << option_name;
      }
    }
    for (const Json& operand : command["positionals"]) {
      EXPECT_TRUE(contains(section, operand["names"][0].get<std::string>())) << operand;
    }
    for (const Json& code : command["exit_codes"]) {
      EXPECT_TRUE(contains(page, code["code"].get<std::string>() + " ")) << code;
    }
  }
  EXPECT_TRUE(contains(page, "\nEXIT STATUS\n"));
}

}  // namespace
}  // namespace seltool::testing
